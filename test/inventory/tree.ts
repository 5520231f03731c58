/** A temporary directory tree from a map of relative path to contents (a mode with `path|0755`). */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'fleet-inv-'));
  made.push(root);
  for (const [spec, text] of Object.entries(files)) {
    const [rel, mode] = spec.split('|') as [string, string | undefined];
    const full = path.join(root, rel);
    mkdirSync(rel.endsWith('/') ? full : path.dirname(full), { recursive: true });
    if (rel.endsWith('/')) continue;
    writeFileSync(full, text);
    if (mode) chmodSync(full, parseInt(mode, 8));
  }
  return root;
}
