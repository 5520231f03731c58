/**
 * Live progress: listr2 on a terminal (one line per host, its current role and step), plain
 * timestamped lines otherwise (CI logs stay readable), nothing with --json.
 */
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { FleetEvent, HostResult } from '../engine/fleet.js';
import { changes } from '../engine/plan.js';
import { statusLabel } from './recap.js';

export interface Progress {
  onEvent(e: FleetEvent): void;
  finish(): Promise<void>;
}

export function createProgress(mode: 'tty' | 'plain' | 'silent', hosts: string[], verb: string, check = false): Progress {
  if (mode === 'silent') return { onEvent: () => undefined, finish: async () => undefined };
  if (mode === 'plain') return plainProgress(check);
  return listrProgress(hosts, verb, check);
}

function plainProgress(check: boolean): Progress {
  const log = (host: string, msg: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${host}: ${msg}\n`);
  return {
    onEvent(e) {
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

function listrProgress(hosts: string[], verb: string, check: boolean): Progress {
  type Wrapper = ListrTaskWrapper<unknown, never, never>;
  const wrappers = new Map<string, Wrapper>();
  const done = new Map<string, (r: HostResult) => void>();
  const results = new Map<string, Promise<HostResult>>();
  const pending = new Map<string, string>();
  const todo = new Map<string, number>();
  const applied = new Map<string, number>();
  for (const h of hosts) results.set(h, new Promise((resolve) => done.set(h, resolve)));
  const set = (host: string, title: string) => {
    const w = wrappers.get(host);
    if (w) w.title = title;
    else pending.set(host, title);
  };
  const list = new Listr(
    hosts.map((host) => ({
      title: `${host}: waiting`,
      task: async (_ctx: unknown, task: Wrapper) => {
        wrappers.set(host, task);
        const early = pending.get(host);
        if (early) task.title = early;
        const r = await results.get(host)!;
        task.title = `${host}: ${statusLabel(r, check)}${r.error ? ` — ${r.error.short()}` : r.apply?.failure ? ` — ${r.apply.failure.id}` : ''}`;
        if (r.status === 'failed' || r.status === 'unreachable') throw new Error(task.title);
        if (r.status === 'skipped') task.skip(`${host}: skipped`);
      },
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: true, showErrorMessage: false } as never },
  );
  const running = list.run().catch(() => undefined);
  return {
    onEvent(e) {
      if (e.kind === 'phase' && e.phase !== 'done') set(e.host, `${e.host}: ${e.phase}…`);
      if (e.kind === 'planned') {
        todo.set(e.host, changes(e.plan).length);
        set(e.host, `${e.host}: ${e.plan.items.length} resources, ${changes(e.plan).length} to change`);
      }
      if (e.kind === 'step') {
        const n = (applied.get(e.host) ?? 0) + 1;
        applied.set(e.host, n);
        set(e.host, `${e.host}: ${verb} ${n}/${todo.get(e.host) ?? '?'} [${e.step.item.desired.role}] ${e.step.item.desired.resource.id}`);
      }
      if (e.kind === 'result') done.get(e.host)?.(e.result);
    },
    async finish() {
      await running;
    },
  };
}

export function progressMode(json: boolean): 'tty' | 'plain' | 'silent' {
  if (json) return 'silent';
  return process.stdout.isTTY && !process.env.CI ? 'tty' : 'plain';
}
