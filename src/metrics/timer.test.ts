/** The metrics timer in fleet status: its probe's marker, parsed, and its --verbose line. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { metricsTimerLine } from '../report/status.js';
import { checkShellFiles } from '../../test/support/shell-files.js';
import { parseMetricsTimer } from './timer.js';

const mark = (...fields: string[]) => [{ kind: 'metricstimer', fields }];

describe('the metrics timer in status', () => {
  it('is absent without its marker: no systemd, or no timer', () => {
    expect(parseMetricsTimer([])).toBeUndefined();
  });

  it('reads the state, the age of the last run and its result', () => {
    expect(parseMetricsTimer(mark('active', '1000', 'success'), 1003)).toEqual({ state: 'active', lastRunAgeS: 3, lastResult: 'success' });
    expect(parseMetricsTimer(mark('inactive', '-', '-'), 1003)).toEqual({ state: 'inactive' });
  });

  it('says so in one line, red when the timer waits for nothing or the writer failed', () => {
    expect(metricsTimerLine({ state: 'active', lastRunAgeS: 3, lastResult: 'success' })).toBe('metrics timer: active, last run 3s ago (success)');
    expect(metricsTimerLine({ state: 'inactive' })).toMatch(/^metrics timer: .*inactive.*, not run yet$/);
    expect(metricsTimerLine({ state: 'active', lastRunAgeS: 300, lastResult: 'exit-code' })).toMatch(/^metrics timer: active, .*last run 5m ago \(exit-code\)/);
  });

  it('the probe prints nothing without the timer (this machine has none)', () => {
    const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'timer-probe.sh');
    const r = spawnSync('sh', ['-c', `fleet_mark() { echo "mark $*"; }; . ${probe}`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });
});

describe('the metrics timer probe', () => checkShellFiles(path.dirname(fileURLToPath(import.meta.url)), ['timer-probe.sh']));
