/**
 * A lab deploy whose provider address comes from a `!vault` value (made by the real
 * ansible-vault): decrypted on the controller, used by the roles (the namespace's route to the
 * provider), and never shown by `deploy --check --diff --json`, where the same inventory in
 * clear shows it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_IP } from '../../src/lab/names.js';
import { makeVaultLab, type VaultLab } from '../inventory/vault-fixtures.js';
import { fleetCli } from './cli.js';
import { gatewayExec, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let vault: VaultLab;
let inv: string;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, fresh: true }, suite);
  vault = makeVaultLab();
  const text = readFileSync(lab.inventory, 'utf8');
  const line = `    vpn_server_ip: ${PROVIDER_IP}\n`;
  expect(text).toContain(line);
  inv = path.join(vault.dir, 'lab-vaulted.yaml');
  writeFileSync(inv, text.replace(line, `    vpn_server_ip: ${vault.vaultYaml(PROVIDER_IP, 4, 'lab')}`));
});
afterAll(async () => {
  vault?.cleanup();
  await teardownLab();
});

describe('a lab deploy with a vaulted variable', () => {
  it('deploy --check --diff --json shows the provider address only when it is not vaulted', async () => {
    const plain = await fleetCli(['deploy', lab.inventory, '--check', '--diff', '--json']);
    expect(plain.stdout, 'control: the address is in the plan of the inventory in clear').toContain(PROVIDER_IP);
    const r = await fleetCli(['deploy', inv, '--check', '--diff', '--json', '--vault-id', `lab@${vault.passFile.lab}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json, r.stdout.slice(0, 400)).toBeTruthy();
    expect(r.stdout + r.stderr).not.toContain(PROVIDER_IP);
  });

  it('deploys with the decrypted value: the namespace routes the provider address', async () => {
    const r = await fleetCli(['deploy', inv, '--json', '--vault-id', `lab@${vault.passFile.lab}`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PROVIDER_IP);
    const route = await gatewayExec(lab, 'gw1', `ip -n vpn route show ${PROVIDER_IP}/32`);
    expect(route.stdout).toContain(PROVIDER_IP);
  });
});
