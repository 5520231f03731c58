/**
 * Hostile and broken inventory input (issue 10), property-based with fast-check.
 *
 * The property for every inventory field, whatever the value (shell metacharacters, quotes,
 * newlines, NUL, unicode, very long strings, wrong types), set at host level, in all.vars or
 * through -e:
 *
 *   either  the loader rejects it with an InventoryError whose every issue names file:line
 *           (so the CLI stops with exit 4 before any host is contacted: deploy renders and
 *           validates everything before it connects), and nothing else is ever thrown;
 *   or      it loads, every host's desired state renders, and the value reaches a remote script
 *           only inside POSIX single quotes or not at all (controller-only fields: the SSH
 *           address, key files, the OpenVPN config's path). A value with a shell metacharacter
 *           that the schema accepts for a field rendered on the host is a failure.
 *
 * The lab half (a hostile value deployed for real, /tmp/pwned on neither side) is in
 * test/lab/safety.test.ts.
 *
 * CI runs a fixed seed and a bounded number of runs; FLEET_FUZZ_RUNS=5000 (and FLEET_FUZZ_SEED)
 * run it longer by hand.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDesired } from '../../src/roles/tasks.js';
import { deployFleet } from '../../src/engine/fleet.js';
import { FleetError, InventoryError, ModuleArgsError } from '../../src/errors.js';
import { loadInventoryText } from '../../src/inventory/load.js';
import { hostVarsSchema } from '../../src/inventory/schema.js';
import type { Inventory } from '../../src/inventory/types.js';
import { ROLE_ORDER } from '../../src/roles/order.js';

const RUNS = Number(process.env.FLEET_FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FLEET_FUZZ_SEED ?? 20261125);
const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };

let dir: string;
let ovpn: string;
const FILE = 'hostile.yaml';

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-fuzz-'));
  ovpn = path.join(dir, 'provider.ovpn');
  writeFileSync(ovpn, 'client\nremote 198.51.100.2 1194\n', { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function baseHost(): Record<string, unknown> {
  return {
    host: '203.0.113.10',
    wan_interface: 'ens5',
    wan_ip: '10.0.1.191',
    vpn_server_ip: '198.51.100.20',
    openvpn_config_file: ovpn,
    wg_peers: [{ name: 'alice', public_key: 'G72Zc3G7qAvjZjv4PBzo/4gS5t5rakabdBQFnnI4XSg=', allowed_ips: ['10.4.0.10/32'] }],
  };
}

/** Fields whose value never reaches a remote script (the controller uses them itself). */
const CONTROLLER_ONLY = new Set(['host', 'port', 'user', 'key_file', 'known_hosts_file', 'become', 'connect_timeout', 'openvpn_config_file']);

/** Characters that make a shell do something (space and globs alone only split or expand words). */
const SHELL_META = /[$`;&|<>()\\'"\n\r\0]/;
/** Shorter values occur in any script by coincidence (`"i`); the property looks at longer ones. */
const MIN_LEN = 4;

const NASTY = [
  '$(touch /tmp/pwned)',
  '`touch /tmp/pwned`',
  ';reboot',
  '; touch /tmp/pwned #',
  "' ; touch /tmp/pwned ; '",
  '"; touch /tmp/pwned; "',
  '\ntouch /tmp/pwned\n',
  'a\0b',
  '\0',
  '${IFS}touch${IFS}/tmp/pwned',
  '|| touch /tmp/pwned',
  '&& touch /tmp/pwned',
  '> /etc/passwd',
  '-rf /',
  '--help',
  '../../etc/shadow',
  '/../../etc/shadow',
  '/tmp/$(touch /tmp/pwned)',
  '/tmp/x;reboot',
  'ens5\nreboot',
  '10.4.0.0/24; reboot',
  '10.4.0.1$(reboot)',
  'gw\u202e1',
  'ｅｎｓ５',
  'ens5\u0000',
  '\u{1F4A3}',
  '',
  ' ',
  '0x200;reboot',
  '*',
  '~root',
  'x'.repeat(100_000),
];

const hostileString = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.tuple(fc.constantFrom('ens5', '10.4.0.0/24', '10.4.0.1', 'alice', '/etc/x', '0x200', 'root'), fc.constantFrom(...NASTY.slice(0, 16))).map(([a, b]) => a + b),
);

