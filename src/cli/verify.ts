import type { Command } from 'commander';
import { DEFAULT_PROBE_TIMEOUT_S } from '../verify/script.js';
import { verifyDocument, verifyTable } from '../verify/table.js';
import { checkVerifiable, exitCodeForVerify, verifyFleet } from '../verify/verify.js';
import { EXIT_HELP } from './exit-codes.js';
import { addInventoryOptions, inventoryFromOptions } from './inventory.js';
import { addConnectionOptions, boundedInt, sshOptions } from './options.js';

export function registerVerifyCommand(program: Command): void {
  const cmd = program
    .command('verify')
    .description('prove each gateway\'s paths with throwaway probe clients on the gateway: the direct half leaves from the WAN, the VPN half through the provider, names resolve, upstream DNS goes through the tunnel')
    .option('--probe-timeout <seconds>', `the gateway removes the probe by itself after this long, also when the connection drops (10-600)`, (v) => boundedInt(v, '--probe-timeout', { min: 10, max: 600 }), DEFAULT_PROBE_TIMEOUT_S);
  addInventoryOptions(cmd);
  addConnectionOptions(cmd);
  cmd.addHelpText(
    'after',
    `
On each gateway, in one round trip, fleet makes a probe client per half (a network namespace with
a WireGuard interface peered with wg0 through a temporary peer, keys made on the gateway and
destroyed, at the half's reserved probe address: verify_probe_direct / verify_probe_vpn, default
the last address of each half). From each it fetches verify_echo_url and resolves verify_names
(default: dns_entries) through the gateway. It proves: the direct half is seen at wan_public_ip
(default wan_ip); the VPN half at another address (provider_exit_ip when set); each name answers
its entry; dnsmasq's upstream queries were marked for the tunnel (the DNS mark rule's counter rose)
and none of them left by the WAN interface (a temporary counting rule). Everything is removed
afterwards; the gateway removes it by itself after --probe-timeout if the connection drops.

Examples:
  fleet verify -i inventory/lab.yaml
  fleet verify -i prod.yaml --limit eu --json
  fleet verify -i prod.yaml -e verify_echo_url=https://echo.example.net/

Exit code: 0 when every path of every gateway is proven, 2 when a proof failed, 3 when a gateway
is unreachable (and none failed), 4 on bad input.

${EXIT_HELP}`,
  );
  cmd.action(async (opts) => {
    const inv = inventoryFromOptions(opts);
    checkVerifiable(inv.hosts, inv.file);
    const pause = Number(process.env.FLEET_TEST_VERIFY_PAUSE ?? 0);
    const reports = await verifyFleet(inv.hosts, { forks: opts.forks, ssh: sshOptions(opts), probeTimeoutS: opts.probeTimeout, pauseS: Number.isFinite(pause) ? pause : 0 });
    process.stdout.write(opts.json ? `${JSON.stringify(verifyDocument(reports), null, 2)}\n` : `${verifyTable(reports)}\n`);
    process.exitCode = exitCodeForVerify(reports);
  });
}
