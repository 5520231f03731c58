import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { forEachHost, runMeta, type HostResult } from '../engine/fleet.js';
import { revertRun, teardown, type RevertOutcome } from '../engine/rollback.js';
import { brokeLockNote } from '../engine/journal.js';
import { RollbackError } from '../errors.js';
import { selectHosts } from '../inventory/index.js';
import { color, seconds, table } from '../report/format.js';
import { createProgress, progressMode } from '../report/live.js';
import { ROLE_ORDER } from '../roles/order.js';
import { renderDesired } from '../roles/tasks.js';
import { EXIT_HELP, UsageError, exitCodeForResults } from './exit-codes.js';
import { addInventoryOptions, inventoryFromOptions } from './inventory.js';
import { addConnectionOptions, sshOptions } from './options.js';
import { addShardOptions, SHARD_HELP, shardFromOptions, shardHosts } from './shard.js';

export function registerRollbackCommand(program: Command): void {
  const cmd = program
    .command('rollback')
    .argument('[hosts...]', 'hosts or groups (patterns as for --limit)')
    .description('tear gateways down (the wg0-down steps), or undo a single run from the on-host journal')
    .option('--last', 'finish undoing an unfinished run (a lost connection or killed controller)')
    .option('--previous', 'undo the last successful deploy, back to the state before it')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--break-lock', 'remove a stale lock left by a dead run first (a live run\'s lock is refused)');
  addInventoryOptions(cmd);
  addConnectionOptions(cmd);
  addShardOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Without --last or --previous, rollback is the full teardown: OpenVPN stopped before its namespace
goes, every rule fleet added (and no other) deleted, policy rules and routes removed, veth and
namespace deleted, dnsmasq's config removed, wg0 down. Packages stay. Each undo checks first, so a
partly deployed or already clean host tears down without error.

Examples:
  fleet rollback gw2 -i inventory/lab.yaml --yes      tear gw2 down
  fleet rollback gw1 --last                           finish an interrupted deploy's rollback
  fleet rollback eu --previous                        revert the last deploy on group eu
  fleet rollback all --last --shard 2/3 --yes         finish interrupted runs in one shard

${SHARD_HELP}

${EXIT_HELP}`,
  );
  cmd.action(async (patterns: string[], opts) => {
    if (opts.last && opts.previous) throw new UsageError('--last and --previous cannot be combined');
    const started = performance.now();
    const shard = shardFromOptions(opts);
    if (!patterns.length && !opts.limit) throw new UsageError('name the hosts to roll back (or --limit all)', { hint: 'e.g. fleet rollback gw2' });
    const inv = inventoryFromOptions(opts);
    const { hosts, record } = shardHosts(patterns.length ? selectHosts(inv, patterns.join(',')) : inv.hosts, shard, !!opts.json);
    const kind: RevertOutcome['kind'] = opts.last ? 'last' : opts.previous ? 'previous' : 'teardown';
    if (!opts.yes && hosts.length) {
      if (!process.stdin.isTTY) throw new UsageError('rollback changes hosts: confirm with --yes when not on a terminal');
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const what = kind === 'teardown' ? 'tear down' : kind === 'last' ? 'finish undoing the unfinished run on' : 'undo the last deploy on';
      const answer = await rl.question(`${what} ${hosts.map((h) => h.name).join(', ')}? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        process.stdout.write('nothing done\n');
        return;
      }
    }
    const desired = kind === 'teardown' ? renderDesired(hosts, ROLE_ORDER, { readSources: false }) : new Map();
    const meta = runMeta([...ROLE_ORDER]);
    const outcomes = new Map<string, RevertOutcome>();
    const progress = await createProgress(progressMode(!!opts.json), hosts.map((h) => h.name), 'rolling back');
    const results = await forEachHost(hosts, { forks: opts.forks, ssh: sshOptions(opts), onEvent: (e) => progress.onEvent(e) }, async (host, t, t0): Promise<HostResult> => {
      progress.onEvent({ kind: 'phase', host: host.name, phase: 'applying' });
      const out =
        kind === 'teardown'
          ? await teardown(t, desired.get(host.name) ?? [], meta, {}, { breakLock: !!opts.breakLock })
          : await revertRun(t, kind, meta, {}, { breakLock: !!opts.breakLock });
      outcomes.set(host.name, out);
      const error = out.ok ? undefined : new RollbackError(host.name, out.failures.map((f) => ({ stepId: f.step, output: f.output })));
      return { host: host.name, status: out.ok ? (out.undone || kind === 'teardown' ? 'changed' : 'ok') : 'failed', error, roundTrips: t.roundTrips, seconds: (performance.now() - t0) / 1000 };
    });
    await progress.finish();
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            command: 'rollback',
            kind,
            seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
            hosts: results.map((r) => ({ host: r.host, status: r.status, roundTrips: r.roundTrips, seconds: r.seconds, error: r.error?.toJSON(), ...outcomes.get(r.host) })),
            ...(record ? { shard: record } : {}),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      const rows = results.map((r) => {
        const o = outcomes.get(r.host);
        const state = r.status === 'failed' || r.status === 'unreachable' ? color('red', r.error?.short() ?? r.status) : o?.notApplicable ? color('gray', `nothing to do: ${o.notApplicable}`) : color('green', kind === 'teardown' ? 'torn down' : `run ${o?.run} undone`);
        return [r.host, state, String(o?.undone ?? 0), seconds(r.seconds)];
      });
      process.stdout.write(`${table(['HOST', 'RESULT', 'UNDONE', 'TIME'], rows)}\n`);
      for (const r of results) if (r.error?.hint) process.stdout.write(`${r.host}: hint: ${r.error.hint}\n`);
      for (const [host, o] of outcomes) {
        if (o.brokeLock) process.stderr.write(`${brokeLockNote(host, o.brokeLock)}\n`);
        if (o.kept?.length) process.stdout.write(`${host}: ${o.kept.length} secret step(s) (secret files, vaulted values) stay as deployed: their backups were removed once that run was confirmed\n`);
      }
    }
    process.exitCode = exitCodeForResults(results);
  });
}
