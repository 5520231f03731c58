/** Bastions from the inventory: proxy_jump, and -J / -o ProxyJump= inside ansible_ssh_*_args. */
import { describe, expect, it } from 'vitest';
import { InventoryError, formatIssue } from '../errors.js';
import { loadInventoryText } from './load.js';
import { jumpsOfSshArgs, shellWords } from './ssh-args.js';

const inv = (hostVars: string, allVars = '') => `
all:
  vars:
    wan_interface: ens5
    vpn_server_ip: 198.51.100.20
    openvpn_config_file: /etc/fleet/provider.ovpn
    wan_ip: 10.0.1.1${allVars}
  hosts:
    gw1: {${hostVars}}
`;

function load(text: string) {
  const i = loadInventoryText(text, 'inv.yaml');
  return { jumps: i.hosts[0]!.connection.proxyJump, warnings: i.warnings };
}

function errors(text: string): string[] {
  try {
    loadInventoryText(text, 'inv.yaml');
  } catch (err) {
    return (err as InventoryError).issues.map(formatIssue);
  }
  throw new Error('loaded without errors');
}

describe('ssh arguments', () => {
  it('splits words as a shell does', () => {
    expect(shellWords(`-o 'ProxyJump=a b' -o "x=\\"y\\"" plain\\ word`)).toEqual(['-o', 'ProxyJump=a b', '-o', 'x="y"', 'plain word']);
    expect(shellWords(`-o 'open`)).toBeUndefined();
  });

  it.each([
    ['-o ProxyJump=ops@jump:2222', 'ops@jump:2222'],
    ['-oProxyJump=jump', 'jump'],
    ['-o "ProxyJump jump1,jump2"', 'jump1,jump2'],
    ['-o proxyjump=jump', 'jump'],
    ['-J jump', 'jump'],
    ['-Jjump', 'jump'],
    ['-o ProxyJump=first -J second', 'first'],
  ])('%s gives %s', (args, jump) => {
    expect(jumpsOfSshArgs(args)).toEqual({ proxyJump: jump, ignored: [] });
  });

  it('lists what it ignores and refuses ProxyCommand', () => {
    expect(jumpsOfSshArgs('-o StrictHostKeyChecking=no -J b -C')).toEqual({ proxyJump: 'b', ignored: ['-o StrictHostKeyChecking=no', '-C'] });
    expect(jumpsOfSshArgs('-o ProxyCommand="ssh -W %h:%p b"').refused).toMatch(/ProxyCommand/);
    expect(jumpsOfSshArgs('-o ProxyCommand=none').refused).toBeUndefined();
    expect(jumpsOfSshArgs('-J').refused).toBe('-J without a value');
  });
});

describe('the inventory', () => {
  it('proxy_jump as a list or a comma-separated string', () => {
    expect(load(inv('proxy_jump: [ops@b1, "b2:2222"]')).jumps).toEqual(['ops@b1', 'b2:2222']);
    expect(load(inv('proxy_jump: "ops@b1, [2001:db8::5]:22"')).jumps).toEqual(['ops@b1', '[2001:db8::5]:22']);
    expect(load(inv('')).jumps).toBeUndefined();
  });

  it("ansible_ssh_common_args' ProxyJump, with the other options named in a warning", () => {
    const r = load(inv('', `\n    ansible_ssh_common_args: '-o ProxyJump=root@198.51.100.4 -o StrictHostKeyChecking=no'`));
    expect(r.jumps).toEqual(['root@198.51.100.4']);
    expect(r.warnings).toEqual([expect.stringMatching(/^inv\.yaml:\d+:\d+: .*ignored: -o StrictHostKeyChecking=no \(fleet speaks SSH itself/)]);
  });

  it('proxy_jump wins over the arguments; common arguments come before extra ones', () => {
    expect(load(inv('proxy_jump: own', `\n    ansible_ssh_common_args: -J args`)).jumps).toEqual(['own']);
    expect(load(inv('ansible_ssh_extra_args: -J extra', `\n    ansible_ssh_common_args: -J common`)).jumps).toEqual(['common']);
    expect(load(inv('ansible_ssh_extra_args: -J extra')).jumps).toEqual(['extra']);
  });

  it('bad values name the file, line and field', () => {
    expect(errors(inv('proxy_jump: "b1;rm -rf /"'))).toEqual([expect.stringMatching(/^inv\.yaml:9:\d+: .*proxy_jump.*\[user@\]host\[:port\]/)]);
    expect(errors(inv(`ansible_ssh_common_args: '-o ProxyCommand="nc %h %p"'`))).toEqual([expect.stringMatching(/^inv\.yaml:9:\d+: .*ansible_ssh_common_args.*ProxyCommand is not something fleet can run/)]);
    expect(errors(inv(`ansible_ssh_common_args: '-J "b1;x"'`))).toEqual([expect.stringMatching(/^inv\.yaml:9:\d+: .*ansible_ssh_common_args.*\[user@\]host\[:port\]/)]);
  });
});
