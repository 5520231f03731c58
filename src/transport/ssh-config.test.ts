/** ~/.ssh/config as OpenSSH reads it (for the options fleet uses), and the routes fleet builds from it. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connection } from '../inventory/index.js';
import { parseJumpSpec, resolveRoute } from './route.js';
import { sshConfigFor, sshPatternMatches } from './ssh-config.js';

let home: string;
let savedHome: string | undefined;
let config: string;

function writeConfig(text: string, file = config): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function values(host: string, user?: string) {
  return sshConfigFor(config, { host, user, localUser: 'op', home });
}

const conn = (over: Partial<Connection> = {}): Connection => ({ host: 'gw1', port: 22, user: 'root', become: false, connectTimeout: 10, alias: 'gw1', ...over });

beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'fleet-sshconfig-'));
  savedHome = process.env.HOME;
  process.env.HOME = home;
  config = path.join(home, '.ssh', 'config');
});
afterEach(() => {
  process.env.HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
});

describe('ssh config evaluation', () => {
  it('the first obtained value wins; IdentityFile values add up', () => {
    writeConfig(`Host gw1
  HostName 198.51.100.11
  IdentityFile ~/.ssh/gw1
Host gw*
  HostName 198.51.100.99
  User ops
  Port 2222
  IdentityFile ~/.ssh/fleet
Host *
  User nobody
`);
    const v = values('gw1');
    expect(v.hostName).toEqual({ value: '198.51.100.11', at: `${config}:2` });
    expect(v.user?.value).toBe('ops');
    expect(v.port?.value).toBe('2222');
    expect(v.identityFiles.map((f) => f.value)).toEqual(['~/.ssh/gw1', '~/.ssh/fleet']);
    expect(values('other').user?.value).toBe('nobody');
  });

  it('matches Host patterns as ssh does: ? is one character, ! rules out, names are lowercased', () => {
    writeConfig('Host gw? !gw9\n  User a\nHost *\n  User b\n');
    expect(values('gw1').user?.value).toBe('a');
    expect(values('GW2').user?.value).toBe('a');
    expect(values('gw').user?.value).toBe('b');
    expect(values('gw10').user?.value).toBe('b');
    expect(values('gw9').user?.value).toBe('b');
    expect(sshPatternMatches('gw?', 'gw')).toBe(false);
  });

  it('reads Include in place (relative to ~/.ssh, sorted), only where its section applies', () => {
    writeConfig('Include conf.d/*.conf\nHost gw1\n  Include never.conf\n  User late\n');
    writeConfig('Host gw1\n  Port 2201\n', path.join(home, '.ssh', 'conf.d', 'b.conf'));
    writeConfig('Host gw1\n  Port 2200\nHost *\n  User inc\n', path.join(home, '.ssh', 'conf.d', 'a.conf'));
    writeConfig('Host *\n  HostName wrong\n', path.join(home, '.ssh', 'never.conf'));
    expect(values('gw1').port?.value).toBe('2200');
    expect(values('gw1').user?.value).toBe('inc');
    expect(values('gw2').hostName).toBeUndefined();
    writeConfig('Host gw2\n  Include never.conf\n');
    expect(values('gw1').hostName).toBeUndefined();
    expect(values('gw2').hostName?.value).toBe('wrong');
  });

  it('evaluates Match host, originalhost, user and all; ProxyJump and ProxyCommand: the first one wins', () => {
    writeConfig(`Host gw1
  HostName 10.9.0.1
Match host 10.9.* !user admin
  ProxyJump jump1
Match originalhost gw2
  ProxyCommand ssh -W %h:%p jump2
  ProxyJump ignored
Match all
  Port 2222
`);
    expect(values('gw1').proxyJump?.value).toBe('jump1');
    expect(values('gw1', 'admin').proxyJump).toBeUndefined();
    expect(values('gw2').proxyCommand?.value).toBe('ssh -W %h:%p jump2');
    expect(values('gw2').proxyJump).toBeUndefined();
    expect(values('gw3').port?.value).toBe('2222');
  });

  it('a Match it cannot evaluate is an error with file:line only when it sets what fleet uses', () => {
    writeConfig('Match exec "test -f /tmp/x"\n  ForwardAgent yes\nHost *\n  User ops\n');
    expect(values('gw1').user?.value).toBe('ops');
    writeConfig('# corp\nMatch exec "on-corp-net"\n  ProxyJump corp-jump\n');
    expect(() => values('gw1')).toThrow(`ssh config ${config}:2: fleet cannot evaluate 'exec on-corp-net', and its section sets proxyjump (line 3)`);
  });

  it('a missing file says nothing; an unbalanced quote is an error naming the file', () => {
    expect(values('gw1')).toEqual({ identityFiles: [] });
    writeConfig('Host gw1\n  IdentityFile "~/.ssh/x\n');
    expect(() => values('gw1')).toThrow(/ssh config .*config: cannot be parsed/);
  });
});

describe('routes from the inventory and the config', () => {
  it('an alias: HostName, User, Port, IdentityFile (tokens expanded) and ProxyJump from the config', () => {
    writeConfig(`Host gw1
  HostName 198.51.100.11
  User ops
  Port 2222
  IdentityFile ~/.ssh/%r@%h-%p
  ProxyJump jump
Host jump
  HostName 198.51.100.5
  User hop
  IdentityFile %d/.ssh/jump_key
`);
    const r = resolveRoute('gw1', conn());
    expect(r.target).toMatchObject({ label: 'gw1', host: '198.51.100.11', port: 2222, user: 'ops' });
    expect(r.target.identityFiles).toEqual([{ file: path.join(home, '.ssh', 'ops@198.51.100.11-2222'), required: false }]);
    expect(r.jumps).toEqual([
      { label: 'bastion hop@198.51.100.5:22', host: '198.51.100.5', port: 22, user: 'hop', identityFiles: [{ file: path.join(home, '.ssh', 'jump_key'), required: false }], knownHostsFile: path.join(home, '.ssh', 'known_hosts') },
    ]);
  });

  it('what the inventory sets wins: ansible_host, a port, a user, key_file (first), proxy_jump', () => {
    writeConfig('Host gw1\n  HostName 198.51.100.11\n  User ops\n  Port 2222\n  IdentityFile /keys/cfg\n  ProxyJump cfgjump\n');
    const r = resolveRoute('gw1', conn({ host: '203.0.113.7', port: 2200, user: 'admin', keyFile: '/keys/inv', proxyJump: ['root@[2001:db8::5]:2022', 'b2'] }));
    expect(r.target).toMatchObject({ host: '203.0.113.7', port: 2200, user: 'admin' });
    expect(r.target.identityFiles.map((f) => f.file)).toEqual(['/keys/inv', '/keys/cfg']);
    expect(r.jumps.map((j) => j.label)).toEqual(['bastion root@[2001:db8::5]:2022', `bastion ${os.userInfo().username}@b2:22`]);
    // The target's key_file is offered to its bastions too, after their own keys.
    expect(r.jumps[0]!.identityFiles).toEqual([{ file: '/keys/inv', required: false }]);
  });

  it("the first hop's own ProxyJump goes in front of it; later hops' do not (ssh -J semantics)", () => {
    writeConfig('Host outer\n  ProxyJump edge\nHost inner\n  ProxyJump ignored\n');
    const r = resolveRoute('gw1', conn({ proxyJump: ['outer', 'inner'] }));
    expect(r.jumps.map((j) => j.host)).toEqual(['edge', 'outer', 'inner']);
    writeConfig('Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n');
    expect(() => resolveRoute('gw1', conn({ proxyJump: ['a'] }))).toThrow(/more than 8 bastions deep/);
  });

  it('ProxyJump none, a ProxyCommand refused, a hostile HostName refused, names lowercased', () => {
    writeConfig('Host gw1\n  ProxyJump none\nHost gw2\n  ProxyCommand nc %h %p\nHost gw3\n  HostName "a b"\nHost gw4\n  HostName GW4.Example.\n');
    expect(resolveRoute('gw1', conn()).jumps).toEqual([]);
    expect(() => resolveRoute('gw2', conn({ host: 'gw2', alias: 'gw2' }))).toThrow(/ProxyCommand is not something fleet can run/);
    expect(() => resolveRoute('gw3', conn({ host: 'gw3', alias: 'gw3' }))).toThrow(/HostName 'a b' is not a host name/);
    expect(resolveRoute('gw4', conn({ host: 'gw4', alias: 'gw4' })).target.host).toBe('gw4.example');
  });

  it('without a config file fleet connects as the inventory says', () => {
    const r = resolveRoute('gw1', conn({ host: '198.51.100.11' }), { sshConfigFile: false });
    expect(r).toEqual({ target: { label: 'gw1', host: '198.51.100.11', port: 22, user: 'root', identityFiles: [], knownHostsFile: path.join(home, '.ssh', 'known_hosts') }, jumps: [] });
  });

  it('parses hops as ssh -J does', () => {
    expect(parseJumpSpec('ops@jump.example:2222', 'x')).toEqual({ user: 'ops', host: 'jump.example', port: 2222 });
    expect(parseJumpSpec('ssh://[2001:DB8::1]', 'x')).toEqual({ user: undefined, host: '2001:db8::1', port: undefined });
    expect(parseJumpSpec('2001:db8::1', 'x').host).toBe('2001:db8::1');
    expect(() => parseJumpSpec('jump:99999', 'x')).toThrow(/not a port/);
    expect(() => parseJumpSpec('ev il@jump', 'x')).toThrow(/not a user name/);
    expect(() => parseJumpSpec('jump;reboot', 'x')).toThrow(/not a host name/);
  });
});
