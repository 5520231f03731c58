/**
 * `fleet provider use <host> <name>`: switches a gateway with provider_endpoints to the named
 * endpoint now, through the gateway's own failover script (roles/provider-failover), which takes
 * the old tunnel down first (the VPN half dark, never on the WAN), records the switch with the
 * reason "fleet provider use", and brings the endpoint up. The gateway then stays on it until it
 * fails or another `fleet provider use`: a provider that comes back is not switched back to.
 */
import type { Command } from 'commander';
import { withEachHost } from '../engine/fleet.js';
import { selectHosts } from '../inventory/index.js';
import { sh } from '../shell/sh.js';
import { TransportError } from '../errors.js';
import { EXIT, EXIT_HELP, UsageError } from './exit-codes.js';
import { addInventoryOptions, inventoryFromOptions } from './inventory.js';
import { addConnectionOptions, sshOptions } from './options.js';

const SCRIPT = '/usr/local/lib/fleet/provider-failover.sh';
const CONF = '/etc/fleet/provider-failover.conf';

interface UseResult {
  host: string;
  endpoint: string;
  ok: boolean;
  reachable: boolean;
  message: string;
}

export function registerProviderCommand(program: Command): void {
  const provider = program.command('provider').description("a gateway's provider endpoints (provider_endpoints)");
  const use = provider
    .command('use')
    .argument('<host>', 'the gateway (its inventory name)')
    .argument('<name>', 'the endpoint to use, a name from its provider_endpoints')
    .description('switch a gateway to one of its provider endpoints now; it stays there until that endpoint fails');
  addInventoryOptions(use);
  addConnectionOptions(use);
  use.addHelpText(
    'after',
    `
The gateway's health check moves to the next endpoint by itself when the active one is dead for
provider_dead_after seconds. This switches at once: the old tunnel goes down first (the VPN half
is dark for the switch, never on the WAN), the new endpoint comes up, and the switch is logged with
the reason "fleet provider use" (fleet status shows it). There is no automatic switch back: after a
failover from A to B, the gateway stays on B when A returns, until B fails or this command.

Examples:
  fleet provider use gw1 A -i inventory/prod.yaml
  fleet provider use gw1 B -i inventory/prod.yaml --json

Exit code: 0 when the gateway switched (or was on it already), 2 when the switch failed on the
gateway, 3 when it is unreachable, 4 on bad input (nothing contacted).

${EXIT_HELP}`,
  );
  use.action(async (hostName: string, endpoint: string, opts) => {
    const inv = inventoryFromOptions(opts);
    const hosts = selectHosts(inv, hostName).filter((h) => h.name === hostName);
    if (hosts.length !== 1) throw new UsageError(`no host ${hostName} in ${inv.file}`, { hint: 'name one gateway by its inventory name' });
    const host = hosts[0]!;
    const endpoints = host.vars.provider_endpoints;
    if (!endpoints) throw new UsageError(`${hostName} has no provider_endpoints in ${inv.file}`, { hint: 'fleet provider use switches between the endpoints of provider_endpoints' });
    if (!endpoints.some((e) => e.name === endpoint)) {
      throw new UsageError(`${hostName} has no provider endpoint ${endpoint}`, { hint: `one of ${endpoints.map((e) => e.name).join(', ')}` });
    }
    const [result] = await withEachHost<UseResult>(
      hosts,
      { forks: 1, ssh: sshOptions(opts) },
      async (h, t) => {
        const r = await t.run(sh`if [ -x ${SCRIPT} ] || [ -f ${SCRIPT} ]; then sh ${SCRIPT} use ${CONF} ${endpoint}; else echo 'provider failover is not deployed here' >&2; exit 3; fi`);
        const message = (r.code === 0 ? r.stdout : r.stderr || r.stdout).trim();
        return { host: h.name, endpoint, ok: r.code === 0, reachable: true, message: r.code === 3 ? 'provider failover is not deployed on this gateway (fleet deploy first)' : message };
      },
      (h, err) => {
        if (!(err instanceof TransportError)) throw err;
        return { host: h.name, endpoint, ok: false, reachable: false, message: err.message };
      },
    );
    const r = result!;
    process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.host}: ${r.ok ? r.message : `not switched: ${r.message}`}\n`);
    process.exitCode = r.ok ? EXIT.OK : r.reachable ? EXIT.HOSTS_FAILED : EXIT.HOSTS_UNREACHABLE;
  });
}
