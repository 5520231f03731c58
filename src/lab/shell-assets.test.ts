/**
 * The lab's shell programs are real files: each parses with `sh -n` and passes
 * `shellcheck -S warning` (Debian's shellcheck; src/lab/install-deps.sh installs it).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findProgram } from './preflight.js';

const dir = path.dirname(fileURLToPath(import.meta.url));
const scripts = readdirSync(dir).filter((f) => f.endsWith('.sh')).sort();

describe('the lab shell programs', () => {
  it('are there', () => {
    expect(scripts).toEqual(expect.arrayContaining(['gateway-init.sh', 'client-init.sh', 'nspawn-supervise.sh', 'nspawn-boot.sh', 'image-build.sh', 'image-customize.sh', 'snapshot.sh']));
  });

  it.each(scripts)('%s parses with sh -n', (f) => {
    const r = spawnSync('sh', ['-n', path.join(dir, f)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('pass shellcheck -S warning', ({ skip }) => {
    if (!findProgram('shellcheck')) {
      if (process.env.CI === 'true') throw new Error('shellcheck is missing (Debian package shellcheck)');
      skip('shellcheck is not installed');
    }
    const r = spawnSync('shellcheck', ['-S', 'warning', '-s', 'sh', ...scripts.map((f) => path.join(dir, f))], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
