import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODULES } from './index.js';
import { moduleReference } from './reference.js';

const DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'modules.md');

describe('docs/modules.md', () => {
  const text = moduleReference();
  if (process.env.FLEET_WRITE_DOCS === '1') writeFileSync(DOC, text);

  it('is current: regenerated from the modules, it is the file in the repository', () => {
    expect(readFileSync(DOC, 'utf8'), 'docs/modules.md is stale: FLEET_WRITE_DOCS=1 npx vitest run src/modules/reference.test.ts').toBe(text);
  });

  it('has every module and every argument with its description', () => {
    for (const [name, mod] of Object.entries(MODULES)) {
      expect(text).toContain(`## ${name}\n`);
      const shape = (mod.schema as unknown as { shape?: Record<string, { description?: string }> }).shape;
      for (const [arg, s] of Object.entries(shape ?? {})) {
        expect(s.description, `${name}.${arg} has a .describe()`).toBeTruthy();
        expect(text).toContain(`| \`${arg}\` |`);
      }
    }
    expect(text).toContain("| `table` | 'filter' \\| 'nat' \\| 'mangle' \\| 'raw' | `\"filter\"` | iptables table (-t) |");
  });
});
