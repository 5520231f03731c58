/**
 * Shell and awk programs live in real files beside the TypeScript that uses them (`*.sh`,
 * `*.awk`), so `sh -n` and shellcheck read them. The build copies them next to the compiled
 * modules (src/build/copy-assets.ts), so the same relative URL works from `src/` (vitest) and from
 * `dist/src/` (the CLI).
 *
 *   const PRELUDE = shellAsset(import.meta.url, 'prelude.sh');
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cache = new Map<string, string>();

/** The text of the asset `name`, resolved against the calling module's `import.meta.url`. */
export function shellAsset(base: string | URL, name: string): string {
  const file = fileURLToPath(new URL(name, base));
  let text = cache.get(file);
  if (text === undefined) {
    text = readFileSync(file, 'utf8');
    cache.set(file, text);
  }
  return text;
}
