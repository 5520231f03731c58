import type { Command, OptionValues } from 'commander';
import { deployFleet, type DeployOptions, type HostResult } from '../engine/fleet.js';
import type { Host } from '../inventory/index.js';
import type { SerialJson } from '../report/json.js';
import { serialRecap } from '../report/serial.js';
import { serialArg, type SerialArg } from './rolling-args.js';
import { brokeLockNote } from '../engine/journal.js';
import { renderDesired } from '../roles/tasks.js';
import { fleetJson } from '../report/json.js';
import { createProgress, progressMode } from '../report/live.js';
import { recap } from '../report/recap.js';
import { changes } from '../engine/plan.js';
import { addInventoryOptions, inventoryFromOptions } from './inventory.js';
import { EXIT_HELP, exitCodeForResults } from './exit-codes.js';
import { addConnectionOptions, addRoleOptions, CONFIRM_TIMEOUT_RANGE, confirmTimeoutArg, percent, selectedRoles, sshOptions } from './options.js';
import { DEFAULT_CONFIRM_TIMEOUT_S } from '../engine/watchdog.js';
import { addShardOptions, SHARD_HELP, shardFromOptions, shardHosts } from './shard.js';

export function registerDeployCommand(program: Command): void {
  const cmd = program
    .command('deploy')
    .argument('[inventory]', 'inventory file (same as -i)')
    .description('bring every gateway to the desired state: plan, apply what differs, verify; a failed host is rolled back')
    .option('-C, --check', 'print the plan and change nothing')
    .option('-D, --diff', 'show file diffs and rule changes')
    .option('--fail-fast', 'stop starting new hosts after the first failure')
    .option('--max-fail-percent <pct>', 'stop starting new hosts when more than this share of hosts failed', percent)
    .option('--break-lock', 'remove a stale lock left by a dead run before deploying (a live run\'s lock is refused)')
    .option('--confirm-timeout <seconds>', `commit-confirmed: a host whose routing, firewall, namespace or wireguard changes reverts itself unless fleet reaches it again over a new connection within this time (${CONFIRM_TIMEOUT_RANGE.min}-${CONFIRM_TIMEOUT_RANGE.max} s)`, confirmTimeoutArg, DEFAULT_CONFIRM_TIMEOUT_S)
    .option('--no-confirm', 'no watchdog: do not arm the on-host revert or confirm over a new connection')
    .option('--verify', 'after the deploy, prove each host\'s paths as fleet verify does; a host whose proof fails is rolled back')
    .option('--serial <batches>', 'rolling deploy: hosts in batches (1, 10%, or a list like 1,10%,100%; the last size repeats), each started only after the previous one applied, confirmed and passed a health gate (healthy, 0 drift; with --verify, its proof)', serialArg);
  addInventoryOptions(cmd);
  addRoleOptions(cmd);
  addConnectionOptions(cmd);
  addShardOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  fleet deploy inventory/lab.yaml                 deploy every gateway
  fleet deploy -i prod.yaml --limit 'eu-*' --check --diff
  fleet deploy -i prod.yaml --roles dnsmasq -e dns_upstreams='[9.9.9.9]'
  fleet deploy -i prod.yaml --json > run.json     machine-readable result
  fleet deploy -i prod.yaml --confirm-timeout 120 a slow link: give the confirm longer
  fleet deploy -i prod.yaml --verify             prove the paths afterwards; roll back a host that fails
  fleet deploy -i prod.yaml --serial 1,10%,100%  a canary, then 10% at a time, then the rest
  fleet deploy -i prod.yaml --serial 1,25% --max-fail-percent 10 --verify
  fleet deploy -i prod.yaml --shard 2/3 --json > shard-2.json
                                                  one CI job of three; then: fleet report merge shard-*.json

A deploy that changes routing, firewall, namespace or wireguard arms an on-host watchdog first (in
the apply's own round trip); fleet then reconnects over a NEW connection and confirms (connect + 1
round trip). If it cannot, the recap says 'lost access: reverting': the watchdog reverts the run
from its journal after --confirm-timeout, and fleet reports whether the host came back as before.

--serial batches the selected hosts in host order (Ansible's meaning: a percentage is of all
selected hosts, rounded down, at least 1). After each batch a health gate reads the batch's hosts
as 'fleet status' does and, with --verify, proves their paths; a host that is not healthy with 0
drift stops the run. --max-fail-percent and --fail-fast apply per batch, and a batch whose hosts
all failed stops it too. Hosts of later batches are then untouched (reported skipped); --json
gives every host its batch and lists each batch with its start, end and gate.

${SHARD_HELP}
Two runs that select the same host by mistake do not both change it: the second stops at that
host's on-host lock (HOST_LOCKED). An interrupted run is finished from any controller with
'fleet rollback <host> --last' (the journal is on the host).

${EXIT_HELP}`,
  );
  cmd.action(runDeploy);
}

async function runDeploy(file: string | undefined, opts: OptionValues): Promise<void> {
  const started = performance.now();
  const shard = shardFromOptions(opts);
  const inv = inventoryFromOptions({ ...opts, inventory: file ?? opts.inventory });
  const { hosts, record } = shardHosts(inv.hosts, shard, !!opts.json);
  const roles = selectedRoles(opts);
  const desired = renderDesired(hosts, roles);
  if (opts.verify && !opts.check) (await import('../verify/verify.js')).checkVerifiable(hosts, inv.file);
  // Before the live view starts: a line written under its frame would be painted over.
  for (const w of inv.warnings) if (!opts.json) process.stderr.write(`warning: ${w}\n`);
  const progress = await createProgress(progressMode(!!opts.json), hosts.map((h) => h.name), opts.check ? 'checking' : 'applying', !!opts.check);
  const deployOpts: DeployOptions = {
    roles,
    check: !!opts.check,
    breakLock: !!opts.breakLock,
    confirmTimeout: opts.confirm === false ? undefined : opts.confirmTimeout,
    // Test-only fault injection for the lab's rollback tests; deliberately not in --help.
    faults: { failStep: process.env.FLEET_TEST_FAIL_STEP, pauseStep: process.env.FLEET_TEST_PAUSE_STEP },
    forks: opts.forks,
    failFast: !!opts.failFast,
    maxFailPercent: opts.maxFailPercent,
    ssh: sshOptions(opts),
    onEvent: (e) => progress.onEvent(e),
  };
  const deployAndVerify = async (batch: Host[]): Promise<HostResult[]> => {
    const deployed = await deployFleet(batch, desired, deployOpts);
    if (!opts.verify || opts.check) return deployed;
    const { verifyAfterDeploy } = await import('../verify/after-deploy.js');
    return (await verifyAfterDeploy(batch, deployed, { roles, forks: opts.forks, ssh: sshOptions(opts) })).results;
  };
  let results: HostResult[];
  let serial: SerialJson | undefined;
  if (opts.serial) {
    const { rollingDeploy } = await import('./rolling.js');
    ({ results, serial } = await rollingDeploy(hosts, opts.serial as SerialArg, { desired, deployOpts, deployAndVerify, progress, check: !!opts.check }));
  } else {
    results = await deployAndVerify(hosts);
  }
  await progress.finish();
  const secondsTaken = (performance.now() - started) / 1000;
  if (opts.json) {
    process.stdout.write(`${fleetJson('deploy', results, { check: !!opts.check, seconds: secondsTaken, shard: record, serial })}\n`);
  } else {
    await printDeployText(results, serial, opts);
  }
  process.exitCode = exitCodeForResults(results);
}

/** The plan (with --check or --diff), the recap, the batches and any broken lock, for a person. */
async function printDeployText(results: HostResult[], serial: SerialJson | undefined, opts: OptionValues): Promise<void> {
  if (opts.check || opts.diff) {
    // jsdiff only when diffs are printed.
    const { itemDiff } = opts.diff ? await import('../report/diff.js') : { itemDiff: undefined };
    for (const r of results) {
      const todo = r.plan ? changes(r.plan) : [];
      if (!todo.length) continue;
      process.stdout.write(`\n${r.host}: ${todo.length} to change\n`);
      for (const item of todo) {
        const sign = item.desired.removal !== undefined ? '-' : '~';
        process.stdout.write(itemDiff ? `${itemDiff(item)}\n` : `  ${sign} [${item.desired.role}] ${item.desired.resource.title}${item.because ? ` (${item.because})` : ''}\n`);
      }
    }
  }
  process.stdout.write(`\n${recap(results, { check: !!opts.check })}\n`);
  if (serial) process.stdout.write(`${serialRecap(serial)}\n`);
  for (const r of results) if (r.apply?.brokeLock) process.stderr.write(`${brokeLockNote(r.host, r.apply.brokeLock)}\n`);
}
