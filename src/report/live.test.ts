import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import type { HostResult } from '../engine/fleet.js';
import type { HostPlan, PlanItem } from '../engine/plan.js';
import { TransportError } from '../errors.js';
import { ACTIVE_SHOWN, barLine, renderFrame } from './live-frame.js';
import { LiveState } from './live-state.js';
import { terminalProgress } from './live-terminal.js';
import { FramePainter, rowsTaken } from './terminal.js';

// ESC is what the painter and colours write; these tests look at the text.
 
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

const TASKS: [string, string][] = [
  ['packages', 'package iptables'],
  ['namespace', 'the VPN namespace'],
  ['routing', 'VPN-half clients (fwmark) use the VPN table'],
  ['firewall', 'mark VPN-half client traffic'],
  ['firewall', 'kill switch: forwarded traffic leaves the namespace only through the tunnel'],
  ['dnsmasq', 'dnsmasq config'],
];

/** A plan whose first item already holds and the rest change. */
function plan(host: string): HostPlan {
  const items = TASKS.map(([role, task], index) => ({ index, state: index === 0 ? 'ok' : 'change', current: '', desired: { role, task, resource: { id: `r${index}`, title: task } } })) as unknown as PlanItem[];
  return { host, items, facts: {}, markers: [] };
}

function changed(host: string, p = plan(host)): HostResult {
  const steps = p.items.filter((i) => i.state === 'change').map((item) => ({ item, outcome: 'ok' as const }));
  return { host, status: 'changed', plan: p, apply: { runId: 'r', steps, revertFailures: [] }, roundTrips: 2, seconds: 1 };
}

const unreachable = (host: string): HostResult => ({ host, status: 'unreachable', error: new TransportError(host, 'timeout', 'no SSH answer within 3s'), roundTrips: 0, seconds: 3 });

function applying(s: LiveState, host: string, steps: number): void {
  s.onEvent({ kind: 'phase', host, phase: 'connecting' });
  s.onEvent({ kind: 'phase', host, phase: 'planning' });
  const p = plan(host);
  s.onEvent({ kind: 'planned', host, plan: p });
  s.onEvent({ kind: 'phase', host, phase: 'applying' });
  for (const item of p.items.filter((i) => i.state === 'change').slice(0, steps)) s.onEvent({ kind: 'step', host, step: { item, outcome: 'ok' } });
}

describe('live state', () => {
  it("says each host's step: its position among the changes, the step's role and task", () => {
    const s = new LiveState(['gw1'], 'applying');
    const h = s.hosts.get('gw1')!;
    expect(s.activity(h)).toBe('waiting');
    s.onEvent({ kind: 'phase', host: 'gw1', phase: 'connecting' });
    expect(s.activity(h)).toBe('connecting…');
    const p = plan('gw1');
    s.onEvent({ kind: 'planned', host: 'gw1', plan: p });
    s.onEvent({ kind: 'phase', host: 'gw1', phase: 'applying' });
    expect(s.activity(h)).toBe('applying 1/5 namespace: the VPN namespace');
    const todo = p.items.filter((i) => i.state === 'change');
    s.onEvent({ kind: 'step', host: 'gw1', step: { item: todo[0]!, outcome: 'ok' } });
    s.onEvent({ kind: 'step', host: 'gw1', step: { item: todo[1]!, outcome: 'skip' } });
    expect(s.activity(h)).toBe('applying 3/5 firewall: mark VPN-half client traffic');
    for (const item of todo.slice(2)) s.onEvent({ kind: 'step', host: 'gw1', step: { item, outcome: 'ok' } });
    expect(s.activity(h)).toBe('applying 5/5, finishing…');
    s.onEvent({ kind: 'result', host: 'gw1', result: changed('gw1', p) });
    expect(s.activity(h)).toBe('changed — 5 of 6 changed');
    expect([s.count('changed'), s.count('applying'), s.count('waiting'), s.done]).toEqual([1, 0, 0, 1]);
  });

  it('counts per state as events arrive and lists failures in the order they happen', () => {
    const s = new LiveState(['a', 'b', 'c', 'd'], 'applying');
    applying(s, 'a', 2);
    s.onEvent({ kind: 'phase', host: 'b', phase: 'connecting' });
    s.onEvent({ kind: 'result', host: 'd', result: unreachable('d') });
    s.onEvent({ kind: 'phase', host: 'b', phase: 'done' });
    s.onEvent({ kind: 'result', host: 'b', result: unreachable('b') });
    expect(Object.fromEntries(s.counts)).toEqual({ waiting: 1, connecting: 0, planning: 0, applying: 1, unreachable: 2 });
    expect(s.failures.map((f) => `${f.host} ${f.label}: ${f.detail}`)).toEqual(['d unreachable: no SSH answer within 3s', 'b unreachable: no SSH answer within 3s']);
    expect([...s.active]).toEqual(['a']);
  });
});

