/** verify's gateway programs are real files: each parses with `sh -n` and passes `shellcheck -S warning`. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findProgram } from '../lab/preflight.js';

const dir = path.dirname(fileURLToPath(import.meta.url));
const scripts = ['probe.sh', 'cleanup.sh'];

describe('the verify shell programs', () => {
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