const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
);

const hostileValue = fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: wrongType });

const FIELDS = Object.keys(hostVarsSchema.shape);
/** Nested fields: peers and DNS entries. */
const NESTED = ['wg_peers.name', 'wg_peers.public_key', 'wg_peers.allowed_ips', 'dns_entries.name', 'dns_entries.ip', 'local_networks.item', 'dns_upstreams.item'];

function setField(h: Record<string, unknown>, field: string, value: unknown): void {
  const [top, sub] = field.split('.');
  if (!sub) {
    h[top!] = value;
    return;
  }
  if (top === 'wg_peers') (h.wg_peers as Record<string, unknown>[])[0]![sub] = sub === 'allowed_ips' && typeof value === 'string' ? [value] : value;
  else if (top === 'dns_entries') h.dns_entries = [{ name: 'vault.example', ip: '10.4.0.7', [sub]: value }];
  else h[top!] = [value];
}

type Outcome = { kind: 'rejected'; error: InventoryError } | { kind: 'accepted'; inv: Inventory };

function load(text: string, extraVars: string[] = []): Outcome {
  try {
    return { kind: 'accepted', inv: loadInventoryText(text, FILE, { extraVars }) };
  } catch (err) {
    // Anything but an InventoryError is a crash (exit 1, "a bug in fleet"): the property fails.
    if (!(err instanceof InventoryError)) throw err;
    return { kind: 'rejected', error: err };
  }
}

function assertLocated(e: InventoryError): void {
  expect(e.issues.length).toBeGreaterThan(0);
  for (const i of e.issues) {
    expect(i.location.file, i.message).toBeTruthy();
    // -e values are located in the extra vars, not the file; those carry their own label.
    if (i.location.file === FILE) expect(i.location.line, `${i.message}`).toBeGreaterThan(0);
    expect(i.message.length).toBeGreaterThan(0);
  }
}

/** Every shell text the host will see for this inventory. */
function remoteText(inv: Inventory): string {
  const desired = renderDesired(inv.hosts, ROLE_ORDER);
  const parts: string[] = [];
  for (const list of desired.values()) {
    for (const d of list) parts.push(d.resource.check.text, d.resource.apply.text, d.resource.undo.text, d.resource.revert.text);
  }
  return parts.join('\n');
}

/** The value occurs in `text` outside single quotes (i.e. where the shell would interpret it). */
function unquotedOccurrence(text: string, value: string): boolean {
  let inQuote = false;
  let unquoted = '';
  for (const ch of text) {
    if (ch === "'") {
      inQuote = !inQuote;
      unquoted += '\u0001';
      continue;
    }
    unquoted += inQuote ? '\u0001' : ch;
  }
  return unquoted.includes(value);
}

function checkAccepted(inv: Inventory, field: string, value: unknown): void {
  const top = field.split('.')[0]!;
  let text: string;
  try {
    text = remoteText(inv);
  } catch (err) {
    // Finding: a controller file that cannot be read (openvpn_config_file) is caught when the
    // desired state renders, still before any host is contacted, but its message names the role
    // task and the path, not the inventory's file:line (the Host keeps no variable locations).
    if (top === 'openvpn_config_file' && err instanceof ModuleArgsError) {
      expect(err.message).toMatch(/cannot read /);
      return;
    }
    throw err;
  }
  if (typeof value !== 'string' || !SHELL_META.test(value) || value.length < MIN_LEN) return;
  if (CONTROLLER_ONLY.has(top)) {
    // never reaches the host at all (the OpenVPN config's content does, as data; not its path)
    expect(text.includes(value), `${field}=${JSON.stringify(value)} reached a remote script`).toBe(false);
    return;
  }
  // A host-rendered field accepted a value with a shell metacharacter: it must be quoted everywhere.
  expect(unquotedOccurrence(text, value), `${field}=${JSON.stringify(value)} appears unquoted in a remote script`).toBe(false);
}