describe('live frame', () => {
  it('has a line per host and a summary while the hosts fit on the screen', () => {
    const s = new LiveState(['gw1', 'gw2', 'gw3'], 'applying');
    applying(s, 'gw1', 2);
    applying(s, 'gw2', 0);
    s.onEvent({ kind: 'result', host: 'gw3', result: unreachable('gw3') });
    const f = renderFrame(s, { cols: 120, rows: 5, now: performance.now() });
    expect(f.layout).toBe('hosts');
    const lines = f.lines.map(plain);
    expect(lines.slice(0, 3).map((l) => l.slice(2))).toEqual([
      'gw1  applying 3/5 firewall: mark VPN-half client traffic',
      'gw2  applying 1/5 namespace: the VPN namespace',
      'gw3  unreachable — no SSH answer within 3s',
    ]);
    expect(lines[2]![0]).toBe('✗');
    expect(lines[3]).toMatch(/^3 hosts: 1 unreachable, 2 applying {2}\d+\.\ds$/);
  });

  it('past a screenful: the summary, a bar over all hosts, the batch, the longest-running hosts', () => {
    const names = Array.from({ length: 40 }, (_, i) => `gw${i + 1}`);
    const s = new LiveState(names, 'applying');
    for (const n of names.slice(0, 10)) s.onEvent({ kind: 'result', host: n, result: changed(n) });
    for (const n of names.slice(10, 30)) applying(s, n, 3);
    s.onEvent({ kind: 'result', host: 'gw40', result: unreachable('gw40') });
    let f = renderFrame(s, { cols: 100, rows: 40, now: performance.now() });
    expect(f.layout).toBe('summary');
    const lines = f.lines.map(plain);
    expect(lines[0]).toMatch(/^40 hosts: 10 changed, 1 unreachable, 20 applying, 9 waiting {2}\d/);
    expect(lines[1]).toMatch(/^all +▕█+░+▏ 11\/40 {2} 27%$/);
    expect(lines.slice(2)).toHaveLength(ACTIVE_SHOWN);
    expect(lines[2]).toMatch(/^ {2}. gw11 {2}applying 4\/5 firewall: kill switch: forwarded traffic leaves the namespace only through the tunnel {2}\d/);
    s.onEvent({ kind: 'batch', index: 2, count: 3, hosts: names.slice(0, 20) });
    f = renderFrame(s, { cols: 100, rows: 40, now: performance.now() });
    expect(plain(f.lines[2]!)).toMatch(/^batch 2\/3 ▕█+░+▏ 10\/20 {2} 50%$/);
    // a small screen keeps the summary and the bar
    expect(renderFrame(s, { cols: 100, rows: 3, now: 0 }).lines.map(plain).map((l) => l.slice(0, 9))).toEqual(['40 hosts:', 'all      ']);
  });

  it('bars fit the width', () => {
    for (const cols of [60, 80, 200]) expect(stringWidth(barLine('batch 12/30', 999, 1000, cols))).toBeLessThanOrEqual(cols - 1);
  });

  it('keeps control characters from host names and remote errors off the screen', () => {
    const s = new LiveState(['gw\x1b]0;pwned\x07'], 'applying');
    s.onEvent({ kind: 'result', host: 'gw\x1b]0;pwned\x07', result: { ...unreachable('x'), host: 'gw\x1b]0;pwned\x07', error: new TransportError('x', 'closed', 'bad\x1b[2Jthing') } });
    const text = renderFrame(s, { cols: 80, rows: 10, now: 0 }).lines.join('\n');
    expect(plain(text)).not.toMatch(/\x1b|\x07/);
    expect(plain(text)).toContain('gw?]0;pwned?');
  });
});

