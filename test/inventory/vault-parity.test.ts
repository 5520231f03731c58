/**
 * Parity with ansible-inventory on a vaulted inventory. Ansible prints a `!vault` value as
 * {"__ansible_vault": "<its vault text>"} and fleet does the same (the ciphertext is no secret,
 * and scripts that read ansible-inventory's JSON read fleet's). Values of a wholly encrypted vars
 * file Ansible prints in clear; fleet never prints a decrypted value, so there both show ***
 * (the oracle masks Ansible's output as fleet masks its own).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useVaultSecrets } from '../../src/inventory/vault-keyring.js';
import { ansibleGraph, ansibleList, fleetGraph, fleetList } from './oracle.js';
import { PASSWORDS, makeVaultLab, skipWithoutVaultTool } from './vault-fixtures.js';
import { skipWithoutAnsible } from './oracle.js';

describe.skipIf(skipWithoutVaultTool || skipWithoutAnsible)('a vaulted inventory: fleet inventory --list equals ansible-inventory --list', () => {
  const lab = makeVaultLab();
  afterAll(() => {
    useVaultSecrets(undefined);
    lab.cleanup();
  });

  it('!vault values (1.1 and 1.2) in host and group vars, an encrypted group_vars file and host_vars directory file', () => {
    const inv = path.join(lab.dir, 'inv');
    mkdirSync(path.join(inv, 'group_vars'), { recursive: true });
    mkdirSync(path.join(inv, 'host_vars', 'gw2'), { recursive: true });
    const hosts = path.join(inv, 'hosts.yml');
    writeFileSync(
      hosts,
      `all:
  vars:
    api_token: ${lab.vaultYaml('tok-123456', 4)}  children:
    eu:
      vars:
        db_url: ${lab.vaultYaml('postgres://u:p@db/x', 8, 'lab')}      hosts:
        gw1:
          ansible_host: 203.0.113.10
          note: ${lab.vaultYaml('plain looking note', 10)}        gw2: {}
`,
    );
    lab.encryptFile('inv/group_vars/eu.yml', 'region_secret: eu-west-hidden\nlimit: 42\n', 'lab');
    lab.encryptFile('inv/host_vars/gw2/vault.yml', 'gw2_key: abcdefgh\n');
    useVaultSecrets([
      { id: 'lab', password: Buffer.from(PASSWORDS.lab) },
      { id: 'default', password: Buffer.from(PASSWORDS.default) },
    ]);
    const fleet = fleetList([hosts]);
    const ansible = ansibleList([hosts], ['--vault-id', `lab@${lab.passFile.lab}`, '--vault-password-file', lab.passFile.default]);
    expect(fleet).toEqual(ansible);
    const gw1 = (fleet._meta.hostvars.gw1 ?? {}) as Record<string, unknown>;
    expect(gw1.note).toEqual({ __ansible_vault: expect.stringMatching(/^\$ANSIBLE_VAULT;1\.1;AES256\n/) });
    expect(gw1.region_secret).toBe('***');
    expect(JSON.stringify(fleet)).not.toMatch(/tok-123456|postgres:|plain looking|eu-west-hidden|abcdefgh/);
    expect(fleetGraph([hosts])).toBe(ansibleGraph([hosts]));
  });
});
