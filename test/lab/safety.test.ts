/**
 * Operator safety on the lab (issue 10): hostile input reaches the host only as inert data,
 * secrets appear in no output, journal or log, key files are 0600 from birth, and a non-root user
 * deploys through become (a user without sudo rights gets a clear error and nothing changes).
 *
 * The confirmed-deploy watchdog has its own file (safety-watchdog.test.ts); the property-based
 * half of hostile input is test/fuzz/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/load.js';
import { desiredState } from '../../src/roles/tasks.js';
import { ROLE_ORDER } from '../../src/roles/order.js';
import { fleetCli, type CliResult } from './cli.js';
import { gatewayExec, snapshotGateway, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let tmp: string;
let bare: Record<string, string> = {};

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 3, fresh: true }, suite);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-safety-'));
  bare = {};
  for (const g of ['gw1', 'gw2', 'gw3']) bare[g] = await snapshotGateway(lab, g);
});
afterAll(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await teardownLab();
});

/** The lab inventory with `edit` applied to its parsed document, written to a temp file. */
function inventoryWith(name: string, edit: (doc: any) => void): string {
  const doc = parse(readFileSync(lab.inventory, 'utf8'));
  edit(doc);
  const file = path.join(tmp, name);
  writeFileSync(file, stringify(doc));
  return file;
}

const PWNED = ['/tmp/pwned', '/root/pwned', '/pwned', '/var/lib/fleet/pwned'];

describe('hostile input on a real gateway', () => {
  it('shell in the OpenVPN config path and content is inert: deployed, and /tmp/pwned exists nowhere', async () => {
    // The schema refuses shell in every field rendered on the host (test/fuzz); what it accepts is
    // the controller-side path of the provider config (any absolute path) and that file's content,
    // which reaches the host as data. Put shell in both.
    const hostileDir = path.join(tmp, "$(touch pwned) ;reboot 'q\" `touch pwned`");
    mkdirSync(hostileDir, { recursive: true });
    const ovpn = path.join(hostileDir, 'client $(touch pwned).ovpn');
    const src = readFileSync(lab.provider!.clientConfig, 'utf8');
    writeFileSync(ovpn, `# $(touch /tmp/pwned) \`touch /tmp/pwned\` '; touch /tmp/pwned; '\n${src}`, { mode: 0o600 });
    const inv = inventoryWith('hostile.yaml', (d) => {
      d.all.hosts.gw1.openvpn_config_file = ovpn;
    });
    const r = await fleetCli(['deploy', inv, '--json', '--limit', 'gw1', '--diff']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.hosts[0].status).toBe('changed');
    const onHost = await gatewayExec(lab, 'gw1', `for f in ${PWNED.join(' ')}; do [ -e "$f" ] && echo "$f"; done; grep -c 'touch /tmp/pwned' /etc/openvpn/client/fleet-provider.conf`);
    expect(onHost.stdout.trim()).toBe('1'); // the comment arrived as data, nothing ran
    for (const f of PWNED) expect(existsSync(f), f).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('pwned') && !f.includes('$'))).toEqual([]);
    expect(existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
    expect(existsSync(path.join(hostileDir, 'pwned'))).toBe(false);
  });

  it('a hostile -e value is refused before any host is contacted (exit 4, file:line-style message)', async () => {
    const before = await snapshotGateway(lab, 'gw2');
    const r = await fleetCli(['deploy', lab.inventory, '--limit', 'gw2', '-e', 'wan_interface=ens5;touch /tmp/pwned', '-e', 'dns_entries=[{"name":"$(touch /tmp/pwned)","ip":"10.4.0.7"}]']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/wan_interface/);
    expect(r.stderr).toMatch(/dns_entries/);
    expect(await snapshotGateway(lab, 'gw2')).toBe(before);
    const onHost = await gatewayExec(lab, 'gw2', `ls /tmp/pwned 2>/dev/null; ls /var/lib/fleet/runs 2>/dev/null | wc -l`);
    expect(onHost.stdout.trim()).toBe('0');
  });
});

