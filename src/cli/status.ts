import { Option, type Command } from 'commander';
import type { HostStatusReport } from '../engine/status.js';
import { statusFleet } from '../engine/status-fleet.js';
import { statusDocument, statusTable } from '../report/status.js';
import { statusMetrics } from '../metrics/status-metrics.js';
import type { VerifyHostReport } from '../verify/verify.js';
import { renderDesired } from '../roles/tasks.js';
import { EXIT, EXIT_HELP, exitCodeForStatus } from './exit-codes.js';
import { addInventoryOptions, inventoryFromOptions } from './inventory.js';
import { addConnectionOptions, addRoleOptions, positiveInt, selectedRoles, sshOptions } from './options.js';
import { addShardOptions, SHARD_HELP, shardFromOptions, shardHosts } from './shard.js';

export { exitCodeForStatus } from './exit-codes.js';

export function registerStatusCommand(program: Command): void {
  const cmd = program
    .command('status')
    .description('the live state of every gateway: reachability, wg0 and peers, OpenVPN, dnsmasq, drift, journal')
    .option('-v, --verbose', 'list each peer and each drifted resource with what is there instead')
    .option('-w, --watch [seconds]', 'refresh every few seconds (default 5) until interrupted')
    .option('--verify', 'also prove each reachable gateway\'s paths as fleet verify does (its results join the output and the exit code)')
    .addOption(new Option('--format <format>', 'table, json (same as --json) or prometheus (the text exposition format)').choices(['table', 'json', 'prometheus']));
  addInventoryOptions(cmd);
  addRoleOptions(cmd);
  addConnectionOptions(cmd);
  addShardOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  fleet status -i inventory/lab.yaml
  fleet status -i prod.yaml --limit eu --verbose
  fleet status -i prod.yaml --json | jq '.hosts[] | select(.healthy | not)'
  fleet status -i prod.yaml --format prometheus > /var/lib/prometheus/node-exporter/fleet.prom
  fleet status -i prod.yaml --shard 1/4 --json > status-1.json
                                       one CI job of four; then: fleet report merge status-*.json

Exit code: 0 when every gateway is healthy and in sync, 2 when any drifted or is unhealthy,
3 when any is unreachable (and none drifted), 4 on bad input.

${SHARD_HELP}

${EXIT_HELP}`,
  );
  cmd.action(async (opts) => {
    if (opts.format === 'json') opts.json = true;
    const shard = shardFromOptions(opts);
    const inv = inventoryFromOptions(opts);
    const { hosts, record } = shardHosts(inv.hosts, shard, !!opts.json);
    const roles = selectedRoles(opts);
    const desired = renderDesired(hosts, roles);
    const verifyMod = opts.verify ? await import('../verify/verify.js') : undefined;
    verifyMod?.checkVerifiable(hosts, inv.file);
    const verifyOnce = async (reports: HostStatusReport[]): Promise<VerifyHostReport[]> => {
      if (!verifyMod) return [];
      const reached = new Set(reports.filter((r) => r.reachable).map((r) => r.host));
      return verifyMod.verifyFleet(hosts.filter((h) => reached.has(h.name)), { forks: opts.forks, ssh: sshOptions(opts) });
    };
    const once = (): Promise<HostStatusReport[]> => statusFleet(hosts, desired, { forks: opts.forks, ssh: sshOptions(opts), prune: roles });
    const render = async (reports: HostStatusReport[], verify: VerifyHostReport[]) => {
      if (opts.format === 'prometheus') {
        process.stdout.write(statusMetrics(reports, verify.filter((v) => v.reachable).map((v) => ({ host: v.host, ok: v.ok, halves: v.proof?.halves ?? [] }))));
      } else if (opts.json) {
        const doc = statusDocument(reports, { at: new Date().toISOString(), shard: record });
        process.stdout.write(`${JSON.stringify(opts.verify ? { ...doc, verify } : doc, null, 2)}\n`);
      } else {
        process.stdout.write(`${statusTable(reports, { verbose: !!opts.verbose })}\n`);
        if (opts.verify) process.stdout.write(`\n${(await import('../verify/table.js')).verifyTable(verify)}\n`);
      }
    };
    if (opts.watch) {
      const every = opts.watch === true ? 5 : positiveInt(String(opts.watch), '--watch');
      for (;;) {
        const reports = await once();
        const verify = await verifyOnce(reports);
        const plain = !opts.json && opts.format !== 'prometheus';
        if (plain && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        process.stdout.write(!plain ? '' : `fleet status — ${new Date().toLocaleTimeString()} (every ${every}s, Ctrl-C to stop)\n\n`);
        await render(reports, verify);
        await new Promise((r) => setTimeout(r, every * 1000));
      }
    }
    const reports = await once();
    const verify = await verifyOnce(reports);
    await render(reports, verify);
    const codes = [exitCodeForStatus(reports), verifyMod?.exitCodeForVerify(verify) ?? EXIT.OK];
    process.exitCode = codes.includes(EXIT.HOSTS_FAILED) ? EXIT.HOSTS_FAILED : codes.includes(EXIT.HOSTS_UNREACHABLE) ? EXIT.HOSTS_UNREACHABLE : EXIT.OK;
  });
}