describe('fuzz: every inventory field, hostile values', () => {
  it('the base inventory loads and renders (so rejections below are the value\'s doing)', () => {
    const r = load(stringify({ all: { hosts: { gw1: baseHost() } } }));
    expect(r.kind).toBe('accepted');
  });

  it('host vars: rejected with file:line, or inert', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS, ...NESTED), hostileValue, (field, value) => {
        const h = baseHost();
        setField(h, field, value);
        const r = load(stringify({ all: { hosts: { gw1: h } } }));
        if (r.kind === 'rejected') assertLocated(r.error);
        else checkAccepted(r.inv, field, value);
      }),
      params,
    );
  });

  it('group vars (all.vars) shared by two hosts: rejected with file:line, or inert', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS.filter((f) => f !== 'host' && f !== 'wan_ip')), hostileValue, (field, value) => {
        const h1 = baseHost();
        const h2 = { ...baseHost(), host: '203.0.113.11', wan_ip: '10.0.1.192' };
        const r = load(stringify({ all: { vars: { [field]: value }, hosts: { gw1: h1, gw2: h2 } } }));
        if (r.kind === 'rejected') assertLocated(r.error);
        else checkAccepted(r.inv, field, value);
      }),
      params,
    );
  });

  it('-e key=value: rejected with a message, or inert', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), hostileString, (field, value) => {
        const r = load(stringify({ all: { hosts: { gw1: baseHost() } } }), [`${field}=${value}`]);
        if (r.kind === 'rejected') {
          for (const i of r.error.issues) expect(i.message.length).toBeGreaterThan(0);
        } else {
          const got = (r.inv.hosts[0]!.vars as unknown as Record<string, unknown>)[field];
          checkAccepted(r.inv, field, got);
        }
      }),
      params,
    );
  });

  it('host and group names: rejected with file:line, or inert', () => {
    fc.assert(
      fc.property(hostileString.filter((s) => s.length < 300), fc.boolean(), (name, asGroup) => {
        const doc = asGroup
          ? { all: { children: { [name]: { hosts: { gw1: baseHost() } } } } }
          : { all: { hosts: { [name]: baseHost() } } };
        const r = load(stringify(doc));
        if (r.kind === 'rejected') assertLocated(r.error);
        else {
          const text = remoteText(r.inv);
          if (SHELL_META.test(name) && name.length >= MIN_LEN) expect(unquotedOccurrence(text, name), `name ${JSON.stringify(name)}`).toBe(false);
        }
      }),
      params,
    );
  });

  it('arbitrary YAML structure anywhere: never a crash, only InventoryError', () => {
    const anyYaml = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(fc.constantFrom('root', 'all', 'hosts', 'gw1', 'vars', 'children', 'peer'), anyYaml, (where, junk) => {
        const h = baseHost();
        let doc: unknown;
        if (where === 'root') doc = junk;
        else if (where === 'all') doc = { all: junk };
        else if (where === 'hosts') doc = { all: { hosts: junk } };
        else if (where === 'gw1') doc = { all: { hosts: { gw1: junk } } };
        else if (where === 'vars') doc = { all: { vars: junk, hosts: { gw1: h } } };
        else if (where === 'children') doc = { all: { children: junk, hosts: { gw1: h } } };
        else doc = { all: { hosts: { gw1: { ...h, wg_peers: [junk] } } } };
        const r = load(stringify(doc));
        if (r.kind === 'rejected') expect(r.error.issues.length).toBeGreaterThan(0);
      }),
      params,
    );
  });

  it('arbitrary text as an inventory file: never a crash', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const r = load(text);
        if (r.kind === 'rejected') expect(r.error.issues.length).toBeGreaterThan(0);
      }),
      { ...params, numRuns: RUNS * 3 },
    );
  });

  it('a rejected inventory contacts no host: the CLI path validates and renders before connecting', async () => {
    // The same order as `fleet deploy`: load (throws) -> render -> deployFleet. A value the
    // schema takes must still not reach connect() when rendering fails; and a host that loads
    // reaches connect() only after every host rendered.
    const h = baseHost();
    h.wan_interface = 'ens5;reboot';
    const r = load(stringify({ all: { hosts: { gw1: h } } }));
    expect(r.kind).toBe('rejected');
    const ok = load(stringify({ all: { hosts: { gw1: baseHost() } } }));
    if (ok.kind !== 'accepted') throw new Error('base inventory rejected');
    const order: string[] = [];
    const desired = renderDesired(ok.inv.hosts, ROLE_ORDER);
    order.push('rendered');
    const results = await deployFleet(ok.inv.hosts, desired, {
      roles: [...ROLE_ORDER],
      check: true,
      connect: async () => {
        order.push('connect');
        throw new FleetError('no network in the fuzz suite');
      },
    });
    expect(order).toEqual(['rendered', 'connect']);
    expect(results[0]!.status).toBe('failed');
  });
});

