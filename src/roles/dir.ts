import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** roles/ at the package root, whether running from src/ (vitest) or dist/src/ (built). */
export function rolesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'roles');
    try {
      readFileSync(path.join(candidate, 'order.yaml'));
      return candidate;
    } catch {
      dir = path.dirname(dir);
    }
  }
  throw new Error(`roles/ not found above ${here}`);
}
