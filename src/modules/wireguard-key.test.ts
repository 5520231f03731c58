import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { renderResource } from './index.js';
import { runWithFakes, expectValidSh } from './testing.js';

describe('wireguard-key', () => {
  const r = renderResource('wireguard-key', { path: '/etc/wireguard/wg0.key', publicKeyPath: '/etc/wireguard/wg0.pub' });

  test('rendering; removed on teardown (the host ends bare)', () => {
    expect(r.id).toBe('wireguard-key:/etc/wireguard/wg0.key');
    expect(r.teardown).toBeUndefined();
    expectValidSh(r.check);
    expectValidSh(r.apply);
    expectValidSh(r.revert);
    expect(r.undo.text).toBe('rm -f /etc/wireguard/wg0.key /etc/wireguard/wg0.pub');
  });

  test('the private key is only ever read by wg from a redirect, never printed', () => {
    for (const f of [r.check, r.apply, r.revert, r.undo]) {
      expect(f.text).not.toMatch(/cat \/etc\/wireguard\/wg0\.key|wg pubkey \/etc/);
    }
    expect(r.apply.text).toContain('wg genkey > "$fleet_tmp" && mv -f "$fleet_tmp" /etc/wireguard/wg0.key');
  });

  test('without a public key path', () => {
    const k = renderResource('wireguard-key', { path: '/etc/wireguard/wg0.key' });
    expect(k.check.text).not.toContain('wg pubkey');
    expect(k.undo.text).toBe('rm -f /etc/wireguard/wg0.key');
  });

  test('a key wg rejects: probe failure', () => {
    const bad = renderResource('wireguard-key', { path: '/etc/hostname', publicKeyPath: '/tmp/x.pub' });
    const run = runWithFakes(bad.check, {
      stat: [{ match: '-c %a /etc/hostname', out: '600\n' }],
      wg: [{ match: 'pubkey', err: 'Key is not the correct length or format\n', code: 1 }],
    });
    expect(run.code).toBe(2);
  });

  test.each([
    [{ path: 'wg0.key' }, /field path: /],
    [{ path: '/etc/wireguard/wg0.key', publicKeyPath: '/etc/wireguard/wg0.key' }, /field publicKeyPath: the public key cannot overwrite the private key/],
    [{ path: '/etc/wireguard/wg0.key', content: 'x' }, /unknown field 'content'/],
  ])('%j is rejected', (args, message) => {
    expect(() => renderResource('wireguard-key', args)).toThrow(ModuleArgsError);
    expect(() => renderResource('wireguard-key', args)).toThrow(message);
  });
});
