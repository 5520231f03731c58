import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { renderResource } from './index.js';
import { fixture, fixturePath, runWithFakes, expectValidSh } from './testing.js';
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
    expectValidSh(r.check);
    expectValidSh(r.apply);
    expectValidSh(r.revert);
    expectValidSh(r.undo);
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

describe('wireguard-interface where systemd runs (systemdUnit)', () => {
  const r = renderResource('wireguard-interface', { ...args, systemdUnit: 'wg-quick@wg0' });

  test('is valid sh; apply starts the unit with the boot hooks off, never wg-quick from the session', () => {
    for (const f of [r.check, r.apply, r.revert, r.undo]) expectValidSh(f);
    expect(r.unit).toBe('wg-quick@wg0');
    expect(r.apply.text).toContain(': > /run/fleet/no-boot-hooks');
    expect(r.apply.text).toContain('systemctl "$1" wg-quick@wg0 </dev/null');
    expect(r.apply.text).toContain('if fleet_wg_sd; then { ! fleet_wg_unit_active || fleet_wg_unit stop || true; } && fleet_wg_unit start; else');
  });

  test('the check wants the unit active where systemd runs; revert and undo stop it, but never from the boot down script', () => {
    expect(r.check.text).toContain('if fleet_wg_sd && ! fleet_wg_unit_active; then echo');
    for (const f of [r.revert, r.undo]) expect(f.text).toContain('if [ -n "${FLEET_DEFER:-}" ] && fleet_wg_sd; then if fleet_wg_unit_active; then fleet_wg_unit stop; fi');
    expect(r.proof?.lines).toContain('wgunit wg0');
  });

  test('only wg-quick@NAME, and only for /etc/wireguard/NAME.conf', () => {
    expect(() => renderResource('wireguard-interface', { ...args, systemdUnit: 'wg-quick@wg1' })).toThrow(/systemdUnit: expected wg-quick@wg0/);
    expect(() => renderResource('wireguard-interface', { ...args, systemdUnit: 'wg-quick@wg0', configPath: '/srv/wg0.conf' })).toThrow(/configPath/);
  });

  test('without a unit nothing changes: wg-quick up from the deploy', () => {
    const plain = renderResource('wireguard-interface', args);
    expect(plain.apply.text).not.toContain('systemctl');
    expect(plain.unit).toBeUndefined();
  });
});
