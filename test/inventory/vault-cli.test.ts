/**
 * Ansible Vault through the built CLI, as an operator runs it: the flags on the commands that
 * load an inventory, exit 4 with file:line for no, wrong or unusable passwords, and no decrypted
 * value in any output (inventory --list, --host, --resolved, error messages). Texts are made by
 * the real ansible-vault; no host is contacted (every deploy here stops at the inventory).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetCli } from '../lab/cli.js';
import { PASSWORDS, makeVaultLab, skipWithoutVaultTool } from './vault-fixtures.js';
import { repoRoot } from '../../src/lab/state.js';

/** The CLI on a pseudo-terminal (util-linux `script`); `answer` is typed once `prompt` shows. */
function onTerminal(args: string[], prompt: string, answer: string): Promise<{ code: number | null; output: string }> {
  const quoted = [process.execPath, path.join(repoRoot(), 'bin', 'fleet.js'), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', quoted, '/dev/null'], { env: { ...process.env, ANSIBLE_VAULT_PASSWORD_FILE: '', NO_COLOR: '1' } });
  let output = '';
  let typed = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit; output so far: ${output}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (!typed && output.includes(prompt)) {
        typed = true;
        child.stdin.write(`${answer}\r`);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.skipIf(skipWithoutVaultTool)('fleet with Ansible Vault (CLI)', () => {
  const lab = makeVaultLab();
  afterAll(() => lab.cleanup());
  const PROVIDER = '198.51.100.77';
  const BACKUP = 's3://bucket/hidden-path-7f3a';
  const inv = path.join(lab.dir, 'inv');
  mkdirSync(path.join(inv, 'group_vars'), { recursive: true });
  const hosts = path.join(inv, 'hosts.yml');
  writeFileSync(
    hosts,
    `all:
  hosts:
    gw1:
      host: 203.0.113.10
      wan_interface: ens5
      wan_ip: 10.0.1.191
      vpn_server_ip: ${lab.vaultYaml(PROVIDER, 6, 'lab')}      openvpn_config_file: /etc/fleet/provider.ovpn
`,
  );
  lab.encryptFile('inv/group_vars/all.yml', `wg_port: 51999\nbackup_target: ${BACKUP}\n`);
  const both = ['--vault-id', `lab@${lab.passFile.lab}`, '--vault-password-file', lab.passFile.default];
  const plaintexts = [PROVIDER, BACKUP, '51999'];
  const noSecrets = (text: string) => {
    for (const p of plaintexts) expect(text, `${p} leaked`).not.toContain(p);
  };

  it('inventory --list / --host: decrypted, shown as ansible-inventory shows vault values, never in clear', async () => {
    const list = await fleetCli(['inventory', '-i', hosts, '--list', ...both]);
    expect(list.code, list.stderr).toBe(0);
    noSecrets(list.stdout + list.stderr);
    const vars = JSON.parse(list.stdout)._meta.hostvars.gw1;
    expect(vars.vpn_server_ip).toEqual({ __ansible_vault: expect.stringMatching(/^\$ANSIBLE_VAULT;1\.2;AES256;lab\n/) });
    expect(vars.backup_target).toBe('***');
    expect(vars.wg_port).toBe('***');
    const host = await fleetCli(['inventory', '-i', hosts, '--host', 'gw1', ...both]);
    expect(host.code, host.stderr).toBe(0);
    noSecrets(host.stdout + host.stderr);
    expect(JSON.parse(host.stdout).backup_target).toBe('***');
  });

  it('inventory --resolved (what a gateway gets): the values are used, the output shows ***', async () => {
    const r = await fleetCli(['inventory', '-i', hosts, '--list', '--resolved', ...both]);
    expect(r.code, r.stderr).toBe(0);
    noSecrets(r.stdout + r.stderr);
    const vars = JSON.parse(r.stdout)._meta.hostvars.gw1;
    expect(vars.vpn_server_ip).toBe('***');
    expect(vars.wg_port).toBe('***');
  });

  it('ANSIBLE_VAULT_PASSWORD_FILE is a password source too; a 1.2 text opens with the right password under any id', async () => {
    const r = await fleetCli(['inventory', '-i', hosts, '--host', 'gw1', '--vault-password-file', lab.passFile.lab], {
      env: { ANSIBLE_VAULT_PASSWORD_FILE: lab.passFile.default },
    });
    expect(r.code, r.stderr).toBe(0);
    noSecrets(r.stdout);
  });

  it('no password: exit 4 naming the file and line, with the flags to give; no host contacted', async () => {
    for (const cmd of [['inventory', '-i', hosts, '--list'], ['deploy', hosts, '--check'], ['status', '-i', hosts]]) {
      const started = Date.now();
      const r = await fleetCli(cmd, { env: { ANSIBLE_VAULT_PASSWORD_FILE: '' } });
      expect(r.code, cmd.join(' ')).toBe(4);
      expect(r.stderr).toMatch(/vault password needed: .*inv\/(hosts\.yml:7: the value of vpn_server_ip|group_vars\/all\.yml:1: the file) is encrypted with Ansible Vault: give --vault-password-file FILE, --ask-vault-pass or --vault-id/);
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  it('a wrong password: exit 4 naming the file, line and vault ids tried; nothing decrypted shows', async () => {
    const r = await fleetCli(['deploy', hosts, '--check', '--vault-id', `lab@${lab.passFile.other}`, '--vault-password-file', lab.passFile.default]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${hosts}:7: cannot decrypt the value of vpn_server_ip (made with vault id lab): wrong vault password (tried vault ids lab, default)`);
    noSecrets(r.stderr + r.stdout);
  });

  it('an unreadable password file or a damaged vault text: exit 4, naming it', async () => {
    const missing = await fleetCli(['inventory', '-i', hosts, '--vault-password-file', path.join(lab.dir, 'nope')]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/cannot read the vault password: vault password file .*nope: no such file/);
    const damaged = path.join(lab.dir, 'damaged.yml');
    writeFileSync(damaged, 'all:\n  hosts:\n    gw1:\n      x: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162z\n');
    const bad = await fleetCli(['inventory', '-i', damaged, '--vault-password-file', lab.passFile.default]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/damaged vault text: .*damaged\.yml:4: the value of x is not a readable Ansible Vault text: the payload is not hexadecimal/);
  });

  it('a decrypted value that fails validation is named, never shown', async () => {
    const badInv = path.join(lab.dir, 'bad-value.yml');
    writeFileSync(badInv, `all:\n  hosts:\n    gw1:\n      host: 203.0.113.10\n      wan_interface: ens5\n      wan_ip: ${lab.vaultYaml('not-an-address-q9', 6)}      vpn_server_ip: 198.51.100.20\n      openvpn_config_file: /etc/fleet/provider.ovpn\n`);
    const r = await fleetCli(['deploy', badInv, '--check', '--vault-password-file', lab.passFile.default]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/bad-value\.yml:6:\d+: host gw1, field wan_ip: /);
    expect(r.stderr).not.toContain('not-an-address-q9');
  });

  it('--ask-vault-pass asks on the terminal without echo, after the --vault-id passwords', async () => {
    const r = await onTerminal(['inventory', '-i', hosts, '--host', 'gw1', '--vault-id', `lab@${lab.passFile.lab}`, '--ask-vault-pass'], 'Vault password: ', PASSWORDS.default);
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toContain(PASSWORDS.default);
    noSecrets(r.output);
    expect(r.output).toContain('"backup_target": "***"');
  });

  it('every command that loads an inventory has the vault flags', async () => {
    for (const cmd of [['deploy'], ['status'], ['rollback'], ['verify'], ['inventory'], ['peer', 'add'], ['peer', 'list'], ['peer', 'remove']]) {
      const r = await fleetCli([...cmd, '--help']);
      expect(r.stdout, cmd.join(' ')).toMatch(/--vault-password-file <file>[\s\S]*--ask-vault-pass[\s\S]*--vault-id <label@source>/);
    }
  });
});
