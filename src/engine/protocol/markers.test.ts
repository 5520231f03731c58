/**
 * The protocol table against the real scripts: every marker the engine's shell prints, in a run
 * through plan, apply (ok, failing, with a failing revert), a held lock, a watchdog and its
 * confirm, rollback and teardown, is a kind of the table with the table's field count; every
 * kind the shell sources name is in the table.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Resource } from '../../modules/types.js';
import type { DesiredResource } from '../../roles/tasks.js';
import { raw, sh, type Shell } from '../../shell/sh.js';
import { LocalTransport } from '../../transport/local.js';
import type { RunOptions, RunResult } from '../../transport/types.js';
import { applyHost } from '../apply.js';
import { newRunId } from '../layout.js';
import { planHost } from '../plan.js';
import { revertRun, teardown } from '../rollback.js';
import { confirmRun } from '../watchdog.js';
import { fieldsOf, MARKERS, markerProblem, MarkerStream, parseMarkers, type Marker } from './markers.js';

/** Records every marker line of every script it runs. */
class RecordingTransport extends LocalTransport {
  readonly seen: Marker[] = [];
  override async run(script: Shell, opts: RunOptions = {}): Promise<RunResult> {
    const res = await super.run(script, opts);
    const token = /^T='?(@@fleet-[0-9a-f]+)'?$/m.exec(script.text)?.[1];
    if (token) this.seen.push(...parseMarkers(token, res.stdout));
    return res;
  }
}

let dir: string;
let stateDir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-protocol-'));
  stateDir = path.join(dir, 'state');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fileRes(name: string): DesiredResource {
  const f = path.join(dir, name);
  const resource: Resource = {
    id: `test:${name}`,
    module: 'test',
    title: name,
    check: sh`[ -f ${f} ] || exit 1`,
    apply: sh`echo new > ${f}`,
    revert: sh`rm -f ${f}`,
    undo: sh`rm -f ${f}`,
  };
  return { role: 'routing', task: name, resource };
}
const meta = () => ({ runId: newRunId(), user: 'tester', controller: 'ctl', roles: ['routing'] });

describe('the marker protocol', () => {
  it('every marker the scripts print fits the table', async () => {
    const t = new RecordingTransport();
    const ctx = { stateDir };
    const ok = [fileRes('a'), fileRes('b')];
    await applyHost(t, await planHost(t, ok, ctx), meta(), ctx);
    const m = meta();
    await applyHost(t, await planHost(t, [fileRes('f')], ctx), m, ctx, { watchdog: { timeoutS: 30 } });
    await planHost(t, ok, ctx); // watchdog facts
    await confirmRun(t, m.runId, ctx);
    await confirmRun(t, m.runId, ctx);
    const failing = [fileRes('c'), fileRes('d'), fileRes('e')];
    failing[0]!.resource.revert = raw('echo cannot >&2; exit 2');
    failing[1]!.resource.apply = raw('exit 3');
    failing[2]!.resource.check = raw('exit 9');
    await applyHost(t, await planHost(t, failing.slice(0, 2), ctx), meta(), ctx, { watchdog: { timeoutS: 30 } }); // disarmed
    await planHost(t, failing, ctx); // a probe error
    await revertRun(t, 'last', meta(), ctx); // rollback-failed is unfinished: reverting, revertfail
    await revertRun(t, 'previous', meta(), ctx); // notapplicable
    const stuck = fileRes('g');
    stuck.resource.undo = raw('echo busy >&2; exit 1');
    await teardown(t, [...ok, stuck], meta(), ctx); // undo ok and fail, incomplete
    mkdirSync(path.join(stateDir, 'lock'));
    writeFileSync(path.join(stateDir, 'lock', 'owner'), `run=r1\npid=${process.pid}\nuser=u\ncontroller=c\nsince=s\n`);
    await planHost(t, ok, ctx);
    await revertRun(t, 'last', meta(), ctx).catch(() => undefined);
    rmSync(stateDir, { recursive: true });
    await revertRun(t, 'last', meta(), ctx); // norun

    const kinds = new Set(t.seen.map((x) => x.kind));
    for (const k of ['lock', 'journal', 'lastsuccess', 'watchdog', 'check', 'end', 'armed', 'step', 'fail', 'complete', 'reverted', 'revertfail', 'rolledback', 'disarmed', 'norun', 'notapplicable', 'reverting', 'undo', 'incomplete', 'confirmed', 'nowatchdog']) {
      expect(kinds, k).toContain(k);
    }
    expect(t.seen.map(markerProblem).filter(Boolean)).toEqual([]);
  });

  it('names in the shell sources are kinds of the table, and each kind is printed somewhere', () => {
    const engine = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
    const files = [
      ...['journal', 'rollback'].flatMap((d) => readdirSync(path.join(engine, d)).filter((f) => f.endsWith('.sh')).map((f) => path.join(engine, d, f))),
      ...readdirSync(engine).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => path.join(engine, f)),
      // the status probes the roles declare
      path.join(path.dirname(engine), 'roles', 'health.ts'),
      // and the metrics timer's (src/metrics)
      path.join(path.dirname(engine), 'metrics', 'timer-probe.sh'),
    ];
    const named = new Set(files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/fleet_mark (\w+)/g)].map((x) => x[1]!)));
    expect([...named].filter((k) => !Object.hasOwn(MARKERS, k))).toEqual([]);
    expect(Object.keys(MARKERS).filter((k) => !named.has(k))).toEqual([]);
  });

  it('decodes fields by name: text from base64, int as a number, - as empty', () => {
    const m = parseMarkers('@@t', `noise\n@@t fail 3 verify 1 ${Buffer.from('still absent').toString('base64')}\n@@t armed -\n`);
    expect(fieldsOf('fail', m[0]!)).toEqual({ index: 3, phase: 'verify', code: 1, output: 'still absent' });
    expect(fieldsOf('armed', m[1]!)).toEqual({ pid: undefined });
    expect(markerProblem({ kind: 'step', fields: ['1'] })).toMatch(/1 field\(s\), the protocol says 2/);
    expect(markerProblem({ kind: 'bogus', fields: [] })).toMatch(/unknown marker kind/);
    expect(markerProblem({ kind: 'step', fields: ['x', 'ok'] })).toMatch(/not a number/);
  });

  it('a stream parses each line once, across chunk boundaries, and falls back to the whole stdout', () => {
    const got: string[] = [];
    const s = new MarkerStream('@@t', (m) => got.push(m.kind));
    s.push('@@t st');
    s.push('ep 0 ok\n@@t en');
    expect(got).toEqual(['step']);
    s.push('d\n@@t step 1 skip');
    expect(got).toEqual(['step', 'end']);
    // the last line needs no newline; the whole stdout is not read again
    expect(s.end('@@t step 0 ok\n').map((m) => m.kind)).toEqual(['step', 'end', 'step']);
    const quiet = new MarkerStream('@@t');
    expect(quiet.end('@@t end\n').map((m) => m.kind)).toEqual(['end']);
  });
});
