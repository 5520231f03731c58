import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { raw } from '../shell/sh.js';
import { renderResource } from './index.js';
import { fixturePath, runWithFakes } from './testing.js';

const args = { name: 'veth-wg', peer: 'veth-vpn', peerNetns: 'gw-vpn' };
const HOST = fixturePath('iproute2', 'ip-j-d-link-show-veth-wg-6.1.0.txt');
const PEER = fixturePath('iproute2', 'ip-j-link-show-veth-vpn-6.1.0.txt');
const LO = fixturePath('iproute2', 'ip-j-d-link-show-lo-6.1.0.txt');

describe('veth rendering', () => {
  test('peer in another namespace', () => {
    const r = renderResource('veth', args);
    expect(r.id).toBe('veth:veth-wg');
    expect(r.title).toBe('veth veth-wg <-> veth-vpn (netns gw-vpn)');
    expect(r.check.text).toMatchInlineSnapshot(`
      "fleet_dev_exists() {
        if fleet_err=$(ip link show dev "$1" 2>&1 >/dev/null); then return 0; fi
        case $fleet_err in *'does not exist'*) return 1 ;; esac
        printf '%s\\n' "$fleet_err" >&2; return 2
      }
      fleet_veth_state() {
        # prints: absent | other | peer-missing | peer-here | ok (state of the pair)
        # status 2 when ip failed for another reason than absence
        fleet_dev_exists veth-wg || { [ $? -eq 1 ] && echo absent && return 0; return 2; }
        fleet_j=$(ip -j -d link show dev veth-wg) || return 2
        case $fleet_j in *'"info_kind":"veth"'*) ;; *) echo other; return 0 ;; esac
        fleet_link=$(printf '%s\\n' "$fleet_j" | sed -n 's/.*[{,]"link_index":\\([0-9][0-9]*\\)[,}].*/\\1/p')
        fleet_idx=$(printf '%s\\n' "$fleet_j" | sed -n 's/.*[{,]"ifindex":\\([0-9][0-9]*\\)[,}].*/\\1/p')
        if [ ! -e /var/run/netns/gw-vpn ]; then echo peer-missing; return 0; fi
        if fleet_p=$(ip -n gw-vpn -j link show dev veth-vpn 2>/dev/null); then
          fleet_pidx=$(printf '%s\\n' "$fleet_p" | sed -n 's/.*[{,]"ifindex":\\([0-9][0-9]*\\)[,}].*/\\1/p')
          fleet_plink=$(printf '%s\\n' "$fleet_p" | sed -n 's/.*[{,]"link_index":\\([0-9][0-9]*\\)[,}].*/\\1/p')
          if [ "$fleet_pidx" = "$fleet_link" ] && [ "$fleet_plink" = "$fleet_idx" ]; then echo ok; return 0; fi
        fi
        if ip link show dev veth-vpn >/dev/null 2>&1; then echo peer-here; return 0; fi
        echo peer-missing
      }
      if fleet_st=$(fleet_veth_state); then
        case $fleet_st in ok) true ;; *) echo 'veth veth-wg: '"$fleet_st"; false ;; esac
      else (exit 2); fi"
    `);
    expect(r.apply.text).toMatchInlineSnapshot(`
      "fleet_dev_exists() {
        if fleet_err=$(ip link show dev "$1" 2>&1 >/dev/null); then return 0; fi
        case $fleet_err in *'does not exist'*) return 1 ;; esac
        printf '%s\\n' "$fleet_err" >&2; return 2
      }
      fleet_veth_state() {
        # prints: absent | other | peer-missing | peer-here | ok (state of the pair)
        # status 2 when ip failed for another reason than absence
        fleet_dev_exists veth-wg || { [ $? -eq 1 ] && echo absent && return 0; return 2; }
        fleet_j=$(ip -j -d link show dev veth-wg) || return 2
        case $fleet_j in *'"info_kind":"veth"'*) ;; *) echo other; return 0 ;; esac
        fleet_link=$(printf '%s\\n' "$fleet_j" | sed -n 's/.*[{,]"link_index":\\([0-9][0-9]*\\)[,}].*/\\1/p')
        fleet_idx=$(printf '%s\\n' "$fleet_j" | sed -n 's/.*[{,]"ifindex":\\([0-9][0-9]*\\)[,}].*/\\1/p')
        if [ ! -e /var/run/netns/gw-vpn ]; then echo peer-missing; return 0; fi
        if fleet_p=$(ip -n gw-vpn -j link show dev veth-vpn 2>/dev/null); then
          fleet_pidx=$(printf '%s\\n' "$fleet_p" | sed -n 's/.*[{,]"ifindex":\\([0-9][0-9]*\\)[,}].*/\\1/p')
          fleet_plink=$(printf '%s\\n' "$fleet_p" | sed -n 's/.*[{,]"link_index":\\([0-9][0-9]*\\)[,}].*/\\1/p')
          if [ "$fleet_pidx" = "$fleet_link" ] && [ "$fleet_plink" = "$fleet_idx" ]; then echo ok; return 0; fi
        fi
        if ip link show dev veth-vpn >/dev/null 2>&1; then echo peer-here; return 0; fi
        echo peer-missing
      }
      fleet_st=$(fleet_veth_state) &&
      case $fleet_st in
        ok) true ;;
        absent) ip link add veth-wg type veth peer name veth-vpn netns gw-vpn ;;
        peer-here) ip link set dev veth-vpn netns gw-vpn ;;
        *) echo 'veth veth-wg: cannot repair state' "$fleet_st" >&2; false ;;
      esac"
    `);
    expect(r.undo.text).toMatchInlineSnapshot(`
      "fleet_dev_exists() {
        if fleet_err=$(ip link show dev "$1" 2>&1 >/dev/null); then return 0; fi
        case $fleet_err in *'does not exist'*) return 1 ;; esac
        printf '%s\\n' "$fleet_err" >&2; return 2
      }
      fleet_veth_state() {
        # prints: absent | other | peer-missing | peer-here | ok (state of the pair)
        # status 2 when ip failed for another reason than absence
        fleet_dev_exists veth-wg || { [ $? -eq 1 ] && echo absent && return 0; return 2; }
        fleet_j=$(ip -j -d link show dev veth-wg) || return 2
        case $fleet_j in *'"info_kind":"veth"'*) ;; *) echo other; return 0 ;; esac
        fleet_link=$(printf '%s\\n' "$fleet_j" | sed -n 's/.*[{,]"link_index":\\([0-9][0-9]*\\)[,}].*/\\1/p')
        fleet_idx=$(printf '%s\\n' "$fleet_j" | sed -n 's/.*[{,]"ifindex":\\([0-9][0-9]*\\)[,}].*/\\1/p')
        if [ ! -e /var/run/netns/gw-vpn ]; then echo peer-missing; return 0; fi
        if fleet_p=$(ip -n gw-vpn -j link show dev veth-vpn 2>/dev/null); then
          fleet_pidx=$(printf '%s\\n' "$fleet_p" | sed -n 's/.*[{,]"ifindex":\\([0-9][0-9]*\\)[,}].*/\\1/p')
          fleet_plink=$(printf '%s\\n' "$fleet_p" | sed -n 's/.*[{,]"link_index":\\([0-9][0-9]*\\)[,}].*/\\1/p')
          if [ "$fleet_pidx" = "$fleet_link" ] && [ "$fleet_plink" = "$fleet_idx" ]; then echo ok; return 0; fi
        fi
        if ip link show dev veth-vpn >/dev/null 2>&1; then echo peer-here; return 0; fi
        echo peer-missing
      }
      fleet_st=$(fleet_veth_state) &&
      case $fleet_st in absent|other) true ;; *)
        ip link del dev veth-wg ;;
      esac"
    `);
    expect(r.revert.text).toBe(r.undo.text);
  });
});

