import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { renderResource } from './index.js';
import { fixture, fixturePath, runWithFakes } from './testing.js';
import { allowedIpsLines, normaliseAllowedIps } from './wireguard-interface.js';

// The public keys in the captured `wg show wg0 allowed-ips` (wireguard-tools v1.0.20210914):
// peer 1 10.4.0.2/32, peer 2 10.4.0.130/32 and 10.4.1.5/24 (shown masked), peer 3 none.
const [P1, P2, P3] = fixture('wireguard-tools', 'wg-show-allowed-ips-1.0.20210914.txt')
  .trim()
  .split('\n')
  .map((l) => l.split('\t')[0]!) as [string, string, string];
const ALLOWED = fixturePath('wireguard-tools', 'wg-show-allowed-ips-1.0.20210914.txt');
const PORT = fixturePath('wireguard-tools', 'wg-show-listen-port-1.0.20210914.txt');

const args = {
  name: 'wg0',
  keyPath: '/etc/wireguard/wg0.key',
  listenPort: 51820,
  peers: [
    { publicKey: P1, allowedIps: ['10.4.0.2/32'] },
    // host bits set on purpose: wg masks them, as the fixture shows
    { publicKey: P2, allowedIps: ['10.4.1.5/24', '10.4.0.130/32'] },
    { publicKey: P3, allowedIps: [] },
  ],
};

