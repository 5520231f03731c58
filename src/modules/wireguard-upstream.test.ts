import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { renderResource } from './index.js';
import { expectValidSh, runWithFakes } from './testing.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fleet-wgu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PUB = Buffer.alloc(32, 1).toString('base64');
const PEER = Buffer.alloc(32, 2).toString('base64');
const args = { name: 'wgp0', netns: 'vpn', configPath: '/etc/fleet/provider-wireguard.conf', publicKey: PUB, peerPublicKey: PEER, endpoint: '198.51.100.7:51820' };

describe('wireguard-upstream', () => {
  test('fragments: valid sh, in the namespace, never a command that prints a secret', () => {
    const r = renderResource('wireguard-upstream', args);
    expect(r.id).toBe('wireguard-upstream:vpn:wgp0');
    expect(r.title).toBe('wireguard upstream wgp0 (netns vpn)');
    expect(r.watches).toEqual(['file:/etc/fleet/provider-wireguard.conf']);
    expect(r.runtime).toBe(true);
    for (const f of [r.check, r.apply, r.revert, r.undo]) {
      expectValidSh(f);
      expect(f.text).not.toMatch(/dump|private-key|preshared-keys|showconf|wg-quick/);
    }
    expect(r.apply.text).toContain('ip netns exec vpn wg setconf wgp0 /etc/fleet/provider-wireguard.conf');
    expect(r.apply.text).toContain('ip netns exec vpn wireguard-go wgp0');
  });

  const fakes = (endpoints: string, pub = PUB) => ({
    ip: [
      { match: '-n vpn link show dev wgp0' },
      { match: 'netns exec vpn wg show wgp0 public-key', out: `${pub}\n` },
      { match: 'netns exec vpn wg show wgp0 endpoints', out: endpoints },
    ],
  });

  test('check: holds with our key and our one peer at our endpoint; another endpoint or key does not', () => {
    const r = renderResource('wireguard-upstream', args);
    // the namespace is checked through its file: run the check body as if it were there
    const body = { ...r.check, text: r.check.text.replace(/if \[ -e \/var\/run\/netns\/vpn \]; then/, 'if true; then') } as typeof r.check;
    // the config's hash: what the fake config hashes to, recorded or not
    const conf = path.join(tmp, 'provider-wireguard.conf');
    writeFileSync(conf, 'x\n');
    const sum = (recorded: string) => ({ ...body, text: body.text.replaceAll('/etc/fleet/provider-wireguard.conf', conf).replaceAll('/run/fleet/wgu-wgp0.sum', recorded) }) as typeof body;
    const good = path.join(tmp, 'good.sum');
    writeFileSync(good, `${createHash('sha256').update('x\n').digest('hex')}\n`);
    expect(runWithFakes(sum(good), fakes(`${PEER}\t198.51.100.7:51820\n`)).code).toBe(0);
    const stale = runWithFakes(sum(path.join(tmp, 'none.sum')), fakes(`${PEER}\t198.51.100.7:51820\n`));
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain('changed since it was set');
    const moved = runWithFakes(body, fakes(`${PEER}\t198.51.100.8:51820\n`));
    expect(moved.code).toBe(1);
    expect(moved.stdout).toContain('the provider peer or its endpoint differs');
    expect(runWithFakes(body, fakes(`${PEER}\t198.51.100.7:51820\n`, PEER)).code).toBe(1);
  });
});
