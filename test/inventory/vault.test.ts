/**
 * Ansible Vault, decrypted by fleet, against texts made by the real ansible-vault: `!vault` values
 * and wholly encrypted files, formats 1.1 and 1.2 (labels), every password source, and the
 * errors (no password, wrong password, damaged text, unusable password file) naming file:line.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { extraVarsLayer, inventoryHostVars, readInventory } from '../../src/inventory/index.js';
import { isVaultRevealed, maskSecrets, revealVaultValue } from '../../src/inventory/mask.js';
import { redactRevealed } from '../../src/inventory/vault-redact.js';
import { decryptVault, useVaultSecrets } from '../../src/inventory/vault-keyring.js';
import { VaultDecryptError, VaultFormatError, VaultPasswordError, VaultPasswordMissingError } from '../../src/inventory/vault-errors.js';
import { readPasswordFile, resolveVaultSecrets, splitVaultId, type VaultSecret } from '../../src/inventory/vault-passwords.js';
import { parseEnvelope } from '../../src/inventory/vault.js';
import { parseYaml, toPlain } from '../../src/inventory/yaml.js';
import { PASSWORDS, makeVaultLab, skipWithoutVaultTool } from './vault-fixtures.js';

const secret = (id: string, pw: string): VaultSecret => ({ id, password: Buffer.from(pw) });
const noAsk = () => Promise.reject(new Error('no prompt expected'));

describe.skipIf(skipWithoutVaultTool)('Ansible Vault texts made by ansible-vault', () => {
  const lab = makeVaultLab();
  afterAll(() => lab.cleanup());
  afterEach(() => useVaultSecrets(undefined));
  const at = { file: 'x.yml', line: 3 };

  it('a 1.1 value decrypts to its plaintext (unicode and several lines too)', () => {
    useVaultSecrets([secret('default', PASSWORDS.default)]);
    for (const plain of ['s3cr3t', 'zürich – 東京 🔑', 'line one\nline two\n', 'x'.repeat(100)]) {
      const text = lab.encryptString(plain);
      expect(parseEnvelope(text)).toMatchObject({ version: '1.1', cipher: 'AES256' });
      expect(decryptVault(text, 'v', at).toString('utf8')).toBe(plain);
    }
  });

  it('a 1.2 value: its label picks the password first, the others are tried after it, as Ansible does', () => {
    const text = lab.encryptString('labelled', 'lab');
    expect(parseEnvelope(text)).toMatchObject({ version: '1.2', label: 'lab' });
    useVaultSecrets([secret('default', PASSWORDS.other), secret('lab', PASSWORDS.lab)]);
    expect(decryptVault(text, 'v', at).toString()).toBe('labelled');
    // The label is a hint, not a binding: the password of another id still opens it.
    useVaultSecrets([secret('prod', PASSWORDS.lab)]);
    expect(decryptVault(text, 'v', at).toString()).toBe('labelled');
  });

  it('a wrong password: VAULT_DECRYPT_FAILED naming the place and the vault ids tried', () => {
    const text = lab.encryptString('nope', 'lab');
    useVaultSecrets([secret('default', PASSWORDS.other), secret('lab', PASSWORDS.default)]);
    const err = (() => {
      try {
        decryptVault(text, 'the value of wg_psk', at);
      } catch (e) {
        return e as VaultDecryptError;
      }
      throw new Error('decrypted with a wrong password');
    })();
    expect(err).toBeInstanceOf(VaultDecryptError);
    expect(err.code).toBe('VAULT_DECRYPT_FAILED');
    expect(err.short()).toBe('x.yml:3: cannot decrypt the value of wg_psk (made with vault id lab): wrong vault password (tried vault ids lab, default)');
    expect(err.full()).not.toContain(PASSWORDS.default);
  });

  it('no password: VAULT_PASSWORD_MISSING with the flags to give', () => {
    useVaultSecrets([]);
    expect(() => decryptVault(lab.encryptString('a'), 'the value of k', at)).toThrow(VaultPasswordMissingError);
    expect(() => decryptVault(lab.encryptString('a'), 'the value of k', at)).toThrow(/k is encrypted with Ansible Vault: give --vault-password-file FILE, --ask-vault-pass or --vault-id/);
  });

  it('a damaged text: VAULT_FORMAT_INVALID, before any password is tried', () => {
    useVaultSecrets([secret('default', PASSWORDS.default)]);
    const good = lab.encryptString('whole');
    const lines = good.trimEnd().split('\n');
    const cases: [string, RegExp][] = [
      [`${lines.slice(0, -1).join('\n')}\n${lines.at(-1)!.slice(1)}`, /not hexadecimal/],
      [good.replace('1.1', '1.0'), /vault format 1\.0 is not supported/],
      [good.replace('AES256', 'AES'), /cipher AES is not supported/],
      [lines[0]!, /no payload/],
      [`${lines[0]}\nzz${lines[1]!.slice(2)}\n${lines.slice(2).join('\n')}`, /not hexadecimal/],
    ];
    for (const [text, why] of cases) {
      let err: unknown;
      try {
        decryptVault(text, 'v', at);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(VaultFormatError);
      expect((err as Error).message).toMatch(why);
    }
  });

  it('a flipped ciphertext byte fails the HMAC check (wrong password), never decrypts to garbage', () => {
    useVaultSecrets([secret('default', PASSWORDS.default)]);
    const good = lab.encryptString('integrity');
    const lines = good.trimEnd().split('\n');
    const last = lines.at(-1)!;
    lines[lines.length - 1] = last.slice(0, -1) + (last.endsWith('0') ? '1' : '0');
    expect(() => decryptVault(lines.join('\n'), 'v', at)).toThrow(/wrong vault password|not hexadecimal|does not hold/);
  });

  it('!vault values in YAML: decrypted in place, recorded as secrets, masked by value whatever their name', () => {
    useVaultSecrets([secret('default', PASSWORDS.default)]);
    const yaml = `all:\n  vars:\n    api_endpoint: ${lab.vaultYaml('https://user:pw@api.example', 4)}    wg_port: 51820\n`;
    const loaded = parseYaml(yaml, 'inv.yml');
    expect(loaded.issues).toEqual([]);
    const vars = (toPlain(loaded.data) as { all: { vars: Record<string, unknown> } }).all.vars;
    expect(vars.api_endpoint).toBe('https://user:pw@api.example');
    expect(isVaultRevealed(vars.api_endpoint)).toBe(true);
    const masked = maskSecrets(vars);
    expect(masked).toEqual({ api_endpoint: '***', wg_port: 51820 });
    expect(maskSecrets(vars, { vault: 'ansible' }).api_endpoint).toEqual({ __ansible_vault: expect.stringMatching(/^\$ANSIBLE_VAULT;1\.1;AES256\n[0-9a-f\n]+\n$/) });
  });

  it('a wrong password in YAML names the file, line and key', () => {
    useVaultSecrets([secret('default', PASSWORDS.other)]);
    const yaml = `all:\n  hosts:\n    gw1:\n      provider_key: ${lab.vaultYaml('k', 6)}`;
    expect(() => parseYaml(yaml, 'hosts.yml')).toThrow(VaultDecryptError);
    try {
      parseYaml(yaml, 'hosts.yml');
    } catch (e) {
      expect((e as VaultDecryptError).short()).toBe('hosts.yml:4: cannot decrypt the value of provider_key: wrong vault password (tried vault id default)');
    }
  });

  it('a wholly encrypted vars file (1.2, label) is read as its plaintext; every value in it is secret', () => {
    const file = lab.encryptFile('group_vars_all.yml', 'wg_address: 10.77.0.1/24\nprovider_note: "shh"\nwg_port: 51999\nenabled: true\n', 'lab');
    useVaultSecrets([secret('lab', PASSWORDS.lab)]);
    const loaded = parseYaml(readFileSync(file, 'utf8'), file);
    const data = toPlain(loaded.data) as Record<string, unknown>;
    expect(data).toEqual({ wg_address: '10.77.0.1/24', provider_note: 'shh', wg_port: 51999, enabled: true });
    expect(maskSecrets(data)).toEqual({ wg_address: '***', provider_note: '***', wg_port: '***', enabled: true });
  });

  it('group_vars/ files and -e @file may be encrypted; the inventory loads with the decrypted values', () => {
    const dir = path.join(lab.dir, 'inv');
    const hosts = path.join(dir, 'hosts.yml');
    mkdirSync(path.join(dir, 'group_vars'), { recursive: true });
    writeFileSync(hosts, 'all:\n  hosts:\n    gw1:\n      host: 203.0.113.10\n');
    lab.encryptFile('inv/group_vars/all.yml', 'wan_ip: 203.0.113.10\nwg_port: 51888\n');
    const extra = lab.encryptFile('extra.yml', 'dns_upstreams: [9.9.9.9]\n');
    useVaultSecrets([secret('default', PASSWORDS.default)]);
    const raw = readInventory(hosts);
    const vars = inventoryHostVars(raw, extraVarsLayer(raw, [`@${extra}`])).get('gw1')!;
    expect(vars).toMatchObject({ host: '203.0.113.10', wan_ip: '203.0.113.10', wg_port: 51888, dns_upstreams: ['9.9.9.9'] });
    useVaultSecrets([]);
    let err: unknown;
    try {
      readInventory(hosts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VaultPasswordMissingError);
    expect((err as VaultPasswordMissingError).short()).toMatch(/group_vars\/all\.yml:1: the file is encrypted with Ansible Vault: give --vault-password-file/);
  });
});

describe('vault passwords', () => {
  const lab = { dir: '' };
  afterEach(() => useVaultSecrets(undefined));
  const tmp = (name: string, text: string, mode = 0o600) => {
    lab.dir ||= mkdtempSync(path.join(tmpdir(), 'fleet-vault-pw-'));
    const f = path.join(lab.dir, name);
    writeFileSync(f, text);
    chmodSync(f, mode);
    return f;
  };

  it('splitVaultId as Ansible: label@source, or a bare source for the default id', () => {
    expect(splitVaultId('lab@/x/p')).toEqual({ id: 'lab', source: '/x/p' });
    expect(splitVaultId('/x/p')).toEqual({ id: 'default', source: '/x/p' });
    expect(splitVaultId('prod@prompt')).toEqual({ id: 'prod', source: 'prompt' });
  });

  it('a password file: surrounding whitespace is not part of the password', () => {
    expect(readPasswordFile(tmp('p', '  hunter2 \r\n'), 'default').password.toString()).toBe('hunter2');
  });

  it('an executable file is run and its stdout is the password; a -client script gets --vault-id', () => {
    expect(readPasswordFile(tmp('pw.sh', '#!/bin/sh\necho from-script\n', 0o700), 'default').password.toString()).toBe('from-script');
    expect(readPasswordFile(tmp('pw-client', '#!/bin/sh\n[ "$1" = --vault-id ] && echo "for-$2"\n', 0o700), 'lab').password.toString()).toBe('for-lab');
  });

  it('unusable sources are VAULT_PASSWORD_UNUSABLE naming the file, never showing a password', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => readPasswordFile(path.join(tmp('x', ''), '..', 'missing'), 'default'), /vault password file .*missing: no such file/],
      [() => readPasswordFile(tmp('empty', '\n'), 'default'), /the password is empty/],
      [() => readPasswordFile(tmp('fail.sh', '#!/bin/sh\nexit 3\n', 0o700), 'default'), /script .*fail\.sh: the script exited with 3/],
      [() => readPasswordFile(tmp('nope-client', '#!/bin/sh\nexit 2\n', 0o700), 'lab'), /has no password for vault id lab/],
      [() => readPasswordFile(lab.dir, 'default'), /a directory/],
    ];
    for (const [f, msg] of cases) {
      expect(f).toThrow(VaultPasswordError);
      expect(f).toThrow(msg);
    }
  });

  it("the order is Ansible's: --vault-id, --vault-password-file, ANSIBLE_VAULT_PASSWORD_FILE, --ask-vault-pass", async () => {
    const asked: string[] = [];
    const ask = (q: string) => {
      asked.push(q);
      return Promise.resolve(` typed-${asked.length} `);
    };
    const got = await resolveVaultSecrets(
      { vaultId: ['lab@prompt', `prod@${tmp('prod', 'p-prod\n')}`], vaultPasswordFile: [tmp('pf', 'p-file\n')], askVaultPass: true },
      ask,
      { ANSIBLE_VAULT_PASSWORD_FILE: tmp('env', 'p-env\n') },
    );
    expect(got.map((s) => [s.id, s.password.toString()])).toEqual([
      ['lab', 'typed-1'],
      ['prod', 'p-prod'],
      ['default', 'p-file'],
      ['default', 'p-env'],
      ['default', 'typed-2'],
    ]);
    expect(asked).toEqual(['Vault password (lab): ', 'Vault password: ']);
    expect(await resolveVaultSecrets({}, noAsk, {})).toEqual([]);
  });

  it('a prompt without a terminal is VAULT_PASSWORD_UNUSABLE', async () => {
    await expect(resolveVaultSecrets({ askVaultPass: true }, () => Promise.reject(new Error('no terminal to ask on (ENXIO)')), {})).rejects.toThrow(
      /vault password prompt \(--ask-vault-pass\): no terminal to ask on/,
    );
  });
});


describe('output redaction', () => {
  it('once decrypted, a value is replaced in free text (as such and JSON-escaped); short values are left alone', () => {
    revealVaultValue('quote"and\\slash-secret', 'x');
    revealVaultValue('ab', 'x');
    const json = JSON.stringify({ diff: '+Endpoint = quote"and\\slash-secret:51820', flag: 'ab' });
    expect(redactRevealed(json)).toBe('{"diff":"+Endpoint = ***:51820","flag":"ab"}');
    expect(redactRevealed('peer quote"and\\slash-secret here')).toBe('peer *** here');
  });
});
