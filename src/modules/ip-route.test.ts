import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { raw } from '../shell/sh.js';
import { renderResource } from './index.js';
import { fixture, fixturePath, runWithFakes, expectValidSh } from './testing.js';

const vpnDefault = { destination: 'default', via: '10.200.1.2', dev: 'veth-wg', table: 200 };
const SHOW = 'route show table 200 exact default';

describe('ip-route rendering', () => {
  test('default route in table 200', () => {
    const r = renderResource('ip-route', vpnDefault);
    expect(r.id).toBe('ip-route:default table 200');
    expect(r.title).toBe('ip route default via 10.200.1.2 dev veth-wg table 200');
    expectValidSh(r.check);
    expectValidSh(r.apply);
    expectValidSh(r.revert);
    expectValidSh(r.undo);
  });

  test('host route and blackhole; identity is destination and table', () => {
    const host = renderResource('ip-route', { destination: '198.51.100.20/32', via: '10.200.1.1', dev: 'veth-vpn', netns: 'vpn' });
    expect(host.id).toBe('ip-route:vpn:198.51.100.20 table main');
    expect(host.apply.text).toContain('ip -n vpn route replace 198.51.100.20/32 via 10.200.1.1 dev veth-vpn table 254');
    expect(renderResource('ip-route', { destination: '198.51.100.20', via: '10.200.1.1', netns: 'vpn' }).id).toBe(host.id);
    const bh = renderResource('ip-route', { destination: '10.9.0.0/16', type: 'blackhole', table: 201 });
    expect(bh.title).toBe('ip route blackhole 10.9.0.0/16 table 201');
    expect(bh.apply.text).toContain('ip route replace blackhole 10.9.0.0/16 table 201');
    const refuse = renderResource('ip-route', { family: 6, destination: 'default', type: 'prohibit', netns: 'vpn' });
    expect(refuse.title).toBe('ip -6 route prohibit default table main (netns vpn)');
    expect(refuse.apply.text).toContain('ip -n vpn -6 route replace prohibit default table 254');
    expectValidSh(refuse.check);
  });
});

describe('ip-route arguments', () => {
  test.each([
    [{ destination: 'default' }, /field via: a unicast route needs via or dev/],
    [{ destination: '10.9.0.0/16', type: 'blackhole', dev: 'eth0' }, /field dev: a blackhole route takes no via or dev/],
    [{ destination: '10.9.0.1/16', dev: 'eth0' }, /field destination: expected 'default', an address or a network/],
    [{ destination: 'default', via: '10.0.0.300' }, /field via: expected an IPv4 or IPv6 address/],
    [{ ...vpnDefault, table: 255 }, /field table: /],
    [{ ...vpnDefault, type: 'throw' }, /field type: /],
    [{ ...vpnDefault, type: 'prohibit' }, /field via: a prohibit route takes no via or dev/],
  ])('%j is rejected', (args, message) => {
    expect(() => renderResource('ip-route', args)).toThrow(ModuleArgsError);
    expect(() => renderResource('ip-route', args)).toThrow(message);
  });
});

describe('ip-route check on `ip route show table T exact D` (iproute2 6.1.0)', () => {
  const defaults = fixturePath('iproute2', 'ip-route-show-table-200-exact-default-6.1.0.txt');
  test('the metric-0 route is ours: holds (the metric-100 one is not considered)', () => {
    expect(fixture('iproute2', 'ip-route-show-table-200-exact-default-6.1.0.txt')).toContain('metric 100');
    const run = runWithFakes(renderResource('ip-route', vpnDefault).check, { ip: [{ match: SHOW, file: defaults }] });
    expect(run.code).toBe(0);
  });
  test('without dev, any dev will do; a different gateway will not', () => {
    expect(runWithFakes(renderResource('ip-route', { ...vpnDefault, dev: undefined }).check, { ip: [{ match: SHOW, file: defaults }] }).code).toBe(0);
    const other = runWithFakes(renderResource('ip-route', { ...vpnDefault, via: '10.200.1.3' }).check, { ip: [{ match: SHOW, file: defaults }] });
    expect(other.code).toBe(1);
    expect(other.stdout).toBe('route is: default via 10.200.1.2 dev veth-wg \n');
  });
  test('blackhole and connected routes', () => {
    const bh = renderResource('ip-route', { destination: '10.9.0.0/16', type: 'blackhole', table: 200 });
    const bhFile = fixturePath('iproute2', 'ip-route-show-table-200-exact-blackhole-6.1.0.txt');
    expect(runWithFakes(bh.check, { ip: [{ match: 'route show table 200 exact 10.9.0.0/16', file: bhFile }] }).code).toBe(0);
    const uni = renderResource('ip-route', { destination: '10.9.0.0/16', dev: 'veth-wg', table: 200 });
    expect(runWithFakes(uni.check, { ip: [{ match: 'route show table 200 exact 10.9.0.0/16', file: bhFile }] }).code).toBe(1);
    const conn = renderResource('ip-route', { destination: '10.200.1.0/24', dev: 'veth-wg' });
    const connFile = fixturePath('iproute2', 'ip-route-show-main-exact-connected-6.1.0.txt');
    expect(runWithFakes(conn.check, { ip: [{ match: 'route show table 254 exact 10.200.1.0/24', file: connFile }] }).code).toBe(0);
  });
  test('"FIB table does not exist": absent; any other ip failure: probe failure', () => {
    const r = renderResource('ip-route', vpnDefault);
    const missing = runWithFakes(r.check, { ip: [{ match: SHOW, err: fixture('iproute2', 'ip-route-show-missing-table-6.1.0.txt'), code: 2 }] });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('no route\n');
    const broken = runWithFakes(r.check, { ip: [{ match: SHOW, err: 'Error: something else\n', code: 2 }] });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toBe('Error: something else\n');
  });
  test('apply saves the route it replaces; revert re-adds it without status words', () => {
    const r = renderResource('ip-route', { ...vpnDefault, via: '10.200.1.3' });
    const apply = runWithFakes(r.apply, { ip: [{ match: SHOW, file: defaults }, { match: 'route replace *' }] });
    expect(apply.code).toBe(0);
    expect(apply.calls).toEqual([`ip ${SHOW}`, 'ip route replace default via 10.200.1.3 dev veth-wg table 200']);
    const revert = runWithFakes(
      raw(`printf 'default via 10.200.1.2 dev veth-wg proto static linkdown \\n' > "$FLEET_STATE/route.prev"\n${r.revert.text}`),
      { ip: [{ match: 'route replace *' }] },
    );
    expect(revert.code).toBe(0);
    expect(revert.calls).toEqual(['ip route replace default via 10.200.1.2 dev veth-wg proto static table 200']);
  });
  test('revert with no previous route deletes ours only; without state it does nothing', () => {
    const r = renderResource('ip-route', vpnDefault);
    const run = runWithFakes(raw(`: > "$FLEET_STATE/route.prev"\n${r.revert.text}`), {
      ip: [{ match: SHOW, file: defaults }, { match: 'route del *' }],
    });
    expect(run.calls).toEqual([`ip ${SHOW}`, 'ip route del default via 10.200.1.2 dev veth-wg table 200']);
    expect(runWithFakes(r.revert, {}).calls).toEqual([]);
  });
});