describe('fuzz: __proto__, constructor and prototype keys at every level (#14 item 8)', () => {
  const RESERVED = ['__proto__', 'constructor', 'prototype'] as const;
  /** Where in the inventory document the reserved key goes (YAML text, so `__proto__` is a real key). */
  const PLACES = ['host', 'all.vars', 'group.vars', 'group', 'nested-in-value', 'peer', 'extra', 'extra-inline'] as const;
  const payload = fc.oneof(fc.constant('{wan_ip: 10.9.9.9, openvpn_config_file: /etc/passwd}'), fc.constant('1'), fc.constant('[1, 2]'), fc.constant('null'));

  it('is refused with file:line (a reserved name) or loads inertly: never a crash, never a supplied variable', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RESERVED), fc.constantFrom(...PLACES), payload, (key, place, value) => {
        const base = baseHost();
        // The host lacks wan_ip: a polluted prototype would supply it.
        delete base.wan_ip;
        const hostLines = `${stringify({ gw1: base }).trimEnd().replace(/^/gm, '        ')}\n`;
        const extraVars: string[] = [];
        let text = `all:\n  vars:\n    x: 1\n${place === 'all.vars' ? `    ${key}: ${value}\n` : ''}  children:\n    eu:\n      vars:\n        y: 1\n${place === 'group.vars' ? `        ${key}: ${value}\n` : ''}      hosts:\n${hostLines}`;
        if (place === 'host') text += `          ${key}: ${value}\n`;
        if (place === 'nested-in-value') text += `          other_role: {${key}: ${value}}\n`;
        if (place === 'peer') text = text.replace(/^( *)- name: alice$/m, (line, indent: string) => `${line}\n${indent}  ${key}: ${value}`);
        if (place === 'group') text += `    ${key}:\n      hosts:\n        gw2:\n`;
        if (place === 'extra') extraVars.push(`${key}=${value}`);
        if (place === 'extra-inline') extraVars.push(`{"${key}": {"wan_ip": "10.9.9.9"}}`);
        const r = load(text, extraVars);
        expect(({} as Record<string, unknown>).wan_ip, 'Object.prototype was polluted').toBeUndefined();
        expect(r.kind, `${place} ${key}`).toBe('rejected');
        if (r.kind !== 'rejected') return;
        assertLocated(r.error);
        const messages = r.error.issues.map((i) => i.message).join('\n');
        if (place === 'nested-in-value' || place === 'peer') expect(messages).toMatch(/wan_ip|unknown variable/);
        else expect(messages).toContain(`${key} cannot be a`);
      }),
      params,
    );
  });
});
