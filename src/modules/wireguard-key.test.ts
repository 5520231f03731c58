import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { renderResource } from './index.js';
import { runWithFakes } from './testing.js';

describe('wireguard-key', () => {
  const r = renderResource('wireguard-key', { path: '/etc/wireguard/wg0.key', publicKeyPath: '/etc/wireguard/wg0.pub' });

  test('rendering; removed on teardown (the host ends bare)', () => {
    expect(r.id).toBe('wireguard-key:/etc/wireguard/wg0.key');
    expect(r.teardown).toBeUndefined();
    expect(r.check.text).toMatchInlineSnapshot(`
      "fleet_key_check() {
        [ -s /etc/wireguard/wg0.key ] || { echo 'no key at /etc/wireguard/wg0.key'; return 1; }
        fleet_mode=$(stat -c %a /etc/wireguard/wg0.key) || return 2
        [ "$fleet_mode" = 600 ] || { echo '/etc/wireguard/wg0.key has mode' "$fleet_mode"; return 1; }
        fleet_pub=$(wg pubkey < /etc/wireguard/wg0.key) || return 2
        [ -f /etc/wireguard/wg0.pub ] && [ "$(cat /etc/wireguard/wg0.pub)" = "$fleet_pub" ] && return 0
        echo '/etc/wireguard/wg0.pub is missing or does not match the key'; return 1
      }
      fleet_key_check"
    `);
    expect(r.apply.text).toMatchInlineSnapshot(`
      "fleet_key_apply() {
        umask 077
        if [ ! -s /etc/wireguard/wg0.key ]; then
          echo created > "$FLEET_STATE/key.created" || return
          fleet_tmp=$(mktemp /etc/wireguard/.fleet-XXXXXX) || return
          wg genkey > "$fleet_tmp" && mv -f "$fleet_tmp" /etc/wireguard/wg0.key || { rm -f "$fleet_tmp"; return 1; }
        else
          fleet_mode=$(stat -c %a /etc/wireguard/wg0.key) || return
          if [ "$fleet_mode" != 600 ]; then printf '%s\\n' "$fleet_mode" > "$FLEET_STATE/key.mode" && chmod 600 /etc/wireguard/wg0.key || return; fi
        fi
        fleet_pub=$(wg pubkey < /etc/wireguard/wg0.key) || return
        [ -f /etc/wireguard/wg0.pub ] && [ "$(cat /etc/wireguard/wg0.pub)" = "$fleet_pub" ] && return 0
        if [ -e /etc/wireguard/wg0.pub ]; then cp -p /etc/wireguard/wg0.pub "$FLEET_STATE/pub.backup" || return; else echo created > "$FLEET_STATE/pub.created" || return; fi
        fleet_tmp=$(mktemp /etc/wireguard/.fleet-XXXXXX) || return
        printf '%s\\n' "$fleet_pub" > "$fleet_tmp" && chmod 644 "$fleet_tmp" && mv -f "$fleet_tmp" /etc/wireguard/wg0.pub || { rm -f "$fleet_tmp"; return 1; }
      }
      fleet_key_apply"
    `);
    expect(r.revert.text).toMatchInlineSnapshot(`
      "fleet_key_revert() {
        if [ -f "$FLEET_STATE/key.created" ]; then rm -f /etc/wireguard/wg0.key || return; fi
        if [ -s "$FLEET_STATE/key.mode" ] && [ -e /etc/wireguard/wg0.key ]; then chmod "$(cat "$FLEET_STATE/key.mode")" /etc/wireguard/wg0.key || return; fi
        if [ -f "$FLEET_STATE/pub.created" ]; then rm -f /etc/wireguard/wg0.pub || return; fi
        if [ -f "$FLEET_STATE/pub.backup" ]; then
          fleet_tmp=$(umask 077; mktemp /etc/wireguard/.fleet-XXXXXX) || return
          cp -p "$FLEET_STATE/pub.backup" "$fleet_tmp" && mv -f "$fleet_tmp" /etc/wireguard/wg0.pub || { rm -f "$fleet_tmp"; return 1; }
        fi
        return 0
      }
      fleet_key_revert"
    `);
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