describe('secrets', () => {
  it('the WireGuard private key and the OpenVPN client key appear in no output, journal or log', async () => {
    const outputs: Record<string, CliResult> = {};
    outputs.deployDiff = await fleetCli(['deploy', lab.inventory, '--diff', '--limit', 'gw2']);
    expect(outputs.deployDiff.code, outputs.deployDiff.stdout + outputs.deployDiff.stderr).toBe(0);
    // A changed provider config: the diff of a secret file is shown masked, the old one journaled.
    const ovpn2 = path.join(tmp, 'client2.ovpn');
    const ovpnSrc = parse(readFileSync(lab.inventory, 'utf8')).all.vars.openvpn_config_file as string;
    writeFileSync(ovpn2, `${readFileSync(ovpnSrc, 'utf8')}\n# rotated\n`, { mode: 0o600 });
    const inv2 = inventoryWith('secrets.yaml', (d) => {
      d.all.hosts.gw2.openvpn_config_file = ovpn2;
    });
    outputs.checkDiff = await fleetCli(['deploy', inv2, '--check', '--diff', '--limit', 'gw2']);
    outputs.deployJson = await fleetCli(['deploy', inv2, '--json', '--diff', '--limit', 'gw2']);
    expect(outputs.deployJson.code, outputs.deployJson.stdout).toBe(0);
    outputs.status = await fleetCli(['status', '-i', inv2, '--json', '--limit', 'gw2']);
    outputs.statusVerbose = await fleetCli(['status', '-i', inv2, '--verbose', '--limit', 'gw2']);
    outputs.inventory = await fleetCli(['inventory', '-i', inv2, '--host', 'gw2']);
    outputs.previous = await fleetCli(['rollback', 'gw2', '-i', inv2, '--previous', '--yes', '--json']);
    expect(outputs.previous.code, outputs.previous.stdout).toBe(0);

    const wgKey = (await gatewayExec(lab, 'gw2', 'cat /etc/wireguard/wg0.key')).stdout.trim();
    expect(wgKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const ovpnText = readFileSync(ovpnSrc, 'utf8');
    const keyBody = /<key>\n([\s\S]*?)<\/key>/.exec(ovpnText)?.[1] ?? /-----BEGIN [A-Z ]*PRIVATE KEY-----\n([\s\S]*?)-----END/.exec(ovpnText)?.[1];
    expect(keyBody, 'the provider config holds an inline client key').toBeTruthy();
    const keyLines = keyBody!.split('\n').filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l));
    expect(keyLines.length).toBeGreaterThan(0);
    const needles = [wgKey, ...keyLines];

    const leaks: string[] = [];
    for (const [name, o] of Object.entries(outputs)) {
      for (const n of needles) if (o.stdout.includes(n) || o.stderr.includes(n)) leaks.push(`${name} output holds ${n === wgKey ? 'the wg private key' : 'the OpenVPN key'}`);
    }
    // On the host: the journal (except the per-step state dirs, which hold backups of the host's own
    // files, e.g. the previous provider config: root-only, 0700 dirs under a 0700 /var/lib/fleet)
    // and every log fleet or its daemons write.
    const hostFiles = await gatewayExec(
      lab,
      'gw2',
      `find /var/lib/fleet -path '*/steps/*/state' -prune -o -type f -print; find /run/fleet /var/log -type f 2>/dev/null`,
    );
    const files = hostFiles.stdout.split('\n').filter(Boolean);
    expect(files.some((f) => f.includes('/runs/'))).toBe(true);
    for (const f of files) {
      const content = (await gatewayExec(lab, 'gw2', `cat '${f.replace(/'/g, `'\\''`)}'`)).stdout;
      for (const n of needles) if (content.includes(n)) leaks.push(`${f} holds ${n === wgKey ? 'the wg private key' : 'the OpenVPN key'}`);
    }
    expect(leaks).toEqual([]);
    const stateDirs = await gatewayExec(lab, 'gw2', `stat -c '%a %U' /var/lib/fleet /var/lib/fleet/runs; find /var/lib/fleet -type d -path '*/steps/*/state' -exec stat -c '%a %U' {} + | sort -u`);
    expect(new Set(stateDirs.stdout.trim().split('\n'))).toEqual(new Set(['700 root']));
  });

  it('key and config files are 0600 root, written through a 0600 temp file and renamed (no readable window)', async () => {
    expect((await fleetCli(['deploy', lab.inventory, '--json', '--limit', 'gw2'])).code).toBe(0);
    const modes = await gatewayExec(lab, 'gw2', 'stat -c "%n %a %U" /etc/wireguard/wg0.key /etc/openvpn/client/fleet-provider.conf');
    expect(modes.stdout.trim().split('\n')).toEqual(['/etc/wireguard/wg0.key 600 root', '/etc/openvpn/client/fleet-provider.conf 600 root']);
    // The rendered apply of both: umask 077 before mktemp in the target's directory, chmod on the
    // temp file, then mv over the path; never a redirect into the final path.
    const inv = loadInventory(lab.inventory, { limit: 'gw2' });
    const desired = desiredState(inv.hosts[0]!.vars as unknown as Record<string, unknown>, ROLE_ORDER as never);
    for (const p of ['/etc/wireguard/wg0.key', '/etc/openvpn/client/fleet-provider.conf']) {
      const res = desired.find((d) => d.resource.apply.text.includes(p) && /mktemp/.test(d.resource.apply.text) && (d.resource.id.includes('key') || d.resource.id.includes('fleet-provider')));
      expect(res, p).toBeTruthy();
      const text = res!.resource.apply.text;
      const umask = text.indexOf('umask 077');
      const mktemp = text.indexOf('mktemp');
      const mv = text.indexOf('mv -f');
      expect(umask, `${p}: umask 077`).toBeGreaterThanOrEqual(0);
      expect(mktemp).toBeGreaterThan(umask);
      expect(mv).toBeGreaterThan(mktemp);
      expect(text).not.toMatch(new RegExp(`>\\s*'?${p.replace(/[/.]/g, '\\$&')}'?(\\s|$)`));
    }
  });
});

describe('become', () => {
  it('the lab\'s non-root user deploys through sudo (-e user=fleetop -e become=true)', async () => {
    const user = lab.ssh.becomeUser ?? 'fleetop';
    const r = await fleetCli(['deploy', lab.inventory, '--json', '--limit', 'gw3', '-e', `user=${user}`, '-e', 'become=true']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.hosts[0].status).toBe('changed');
    const meta = await gatewayExec(lab, 'gw3', 'stat -c %U /etc/wireguard/wg0.key; cat /var/lib/fleet/last-success');
    expect(meta.stdout).toMatch(/^root\n/);
    const again = await fleetCli(['deploy', lab.inventory, '--json', '--limit', 'gw3', '-e', `user=${user}`, '-e', 'become=true']);
    expect(again.json.summary.changed).toBe(0);
  });

  it('a user without sudo rights gets a clear error and nothing changes', async () => {
    const mk = await gatewayExec(
      lab,
      'gw1',
      `set -e; id nosudo >/dev/null 2>&1 || useradd -M -d /var/lib/nosudo -s /bin/sh nosudo
usermod -p '*' nosudo  # no password, but not locked: sshd (UsePAM no) refuses locked accounts
mkdir -p /var/lib/nosudo/.ssh; cp /root/.ssh/authorized_keys /var/lib/nosudo/.ssh/
chown -R nosudo: /var/lib/nosudo; chmod 700 /var/lib/nosudo /var/lib/nosudo/.ssh`,
    );
    expect(mk.code, mk.stderr).toBe(0);
    const before = await snapshotGateway(lab, 'gw1');
    const journal = (await gatewayExec(lab, 'gw1', 'ls /var/lib/fleet/runs | wc -l')).stdout;
    const r = await fleetCli(['deploy', lab.inventory, '--json', '--limit', 'gw1', '-e', 'user=nosudo', '-e', 'become=true', '-e', 'wg_mtu=1400']);
    expect(r.code, r.stdout).toBe(2);
    const err = r.json.hosts[0].error;
    expect(err.message).toMatch(/sudo -n failed for nosudo/);
    expect(err.hint).toMatch(/passwordless sudo/);
    expect(await snapshotGateway(lab, 'gw1')).toBe(before);
    expect((await gatewayExec(lab, 'gw1', 'ls /var/lib/fleet/runs | wc -l')).stdout).toBe(journal);
  });
});
