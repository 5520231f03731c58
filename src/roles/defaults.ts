import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'yaml';
import { ROLE_ORDER } from './order.js';

/** roles/ at the package root, whether running from src/ (vitest) or dist/src/ (built). */
export function rolesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'roles');
    try {
      readFileSync(path.join(candidate, 'packages', 'defaults.yaml'));
      return candidate;
    } catch {
      dir = path.dirname(dir);
    }
  }
  throw new Error(`roles/ not found above ${here}`);
}

export interface RoleDefaults {
  /** Merged defaults of every role (the lowest precedence level). */
  vars: Record<string, unknown>;
  /** Which file each default came from, for error locations. */
  sources: Record<string, string>;
}

export function loadRoleDefaults(dir = rolesDir()): RoleDefaults {
  const vars: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const role of ROLE_ORDER) {
    const file = path.join(dir, role, 'defaults.yaml');
    const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(doc)) {
      vars[k] = v;
      sources[k] = file;
    }
  }
  return { vars, sources };
}