describe('wireguard-interface rendering', () => {
  test('fragments', () => {
    const r = renderResource('wireguard-interface', args);
    expect(r.id).toBe('wireguard-interface:wg0');
    expect(r.title).toBe('wireguard wg0 up (port 51820, 3 peers)');
    expect(r.watches).toEqual(['file:/etc/wireguard/wg0.conf']);
    expect(r.check.text).toMatchInlineSnapshot(`
      "fleet_dev_exists() {
        if fleet_err=$(ip link show dev "$1" 2>&1 >/dev/null); then return 0; fi
        case $fleet_err in *'does not exist'*) return 1 ;; esac
        printf '%s\\n' "$fleet_err" >&2; return 2
      }
      fleet_wg_check() {
        fleet_dev_exists wg0 || { [ $? -eq 1 ] || return 2; echo 'wg0 is absent'; return 1; }
        fleet_port=$(wg show wg0 listen-port) || return 2
        fleet_raw=$(wg show wg0 allowed-ips) || return 2
        fleet_ips=$(printf '%s\\n' "$fleet_raw" | awk '{ for (i = 2; i <= NF; i++) print $1, $i }' | sort)
        [ "$fleet_port" = 51820 ] || { echo 'wg0 listens on' "$fleet_port"; return 1; }
        [ "$fleet_ips" = 'RrYtSFeno03TnBucslSFXlQuhrjNJ2NZPwxCvVguI08= 10.4.0.130/32
      RrYtSFeno03TnBucslSFXlQuhrjNJ2NZPwxCvVguI08= 10.4.1.0/24
      q2IOBKn4QaMP4WD58wLI0BsHoQGhvO0Bcotz87c6JCw= 10.4.0.2/32
      syYRAh1PiiedzMFuiKvqL0rLHFTC09EWE53vPgFrxAc= (none)' ] && return 0
        echo 'wg0 peers differ: 3 wanted, now' "$(printf '%s\\n' "$fleet_raw" | grep -c .)"
        return 1
      }
      fleet_wg_check"
    `);
    expect(r.apply.text).toMatchInlineSnapshot(`
      "fleet_dev_exists() {
        if fleet_err=$(ip link show dev "$1" 2>&1 >/dev/null); then return 0; fi
        case $fleet_err in *'does not exist'*) return 1 ;; esac
        printf '%s\\n' "$fleet_err" >&2; return 2
      }
      fleet_wg_sync() {
        mkdir -p -m 0700 /run/fleet || return
        fleet_tmp=$(umask 077; mktemp /run/fleet/wg-wg0.XXXXXX) || return
        if { printf '[Interface]\\nPrivateKey = ' && cat /etc/wireguard/wg0.key && printf '\\n' && wg-quick strip /etc/wireguard/wg0.conf; } > "$fleet_tmp" &&
          wg syncconf wg0 "$fleet_tmp"; then rm -f "$fleet_tmp"; return 0; fi
        rm -f "$fleet_tmp"; return 1
      }
      fleet_dev_exists wg0; case $? in
        0) echo present > "$FLEET_STATE/wg.was" && fleet_wg_sync ;;
        1)
          echo absent > "$FLEET_STATE/wg.was" && mkdir -p -m 0700 /run/fleet &&
          { FLEET_NO_BOOT_HOOKS=1 wg-quick up /etc/wireguard/wg0.conf </dev/null >>/run/fleet/wg-quick-wg0.log 2>&1 || { tail -n 20 /run/fleet/wg-quick-wg0.log >&2; false; }; } ;;
        *) false ;;
      esac"
    `);
    expect(r.revert.text).toMatchInlineSnapshot(`
      "if [ ! -f "$FLEET_STATE/wg.was" ]; then
        true
      elif [ "$(cat "$FLEET_STATE/wg.was")" = present ]; then
        printf '%s\\n' '(
      fleet_dev_exists() {
        if fleet_err=$(ip link show dev "$1" 2>&1 >/dev/null); then return 0; fi
        case $fleet_err in *'\\''does not exist'\\''*) return 1 ;; esac
        printf '\\''%s\\n'\\'' "$fleet_err" >&2; return 2
      }
      fleet_wg_sync() {
        mkdir -p -m 0700 /run/fleet || return
        fleet_tmp=$(umask 077; mktemp /run/fleet/wg-wg0.XXXXXX) || return
        if { printf '\\''[Interface]\\nPrivateKey = '\\'' && cat /etc/wireguard/wg0.key && printf '\\''\\n'\\'' && wg-quick strip /etc/wireguard/wg0.conf; } > "$fleet_tmp" &&
          wg syncconf wg0 "$fleet_tmp"; then rm -f "$fleet_tmp"; return 0; fi
        rm -f "$fleet_tmp"; return 1
      }
      if fleet_dev_exists wg0 && [ -f /etc/wireguard/wg0.conf ]; then fleet_wg_sync; fi
      )' >> "$FLEET_DEFER"
      else
      fleet_dev_exists() {
        if fleet_err=$(ip link show dev "$1" 2>&1 >/dev/null); then return 0; fi
        case $fleet_err in *'does not exist'*) return 1 ;; esac
        printf '%s\\n' "$fleet_err" >&2; return 2
      }
      fleet_wg_down() {
        fleet_dev_exists wg0 || { [ $? -eq 1 ] && return 0; return 2; }
        mkdir -p -m 0700 /run/fleet
        FLEET_NO_BOOT_HOOKS=1 wg-quick down /etc/wireguard/wg0.conf </dev/null >>/run/fleet/wg-quick-wg0.log 2>&1 && return 0
        fleet_dev_exists wg0 || { [ $? -eq 1 ] && return 0; return 2; }
        ip link del dev wg0
      }
        fleet_wg_down
      fi"
    `);
    expect(r.undo.text).toMatchInlineSnapshot(`
      "fleet_dev_exists() {
        if fleet_err=$(ip link show dev "$1" 2>&1 >/dev/null); then return 0; fi
        case $fleet_err in *'does not exist'*) return 1 ;; esac
        printf '%s\\n' "$fleet_err" >&2; return 2
      }
      fleet_wg_down() {
        fleet_dev_exists wg0 || { [ $? -eq 1 ] && return 0; return 2; }
        mkdir -p -m 0700 /run/fleet
        FLEET_NO_BOOT_HOOKS=1 wg-quick down /etc/wireguard/wg0.conf </dev/null >>/run/fleet/wg-quick-wg0.log 2>&1 && return 0
        fleet_dev_exists wg0 || { [ $? -eq 1 ] && return 0; return 2; }
        ip link del dev wg0
      }
      fleet_wg_down"
    `);
  });

  test('never dump or showconf (they print the private key); the key is only ever cat into a 0600 file', () => {
    const r = renderResource('wireguard-interface', args);
    for (const f of [r.check, r.apply, r.revert, r.undo]) {
      expect(f.text).not.toMatch(/wg show \S+ (dump|private-key)|showconf/);
      expect(f.text).not.toMatch(/private-key/);
    }
    expect(r.apply.text).toContain(`fleet_tmp=$(umask 077; mktemp /run/fleet/wg-wg0.XXXXXX) || return`);
    expect(r.apply.text).toContain(`cat /etc/wireguard/wg0.key`);
  });
});