class FakeTty extends EventEmitter {
  writes: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write(s: string): boolean {
    this.writes.push(s);
    return true;
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

describe('frame painter', () => {
  it('repaints in place: one write, back up over the last frame, each row erased and rewritten, the rest below cleared', () => {
    const out = new FakeTty(40, 20);
    const p = new FramePainter(out);
    p.paint(['one', 'two']);
    p.paint(['three'], ['above: stays']);
    expect(out.writes[0]).toBe('\x1b[?2026h\x1b[?25l\r\x1b[2Kone\x1b[0m\n\x1b[2Ktwo\x1b[0m\n\x1b[J\x1b[?2026l');
    // lines above may wrap: the old frame goes first
    expect(out.writes[1]).toBe('\x1b[?2026h\r\x1b[2A\x1b[2K\x1b[B\x1b[2K\x1b[1Aabove: stays\x1b[0m\n\x1b[2Kthree\x1b[0m\n\x1b[J\x1b[?2026l');
    p.paint(['four']);
    expect(out.writes[2]).toBe('\x1b[?2026h\r\x1b[1A\x1b[2Kfour\x1b[0m\n\x1b[J\x1b[?2026l');
    // never a whole-screen erase: tmux would scroll the screen into the scrollback
    expect(out.writes.join('')).not.toContain('\x1b[2J');
    expect(out.writes.join('')).not.toMatch(/\x1b\[\d+A\x1b\[J/);
  });

  it('never lets a line wrap, never grows past the screen, and after a resize backs up over the wrapped rows', () => {
    const out = new FakeTty(40, 6);
    const p = new FramePainter(out);
    p.paint(['x'.repeat(100), ...Array.from({ length: 10 }, (_, i) => `line ${i}`)]);
    const lines = plain(out.writes[0]!).replace(/^\r/, '').split('\n').filter(Boolean);
    expect(lines).toHaveLength(5); // rows - 1
    expect(lines[0]).toBe(`${'x'.repeat(38)}…`);
    for (const l of lines) expect(stringWidth(l)).toBeLessThan(40);
    p.onResize(() => p.paint(['short']));
    out.resize(20, 6);
    // the 39-wide first line now takes 2 rows at 20 columns: 2 + 4 = 6, but never above the top
    // (rows - 1); and the rewrapped rows are erased before the repaint
    expect(out.writes[1]).toMatch(/^\x1b\[\?2026h\r\x1b\[5A\x1b\[2K(\x1b\[B\x1b\[2K){4}\x1b\[4A\x1b\[2Kshort/);
    expect(rowsTaken([39, 6, 6, 6, 6], 20)).toBe(6);
    expect(rowsTaken([39, 6], 80)).toBe(2);
  });
});

describe('terminal progress', () => {
  it('with more hosts than rows: prints each failure once above the summary, and ends with every host counted', async () => {
    const out = new FakeTty(100, 12);
    const names = Array.from({ length: 30 }, (_, i) => `gw${i + 1}`);
    const progress = terminalProgress(out, names, 'applying');
    for (const n of names.slice(0, 25)) applying(progress as unknown as LiveState, n, 1);
    progress.onEvent({ kind: 'result', host: 'gw26', result: unreachable('gw26') });
    out.resize(90, 12); // a repaint in the middle
    for (const n of names.filter((n) => n !== 'gw26')) progress.onEvent({ kind: 'result', host: n, result: changed(n) });
    await progress.finish();
    const all = plain(out.writes.join(''));
    expect(all.match(/✗ gw26: unreachable — no SSH answer within 3s/g)).toHaveLength(1);
    const last = plain(out.writes.at(-2)!);
    expect(last).toMatch(/30 hosts: 29 changed, 1 unreachable {2}/);
    expect(last).toMatch(/all +▕█+▏ 30\/30 {2}100%/);
    expect(out.writes.at(-1)).toBe('\x1b[?25h');
  });

  it('lays the frame out at the size the terminal has now, before Node handled the SIGWINCH', async () => {
    const out = new FakeTty(120, 12);
    const names = Array.from({ length: 30 }, (_, i) => `gw${i + 1}`);
    const progress = terminalProgress(out, names, 'applying');
    // the terminal narrowed; only asking it (what tty.WriteStream does in _refreshSize) tells
    let actual = 120;
    Object.assign(out, { _refreshSize: () => void (out.columns = actual) });
    actual = 54;
    for (const n of names.slice(0, 3)) progress.onEvent({ kind: 'result', host: n, result: changed(n) });
    await progress.finish();
    const bar = plain(out.writes.at(-2)!).split('\n').find((l) => /^\x1b\[2Kall /.test(l) || l.startsWith('all '));
    expect(bar?.replace(/^\x1b\[2K/, '')).toMatch(/^all +▕█+░+▏ +3\/30 +10%$/);
  });
});
