/**
 * The provider config (issue 14, item 7): its directive names are linted before anything is
 * uploaded, the plan shows their names with the values masked, and its bytes arrive as they are.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { loadInventoryText } from '../inventory/index.js';
import { renderResource } from '../modules/index.js';
import { runWithFakes } from '../modules/testing.js';
import { itemDiff } from '../report/diff.js';
import { Secret } from '../shell/sh.js';
import { lintOpenvpnConfig, openvpnOutline } from './openvpn-config.js';
import { ROLE_ORDER } from './order.js';
import { desiredState } from './tasks.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fleet-ovpn-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GOOD = 'client\ndev tun\nremote 198.51.100.2 1194\n<key>\nPROVIDER-KEY\nup /not/a/directive\n</key>\n';

function inventory(config: string | Buffer, extra = ''): { file: string; vars: Record<string, unknown> } {
  const file = path.join(tmp, `provider-${Math.random().toString(36).slice(2)}.ovpn`);
  writeFileSync(file, config);
  const text = `all:\n  hosts:\n    gw1:\n      host: 203.0.113.10\n      wan_interface: ens5\n      wan_ip: 10.0.1.191\n      vpn_server_ip: 198.51.100.20\n      openvpn_config_file: ${file}\n${extra}`;
  const inv = loadInventoryText(text, path.join(tmp, 'inv.yaml'));
  return { file, vars: inv.hosts[0]!.vars as unknown as Record<string, unknown> };
}

const lint = (text: string) => () => lintOpenvpnConfig(text, '/etc/p.ovpn', false);

describe('the provider config lint', () => {
  test.each([
    ['up /etc/openvpn/up.sh', "'up' runs a program"],
    ['down x', "'down' runs a program"],
    ['route-up "/bin/sh -c id"', "'route-up' runs a program"],
    ['route-pre-down x', "'route-pre-down'"],
    ['ipchange x', "'ipchange'"],
    ['client-connect x', "'client-connect'"],
    ['learn-address x', "'learn-address'"],
    ['tls-verify x', "'tls-verify'"],
    ['auth-user-pass-verify x via-env', "'auth-user-pass-verify'"],
    ['plugin /usr/lib/x.so', "'plugin'"],
    ['management 127.0.0.1 7505', "'management' opens a management interface"],
    ['management-client-auth', "'management-client-auth'"],
    ['script-security 2', "'script-security' above 1"],
    ['script-security 3 system', "'script-security' above 1"],
    ['config /tmp/other.conf', "'config' includes another file"],
    ['--up x', "'up'"],
    ['UP x', "'up'"],
    ['"up" x', "'up'"],
    ['setenv opt route-up x', "'route-up'"],
    ['<connection>\nremote 198.51.100.3\nup x\n</connection>', "'up'", 5],
  ])('refuses %j', (directive, message, line = 3) => {
    const text = `client\nremote 198.51.100.2 1194\n${directive}\n`;
    expect(lint(text)).toThrow(ModuleArgsError);
    expect(lint(text)).toThrow(message);
    // the file and the line of the directive
    expect(lint(text)).toThrow(new RegExp(`^/etc/p\\.ovpn:${line}: `));
  });

  test('passes a plain client config: comments, script-security 1, and key blocks whose text looks like directives', () => {
    expect(lint(`# up /x\n; plugin y\nscript-security 1\n${GOOD}<tls-auth>\nplugin inside a key block\n</tls-auth>\n`)).not.toThrow();
  });

  test('every refused line is named, and openvpn_allow_scripts lets them through', () => {
    const text = 'client\nup a\nremote 198.51.100.2\nplugin b\n';
    expect(lint(text)).toThrow(/\/etc\/p\.ovpn:2: 'up'[^\n]*\n\/etc\/p\.ovpn:4: 'plugin'/);
    expect(() => lintOpenvpnConfig(text, '/etc/p.ovpn', true)).not.toThrow();
  });

  test('the outline: directive names with every value masked; key blocks only by name', () => {
    expect(openvpnOutline(GOOD)).toEqual(['client', 'dev ***', 'remote ***', '<key> (inline)']);
  });
});

describe('the provider config in the desired state', () => {
  test('a hook stops rendering with the file and line (nothing is run), unless openvpn_allow_scripts: true', () => {
    const { file, vars } = inventory('client\nremote 198.51.100.2 1194\nroute-up /usr/local/bin/x\n');
    expect(() => desiredState(vars, ROLE_ORDER)).toThrow(`${file}:3: 'route-up' runs a program as root`);
    const allowed = inventory('client\nroute-up /usr/local/bin/x\n', '      openvpn_allow_scripts: true\n');
    expect(desiredState(allowed.vars, ROLE_ORDER).some((d) => d.resource.id === 'file:/etc/openvpn/client/fleet-provider.conf')).toBe(true);
  });

  test('fleet deploy --check refuses it as bad input (exit 4) before contacting any host', () => {
    const { file } = inventory('client\nplugin /usr/lib/evil.so\n');
    const inv = path.join(tmp, 'cli.yaml');
    writeFileSync(inv, `all:\n  hosts:\n    gw1:\n      host: 203.0.113.10\n      wan_interface: ens5\n      wan_ip: 10.0.1.191\n      vpn_server_ip: 198.51.100.20\n      openvpn_config_file: ${file}\n`);
    const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'bin', 'fleet.js');
    const r = spawnSync(process.execPath, [bin, 'deploy', inv, '--check'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toContain(`${file}:2: 'plugin' runs a program as root`);
    expect(r.stderr).toContain('openvpn_allow_scripts: true');
  });

  test('the plan --diff of a changed provider config shows its directive names, never a value', () => {
    const { vars } = inventory(GOOD);
    const d = desiredState(vars, ROLE_ORDER).find((x) => x.resource.id === 'file:/etc/openvpn/client/fleet-provider.conf')!;
    const current = '@@fleet-file present mode=0600 owner=root group=root content=differs secret\n';
    const shown = itemDiff({ desired: d, state: 'change', current } as never);
    expect(shown).toBe(
      [
        '  ~ file:/etc/openvpn/client/fleet-provider.conf: secret content; not shown',
        '      holds (values masked):',
        '        client',
        '        dev ***',
        '        remote ***',
        '        <key> (inline)',
      ].join('\n'),
    );
    for (const secret of ['PROVIDER-KEY', '198.51.100.2', '1194', 'tun']) expect(shown).not.toContain(secret);
  });

  test('its bytes are uploaded as they are: a Latin-1 E9 stays E9 (not EF BF BD)', () => {
    const bytes = Buffer.from([...Buffer.from('client\n# caf'), 0xe9, 0x0a, ...Buffer.from('remote 198.51.100.2\n')]);
    const { vars } = inventory(bytes);
    const r = desiredState(vars, ROLE_ORDER).find((x) => x.resource.id === 'file:/etc/openvpn/client/fleet-provider.conf')!.resource;
    // what the check (and the plan's proof) compare the host's file with: the hash of those bytes
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(r.proof!.lines.map((l) => (l instanceof Secret ? l.value : l))).toContain(`file /etc/openvpn/client/fleet-provider.conf ${sha} 600`);
    // the file module, given the same bytes, writes exactly them (run for real into a temp file)
    const target = path.join(tmp, 'uploaded.conf');
    const f = renderResource('file', { path: target, content: readFileSync(vars.openvpn_config_file as string), mode: '0600', secret: true });
    expect(runWithFakes(f.apply, {}).code).toBe(0);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(runWithFakes(f.check, {}).code).toBe(0);
  });
});
