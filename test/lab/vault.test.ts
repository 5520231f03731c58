/**
 * A lab deploy whose provider address comes from a `!vault` value (made by the real
 * ansible-vault): decrypted on the controller, used by the roles (the namespace's route to the
 * provider), and never shown by `deploy --check --diff --json`, where the same inventory in
 * clear shows it. Nor does the gateway keep it anywhere but where it works: after a deploy that a
 * fault rolled back and after a good one, fleet's run state (/var/lib/fleet: journal, step ids,
 * reverts, backups, history, the record of what it applied) and every file fleet wrote hold no decrypted value, except the
 * value's own destinations (below).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_IP } from '../../src/lab/names.js';
import { makeVaultLab, type VaultLab } from '../inventory/vault-fixtures.js';
import { fleetCli } from './cli.js';
import { gatewayExec, snapshotGateway, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let vault: VaultLab;
let inv: string;
let vaultArgs: string[];

/**
 * Where the provider's address must be on a deployed gateway: the boot scripts re-create (and
 * remove) its route at boot, 0700 root, as the kernel holds it; the provider's config is its own
 * destination (0600); OpenVPN's log is the daemon's own.
 */
const DESTINATIONS = new Set(['/etc/wireguard/wg0-up.sh', '/etc/wireguard/wg0-down.sh', '/etc/openvpn/client/fleet-provider.conf', '/run/fleet/openvpn.log']);
/** fleet's run state and every directory fleet writes files into. */
const FLEET_DIRS = ['/var/lib/fleet', '/etc/fleet', '/etc/wireguard', '/etc/netns', '/etc/openvpn', '/etc/dnsmasq.d', '/etc/systemd/system', '/usr/local/lib/fleet', '/run/fleet'];

/** Files on gw1 outside DESTINATIONS that hold `ip` (as a whole address: not 198.51.100.20). */
async function filesHolding(ip: string): Promise<string[]> {
  const re = `(^|[^0-9.])${ip.replaceAll('.', '\\.')}([^0-9]|$)`;
  const r = await gatewayExec(lab, 'gw1', `grep -rlE '${re}' ${FLEET_DIRS.join(' ')} 2>/dev/null; true`);
  // What fleet recorded a run applied (applied.ts) is base64, field by field: decoded too.
  const recorded = await gatewayExec(
    lab,
    'gw1',
    `for f in /var/lib/fleet/applied/*; do [ -f "$f" ] || continue; for w in $(cat "$f"); do printf '%s' "$w" | base64 -d 2>/dev/null; echo; done | grep -qE '${re}' && echo "$f (decoded)"; done; true`,
  );
  return [...r.stdout.split('\n'), ...recorded.stdout.split('\n')].filter((f) => f && !DESTINATIONS.has(f));
}

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, fresh: true }, suite);
  vault = makeVaultLab();
  const text = readFileSync(lab.inventory, 'utf8');
  const line = `    vpn_server_ip: ${PROVIDER_IP}\n`;
  expect(text).toContain(line);
  inv = path.join(vault.dir, 'lab-vaulted.yaml');
  writeFileSync(inv, text.replace(line, `    vpn_server_ip: ${vault.vaultYaml(PROVIDER_IP, 4, 'lab')}`));
  vaultArgs = ['--vault-id', `lab@${vault.passFile.lab}`];
});
afterAll(async () => {
  vault?.cleanup();
  await teardownLab();
});

describe('a lab deploy with a vaulted variable', () => {
  it('deploy --check --diff --json shows the provider address only when it is not vaulted', async () => {
    const plain = await fleetCli(['deploy', lab.inventory, '--check', '--diff', '--json']);
    expect(plain.stdout, 'control: the address is in the plan of the inventory in clear').toContain(PROVIDER_IP);
    const r = await fleetCli(['deploy', inv, '--check', '--diff', '--json', ...vaultArgs]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json, r.stdout.slice(0, 400)).toBeTruthy();
    expect(r.stdout + r.stderr).not.toContain(PROVIDER_IP);
  });

  it('a fault at the vaulted route and at the last step: back to the exact snapshot, nothing of the value kept', async () => {
    const bare = await snapshotGateway(lab, 'gw1');
    expect(await filesHolding(PROVIDER_IP), 'the bare gateway').toEqual([]);
    // Positions among the changes, from the plan of the same inventory in clear (same resources).
    const plan = await fleetCli(['deploy', lab.inventory, '--check', '--json']);
    const changes = plan.json.hosts[0].resources.filter((r: { planned: string }) => r.planned === 'change').map((r: { id: string }) => r.id);
    const route = changes.findIndex((id: string) => id.includes(`${PROVIDER_IP}`)) + 1;
    expect(route, changes.join('\n')).toBeGreaterThan(0);
    for (const step of [route, changes.length]) {
      const r = await fleetCli(['deploy', inv, '--json', ...vaultArgs], { env: { FLEET_TEST_FAIL_STEP: String(step) } });
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.json.hosts[0].label, `step ${step}`).toBe('failed, rolled back');
      expect(await snapshotGateway(lab, 'gw1'), `step ${step}: the pre-deploy snapshot`).toBe(bare);
      expect(await filesHolding(PROVIDER_IP), `step ${step}: files holding the vaulted value`).toEqual([]);
    }
  });

  it('deploys with the decrypted value: the namespace routes the provider address, and only its destinations hold it', async () => {
    const r = await fleetCli(['deploy', inv, '--json', ...vaultArgs]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PROVIDER_IP);
    const route = await gatewayExec(lab, 'gw1', `ip -n vpn route show ${PROVIDER_IP}/32`);
    expect(route.stdout).toContain(PROVIDER_IP);
    expect(await filesHolding(PROVIDER_IP), 'files holding the vaulted value').toEqual([]);
    const up = await gatewayExec(lab, 'gw1', `stat -c %a /etc/wireguard/wg0-up.sh; grep -qF ' ${PROVIDER_IP}/32 ' /etc/wireguard/wg0-up.sh && echo routes`);
    expect(up.stdout.trim().split('\n'), 'control: the boot script, 0700, re-creates the route').toEqual(['700', 'routes']);
  });

  it('a second deploy after an edit keeps nothing of the value in the journal either (the boot script backup)', async () => {
    const r = await fleetCli(['deploy', inv, '--json', ...vaultArgs, '-e', 'wg_mtu=1380']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.summary.changed, r.stdout.slice(0, 400)).toBe(1);
    expect(await filesHolding(PROVIDER_IP), 'files holding the vaulted value').toEqual([]);
  });
});
