/**
 * The live view's frame, a pure function of the state and the terminal's size: one line per host
 * while every host fits on the screen, else a summary (counts per state, a bar over all hosts, the
 * current batch's bar, the longest-running hosts and their step).
 */
import { color, printable } from './format.js';
import { DONE_STATES, PHASES, type HostLive, type LiveState, type LiveStateName } from './live-state.js';
import { statusColor } from './outcome.js';

export interface FrameOptions {
  cols: number;
  rows: number;
  /** performance.now() of this paint. */
  now: number;
}

export interface Frame {
  layout: 'hosts' | 'summary';
  lines: string[];
}

/** Hosts still running listed under the summary, longest-running first. */
export const ACTIVE_SHOWN = 5;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function elapsed(from: number, now: number): string {
  const s = Math.max(0, (now - from) / 1000);
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

function symbol(h: HostLive, now: number): string {
  switch (h.state) {
    case 'waiting':
      return color('gray', '·');
    case 'ok':
    case 'changed':
      return color(statusColor[h.state], '✓');
    case 'failed':
    case 'unreachable':
      return color(statusColor[h.state], '✗');
    case 'skipped':
      return color('gray', '-');
    default:
      return color('cyan', SPINNER[Math.floor(now / 100) % SPINNER.length]!);
  }
}

function stateWord(s: LiveState, st: LiveStateName): string {
  if (st === 'applying') return s.verb;
  if (st === 'changed' && s.check) return 'would change';
  return st;
}

/** `100 hosts: 40 changed, 2 unreachable, 58 applying  6.1s` (states with no host left out). */
export function summaryLine(s: LiveState, now: number): string {
  const parts: string[] = [];
  for (const st of [...DONE_STATES, ...PHASES] as LiveStateName[]) {
    const n = s.count(st);
    if (!n) continue;
    const text = `${n} ${stateWord(s, st)}`;
    parts.push((DONE_STATES as readonly string[]).includes(st) ? color(statusColor[st as keyof typeof statusColor], text) : text);
  }
  return `${s.order.length} host${s.order.length === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}  ${color('gray', elapsed(s.startedAt, now))}`;
}

/** `all       ▕██████████░░░░░░░░░░▏  42/100  42%`, as wide as `cols` allows (10 to 50 cells of bar). */
export function barLine(label: string, done: number, total: number, cols: number): string {
  const pct = `${total ? Math.floor((done / total) * 100) : 100}%`;
  const tail = ` ${String(done).padStart(String(total).length)}/${total}  ${pct.padStart(4)}`;
  const head = `${label.padEnd(9)} `;
  const width = Math.max(10, Math.min(50, cols - 1 - head.length - tail.length - 2));
  const filled = total ? Math.round((done / total) * width) : width;
  return `${head}▕${'█'.repeat(filled)}${'░'.repeat(width - filled)}▏${tail}`;
}

function hostLine(s: LiveState, h: HostLive, nameWidth: number, now: number): string {
  const text = printable(s.activity(h));
  const shown = h.label === undefined ? text : color(statusColor[h.state as keyof typeof statusColor] ?? 'gray', text);
  return `${symbol(h, now)} ${printable(h.name).padEnd(nameWidth)}  ${shown}`;
}

export function renderFrame(s: LiveState, o: FrameOptions): Frame {
  const room = Math.max(1, o.rows - 1);
  const summary = summaryLine(s, o.now);
  if (s.order.length + 1 <= room) {
    const nameWidth = Math.min(24, Math.max(0, ...s.order.map((n) => n.length)));
    return { layout: 'hosts', lines: [...s.order.map((n) => hostLine(s, s.hosts.get(n)!, nameWidth, o.now)), summary] };
  }
  const lines = [summary];
  if (lines.length < room) lines.push(barLine('all', s.done, s.order.length, o.cols));
  if (s.batch && lines.length < room) lines.push(barLine(`batch ${s.batch.index}/${s.batch.count}`, s.batch.done, s.batch.hosts.size, o.cols));
  const shown = Math.min(ACTIVE_SHOWN, room - lines.length);
  if (shown > 0) {
    let i = 0;
    for (const name of s.active) {
      if (i++ >= shown) break;
      const h = s.hosts.get(name)!;
      lines.push(`  ${symbol(h, o.now)} ${printable(name)}  ${printable(s.activity(h))}  ${color('gray', elapsed(h.since ?? s.startedAt, o.now))}`);
    }
  }
  return { layout: 'summary', lines };
}

/** A failure as the summary layout lists it, once, above the frame. */
export function failureLine(f: { host: string; status: keyof typeof statusColor; label: string; detail: string }): string {
  return color(statusColor[f.status], `✗ ${printable(f.host)}: ${printable(f.label)}${f.detail ? ` — ${printable(f.detail)}` : ''}`);
}
