import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { rolesDir } from './dir.js';
import { ROLE_ORDER } from './order.js';

export { rolesDir } from './dir.js';

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
