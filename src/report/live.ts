/**
 * Live progress. On a terminal: a frame repainted in place (terminal.ts), one line per host with
 * its step (`gw1  applying 23/47 firewall: mark VPN-half client traffic`) while the hosts fit on
 * the screen, past that a summary (counts per state, a bar over all hosts and over the current
 * batch, the longest-running hosts) with each failure printed above it as it happens. Off a
 * terminal (CI, pipes): plain timestamped lines. Nothing with --json.
 */
import { changes } from '../engine/plan.js';
import { printable } from './format.js';
import type { LiveEvent } from './live-state.js';
import { statusLabel } from './outcome.js';

export type { LiveEvent, BatchEvent } from './live-state.js';

export interface Progress {
  onEvent(e: LiveEvent): void;
  finish(): Promise<void>;
}

/** How often the frame is repainted (events in between only update the state). */
export const REPAINT_MS = 100;

export async function createProgress(mode: 'tty' | 'plain' | 'silent', hosts: string[], verb: string, check = false): Promise<Progress> {
  if (mode === 'silent') return { onEvent: () => undefined, finish: async () => undefined };
  if (mode === 'plain') return plainProgress(check);
  // Only on a terminal: measuring text (string-width, cli-truncate) builds Unicode tables when loaded.
  const { terminalProgress } = await import('./live-terminal.js');
  return terminalProgress(process.stdout, hosts, verb, check);
}

function plainProgress(check: boolean): Progress {
  const log = (host: string, msg: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${printable(host)}: ${printable(msg)}\n`);
  return {
    onEvent(e) {
      if (e.kind === 'batch') process.stdout.write(`${new Date().toISOString().slice(11, 19)} batch ${e.index}/${e.count}: ${e.hosts.length} host(s)\n`);
      if (e.kind === 'phase' && e.phase !== 'done') log(e.host, `${e.phase}`);
      if (e.kind === 'planned') {
        const n = changes(e.plan).length;
        log(e.host, `${e.plan.items.length} resources, ${n} to change`);
      }
      if (e.kind === 'step' && e.step.outcome === 'ok') log(e.host, `changed ${e.step.item.desired.resource.id}`);
      if (e.kind === 'result') {
        const r = e.result;
        log(e.host, `${statusLabel(r, check)} (${r.roundTrips} round trips, ${r.seconds.toFixed(2)}s)${r.error ? `: ${r.error.short()}` : ''}`);
      }
    },
    finish: async () => undefined,
  };
}

export function progressMode(json: boolean): 'tty' | 'plain' | 'silent' {
  if (json) return 'silent';
  return process.stdout.isTTY && !process.env.CI ? 'tty' : 'plain';
}
