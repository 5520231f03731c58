/**
 * The checks every tree of shell programs gets: each file parses with `sh -n`, and all of them pass
 * `shellcheck -S warning` (Debian's shellcheck; src/lab/install-deps.sh installs it, and under
 * CI=true a missing shellcheck fails instead of skipping).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { findProgram } from '../../src/lab/preflight.js';

/** Declares the two tests inside the caller's describe; `files` are relative to `dir`. */
export function checkShellFiles(dir: string, files: readonly string[]): void {
  it.each(files)('%s parses with sh -n', (f) => {
    const r = spawnSync('sh', ['-n', path.join(dir, f)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('pass shellcheck -S warning', ({ skip }) => {
    if (!findProgram('shellcheck')) {
      if (process.env.CI === 'true') throw new Error('shellcheck is missing (Debian package shellcheck)');
      skip('shellcheck is not installed');
    }
    const r = spawnSync('shellcheck', ['-S', 'warning', '-s', 'sh', ...files.map((f) => path.join(dir, f))], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
}
