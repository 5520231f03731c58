/**
 * Build step after `tsc`: copies the shell and awk programs under src/ (see src/shell/asset.ts)
 * to the same place under dist/src/, where the compiled modules look for them.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ASSET = /\.(sh|awk)$/;

function copyTree(from: string, to: string): number {
  let n = 0;
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    if (entry.isDirectory()) n += copyTree(src, path.join(to, entry.name));
    else if (entry.isFile() && ASSET.test(entry.name)) {
      mkdirSync(to, { recursive: true });
      copyFileSync(src, path.join(to, entry.name));
      n++;
    }
  }
  return n;
}

// This file runs as dist/src/build/copy-assets.js: the repository is three levels up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
copyTree(path.join(root, 'src'), path.join(root, 'dist', 'src'));