describe('veth check on `ip -j link show` (iproute2 6.1.0)', () => {
  // The fixture pair: veth-wg is ifindex 4 with link_index 2; veth-vpn is ifindex 2 with link_index 4.
  const r = renderResource('veth', args);
  const netnsPresent = (body: string) => body.replace(/\[ ! -e \/var\/run\/netns\/gw-vpn \]/, 'false');
  const EXISTS = { match: 'link show dev veth-wg' };
  const checkWith = (fakes: Parameters<typeof runWithFakes>[1]) =>
    runWithFakes(raw(netnsPresent(r.check.text)), fakes);

  test('each is the other\'s peer: holds', () => {
    const run = checkWith({ ip: [EXISTS, { match: '-j -d link show dev veth-wg', file: HOST }, { match: '-n gw-vpn -j link show dev veth-vpn', file: PEER }] });
    expect(run.code).toBe(0);
  });
  test('NAME missing: absent', () => {
    const run = checkWith({ ip: [{ match: 'link show dev veth-wg', err: 'Device "veth-wg" does not exist.\n', code: 1 }] });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('veth veth-wg: absent\n');
  });
  test('NAME is not a veth: absent, named as such', () => {
    const run = checkWith({ ip: [EXISTS, { match: '-j -d link show dev veth-wg', file: LO }] });
    expect(run.stdout).toBe('veth veth-wg: other\n');
  });
  test('an interface named like the peer that is not the peer: absent', () => {
    const run = checkWith({
      ip: [
        EXISTS,
        { match: '-j -d link show dev veth-wg', file: HOST },
        { match: '-n gw-vpn -j link show dev veth-vpn', out: '[{"ifindex":9,"link_index":3,"ifname":"veth-vpn"}]\n' },
        { match: 'link show dev veth-vpn', code: 1 },
      ],
    });
    expect(run.stdout).toBe('veth veth-wg: peer-missing\n');
  });
  test('the peer still beside NAME: absent, and apply moves it', () => {
    const fakes = {
      ip: [
        EXISTS,
        { match: '-j -d link show dev veth-wg', file: HOST },
        { match: '-n gw-vpn -j link show dev veth-vpn', code: 1 },
        { match: 'link show dev veth-vpn', out: '2: veth-vpn@veth-wg: ...\n' },
        { match: 'link set dev veth-vpn netns gw-vpn' },
      ],
    };
    expect(checkWith(fakes).stdout).toBe('veth veth-wg: peer-here\n');
    const apply = runWithFakes(raw(netnsPresent(r.apply.text)), fakes);
    expect(apply.code).toBe(0);
    expect(apply.calls.at(-1)).toBe('ip link set dev veth-vpn netns gw-vpn');
  });
  test('undo leaves an interface of that name that is not a veth', () => {
    const run = runWithFakes(r.undo, { ip: [{ match: 'link show dev veth-wg' }, { match: '-j -d link show dev veth-wg', file: LO }] });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(['ip link show dev veth-wg', 'ip -j -d link show dev veth-wg']);
  });
  test('ip failing for another reason than absence: probe failure, and undo fails', () => {
    const fakes = { ip: [{ match: 'link show dev veth-wg', err: 'Cannot send dump request: Connection refused\n', code: 1 }] };
    expect(checkWith(fakes).code).toBe(2);
    expect(runWithFakes(r.undo, fakes).code).not.toBe(0);
  });
});

describe('veth arguments', () => {
  test.each([
    [{ ...args, name: 'a-name-longer-than-15' }, /field name: expected an interface name/],
    [{ name: 'v0', peer: 'v0' }, /field peer: name and peer are the same interface/],
    [{ ...args, peerNetns: 'bad/ns' }, /field peerNetns: /],
  ])('%j is rejected', (a, message) => {
    expect(() => renderResource('veth', a)).toThrow(ModuleArgsError);
    expect(() => renderResource('veth', a)).toThrow(message);
  });
  test('same names in different namespaces are fine', () => {
    expect(renderResource('veth', { name: 'v0', peer: 'v0', peerNetns: 'x' }).id).toBe('veth:v0');
  });
});