describe('wireguard-interface check on wg show (wireguard-tools v1.0.20210914)', () => {
  const fakes = (allowed: { file?: string; out?: string }) => ({
    ip: [{ match: 'link show dev wg0' }],
    wg: [{ match: 'show wg0 listen-port', file: PORT }, { match: 'show wg0 allowed-ips', ...allowed }],
  });

  test('the captured peers are exactly ours: holds', () => {
    const r = renderResource('wireguard-interface', args);
    const run = runWithFakes(r.check, fakes({ file: ALLOWED }));
    expect(run.code, run.stderr).toBe(0);
  });

  test('normalisation matches the shell side', () => {
    expect(normaliseAllowedIps(fixture('wireguard-tools', 'wg-show-allowed-ips-1.0.20210914.txt'))).toBe(allowedIpsLines(args.peers));
  });

  test('a missing, extra or changed peer: does not hold', () => {
    const fewer = renderResource('wireguard-interface', { ...args, peers: args.peers.slice(0, 2) });
    const run = runWithFakes(fewer.check, fakes({ file: ALLOWED }));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('wg0 peers differ: 2 wanted, now 3\n');
    const moved = renderResource('wireguard-interface', { ...args, peers: [args.peers[0]!, { ...args.peers[1]!, allowedIps: ['10.4.0.130/32'] }, args.peers[2]!] });
    expect(runWithFakes(moved.check, fakes({ file: ALLOWED })).code).toBe(1);
  });

  test('another port: does not hold', () => {
    const r = renderResource('wireguard-interface', { ...args, listenPort: 51821 });
    const run = runWithFakes(r.check, fakes({ file: ALLOWED }));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('wg0 listens on 51820\n');
  });

  test('no link: absent; a link wg cannot read: probe failure', () => {
    const r = renderResource('wireguard-interface', args);
    const gone = runWithFakes(r.check, { ip: [{ match: '*', err: 'Device "wg0" does not exist.\n', code: 1 }] });
    expect(gone.code).toBe(1);
    expect(gone.stdout).toBe('wg0 is absent\n');
    const broken = runWithFakes(r.check, {
      ip: [{ match: 'link show dev wg0' }],
      wg: [{ match: '*', err: 'Unable to access interface: Protocol not supported\n', code: 1 }],
    });
    expect(broken.code).toBe(2);
  });

  test('no peers at all', () => {
    const r = renderResource('wireguard-interface', { ...args, peers: [] });
    expect(runWithFakes(r.check, fakes({ out: '' })).code).toBe(0);
  });
});

describe('wireguard-interface arguments', () => {
  test.each([
    [{ ...args, configPath: '/etc/wireguard/other.conf' }, /field configPath: wg-quick names the interface after the file/],
    [{ ...args, listenPort: 0 }, /field listenPort: /],
    [{ ...args, peers: [{ publicKey: 'nope', allowedIps: [] }] }, /field peers\[0\]\.publicKey: expected a WireGuard public key/],
    [{ ...args, peers: [{ publicKey: P1, allowedIps: ['10.4.0.2'] }] }, /field peers\[0\]\.allowedIps\[0\]: expected an address with prefix/],
    [{ ...args, peers: [args.peers[0], args.peers[0]] }, /field peers\[1\]\.publicKey: duplicate peer public key/],
    [{ ...args, privateKey: 'x' }, /unknown field 'privateKey'/],
  ])('%j is rejected', (a, message) => {
    expect(() => renderResource('wireguard-interface', a)).toThrow(ModuleArgsError);
    expect(() => renderResource('wireguard-interface', a)).toThrow(message);
  });
});
