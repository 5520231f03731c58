// ESLint: typescript-eslint's recommended and strict rule sets, without type information (types
// are tsc's job; this keeps the lint step of `npm test` short).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.fleet-lab/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Lookups into arrays and records are checked by tsc (noUncheckedIndexedAccess); a `!` there
      // states an invariant the code just established.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // fleet matches control characters on purpose: to strip them from what it echoes.
      'no-control-regex': 'off',
      // Flags `let x = fallback; try { x = read() } catch {}`, the way the lab reads optional state.
      'no-useless-assignment': 'off',
      // A function longer than a screenful does more than one thing (the lab and the bench are
      // scripts, and tests are lists of cases: both exempt below).
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true }],
      // Every error an operator meets has a code of the catalogue (src/errors/catalogue.ts).
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='FleetError']", message: 'throw a catalogued subclass (src/errors.ts), not the bare FleetError' }],
    },
  },
  {
    files: ['src/lab/**', 'src/bench/**'],
    rules: { 'max-lines-per-function': 'off' },
  },
  {
    // The bench reads fleet's own --json output back; its shape is checked where it is used.
    files: ['src/bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      // vitest fixtures are declared as `async ({}, use) => ...`.
      'no-empty-pattern': 'off',
      'max-lines-per-function': 'off',
      'no-restricted-syntax': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
