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
    },
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
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
