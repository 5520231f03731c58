/**
 * The engine's on-host shell programs are real files (journal/, rollback/): each parses with
 * `sh -n` and passes `shellcheck -S warning` (Debian's shellcheck; src/lab/install-deps.sh
 * installs it), and what the scripts send is the files' text.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkShellFiles } from '../../test/support/shell-files.js';
import { JOURNAL_PRELUDE } from './journal/shell.js';
import { prelude } from './script.js';
import { watchdogScript } from './watchdog.js';

const dir = path.dirname(fileURLToPath(import.meta.url));
const scripts = ['journal', 'rollback'].flatMap((d) =>
  readdirSync(path.join(dir, d))
    .filter((f) => f.endsWith('.sh'))
    .sort()
    .map((f) => path.join(d, f)),
);

describe('the engine shell programs', () => {
  it('are there', () => {
    expect(scripts).toEqual(expect.arrayContaining(['journal/lock.sh', 'journal/journal.sh', 'journal/marker.sh', 'rollback/revert.sh', 'rollback/watchdog.sh']));
  });

  checkShellFiles(dir, scripts);

  it('the prelude and the standalone watchdog, as sent, parse with sh -n and carry no comments', () => {
    for (const text of [prelude({ token: '@@fleet-x' }).text, watchdogScript({ token: '@@fleet-x' }, 'run1', 5).text]) {
      const r = spawnSync('sh', ['-n'], { input: text, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(text.split('\n').filter((l) => /^\s*#/.test(l) && l !== '#!/bin/sh')).toEqual([]);
    }
    // one definition of the lock and revert, shared by every script and the watchdog
    expect(JOURNAL_PRELUDE.match(/^fleet_lock\(\)/gm)).toHaveLength(1);
    expect(watchdogScript({ token: '@@fleet-x' }, 'run1', 5).text).toContain('fleet_lock_wait "$WD/armed"');
  });
});
