/**
 * The WireGuard provider's config (`provider_config_file`, wg-quick format as providers issue it)
 * is third-party input. wg-quick would run its PreUp/PostUp/PreDown/PostDown lines as root and
 * install its own routes; fleet never runs wg-quick on it. The file is parsed and linted on the
 * controller before anything is uploaded: only the keys below are accepted, script hooks, Table
 * and SaveConfig are refused, keys must be 32 bytes of base64 and the endpoint an address (the
 * namespace can resolve names only through the tunnel the endpoint builds).
 *
 * What the gateway gets is a config rebuilt from the parsed values in wg(8) format (only what
 * `wg setconf` reads); Address, DNS and MTU become fleet's own resources in the namespace.
 */
import ipaddr from 'ipaddr.js';
import { ModuleArgsError } from '../errors.js';
import { isIPv4 } from '../types/net.js';

export interface WireguardEndpoint {
  /** An IPv4 address, or an IPv6 address without brackets. */
  ip: string;
  port: number;
  family: 4 | 6;
}

export interface WireguardProviderConfig {
  privateKey: string;
  /** Interface addresses with their prefix (a bare address gets /32 or /128). */
  addresses4: string[];
  addresses6: string[];
  dns: string[];
  mtu?: number;
  listenPort?: number;
  peer: {
    publicKey: string;
    presharedKey?: string;
    endpoint: WireguardEndpoint;
    allowedIps: string[];
    persistentKeepalive?: number;
  };
}

type Section = 'interface' | 'peer';

/** Keys by section, lower-cased as wg and wg-quick compare them. */
const ACCEPTED: Record<Section, ReadonlySet<string>> = {
  interface: new Set(['privatekey', 'address', 'dns', 'mtu', 'listenport']),
  peer: new Set(['publickey', 'presharedkey', 'endpoint', 'allowedips', 'persistentkeepalive']),
};

/** wg-quick keys fleet refuses, and why. */
const REFUSED: Record<string, string> = {
  preup: 'runs a command as root on the gateway',
  postup: 'runs a command as root on the gateway',
  predown: 'runs a command as root on the gateway',
  postdown: 'runs a command as root on the gateway',
  table: "sets wg-quick's routing; fleet routes the namespace itself",
  saveconfig: 'makes wg-quick write the live state back into the file',
};

/** A WireGuard key: exactly 32 bytes in canonical base64. */
export function isWireguardKey(s: string): boolean {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(s)) return false;
  const bytes = Buffer.from(s, 'base64');
  return bytes.length === 32 && bytes.toString('base64') === s;
}

function ipFamily(s: string): 4 | 6 | undefined {
  if (isIPv4(s)) return 4;
  return ipaddr.IPv6.isValid(s) && !s.includes('%') ? 6 : undefined;
}

/** `a.b.c.d[/n]` or an IPv6 address with an optional prefix, normalised to carry one. */
function addressWithPrefix(s: string): { cidr: string; family: 4 | 6 } | undefined {
  const [addr, prefix, extra] = s.split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const family = ipFamily(addr);
  if (!family) return undefined;
  const max = family === 4 ? 32 : 128;
  if (prefix === undefined) return { cidr: `${addr}/${max}`, family };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return undefined;
  return { cidr: `${addr}/${Number(prefix)}`, family };
}

function parseEndpoint(s: string): WireguardEndpoint | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return 'expected address:port ([address]:port for IPv6)';
  const ip = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `port ${m[3]} is not 1-65535`;
  const family = ipFamily(ip);
  if (!family || (family === 6) !== (m[1] !== undefined)) {
    return `'${ip}' is not an IP address: a name would be resolved through the tunnel it is needed to build`;
  }
  // The namespace reaches the internet through the host over IPv4 only (the veth pair).
  if (family === 6) return `[${ip}] is an IPv6 endpoint: the namespace reaches the provider over IPv4; use the provider's IPv4 endpoint`;
  return { ip, port, family };
}

function intIn(s: string, min: number, max: number): number | undefined {
  if (!/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n >= min && n <= max ? n : undefined;
}

const list = (v: string): string[] =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

type InterfaceParts = Partial<WireguardProviderConfig> & { addresses4: string[]; addresses6: string[]; dns: string[] };
type PeerParts = Partial<WireguardProviderConfig['peer']> & { allowedIps: string[] };

/** One accepted key's value into the parts read so far, or a problem through `bad`. */
function readValue(key: string, value: string, bad: (msg: string) => void, iface: InterfaceParts, peer: PeerParts): void {
  switch (key) {
    case 'privatekey':
      if (isWireguardKey(value)) iface.privateKey = value;
      else bad("'PrivateKey' is not a WireGuard key (32 bytes, base64)");
      break;
    case 'publickey':
      if (isWireguardKey(value)) peer.publicKey = value;
      else bad("'PublicKey' is not a WireGuard key (32 bytes, base64)");
      break;
    case 'presharedkey':
      if (isWireguardKey(value)) peer.presharedKey = value;
      else bad("'PresharedKey' is not a WireGuard key (32 bytes, base64)");
      break;
    case 'address':
      for (const a of list(value)) {
        const c = addressWithPrefix(a);
        if (!c) bad(`'Address' entry '${a}' is not an address with an optional /prefix`);
        else (c.family === 4 ? iface.addresses4 : iface.addresses6).push(c.cidr);
      }
      break;
    case 'dns':
      for (const d of list(value)) {
        if (ipFamily(d)) iface.dns.push(d);
        else bad(`'DNS' entry '${d}' is not an IP address (fleet takes resolvers only, no search domains)`);
      }
      break;
    case 'mtu': {
      const mtu = intIn(value, 1280, 9000);
      if (mtu === undefined) bad("'MTU' must be a number from 1280 to 9000");
      else iface.mtu = mtu;
      break;
    }
    case 'listenport': {
      const p = intIn(value, 1, 65535);
      if (p === undefined) bad("'ListenPort' must be a port (1-65535)");
      else iface.listenPort = p;
      break;
    }
    case 'endpoint': {
      const e = parseEndpoint(value);
      if (typeof e === 'string') bad(`'Endpoint' ${e}`);
      else peer.endpoint = e;
      break;
    }
    case 'allowedips':
      for (const a of list(value)) {
        const c = addressWithPrefix(a);
        if (!c) bad(`'AllowedIPs' entry '${a}' is not an address with an optional /prefix`);
        else peer.allowedIps.push(c.cidr);
      }
      break;
    case 'persistentkeepalive': {
      const k = value.toLowerCase() === 'off' ? 0 : intIn(value, 0, 65535);
      if (k === undefined) bad("'PersistentKeepalive' must be seconds (0-65535) or off");
      else peer.persistentKeepalive = k;
      break;
    }
  }
}

/**
 * Parses and lints a provider's wg-quick file.
 * @param where what names the file in messages (its path on the controller)
 * @throws ModuleArgsError naming the file and line of every problem found; the message never
 *   holds a value from the file (the file holds the private key)
 */
export function parseWireguardConfig(text: string, where: string): WireguardProviderConfig {
  const problems: string[] = [];
  const at = (line: number, msg: string) => problems.push(line > 0 ? `${where}:${line}: ${msg}` : `${where}: ${msg}`);
  let section: Section | undefined;
  let interfaces = 0;
  let peers = 0;
  const seen = new Map<string, number>();
  const iface: InterfaceParts = { addresses4: [], addresses6: [], dns: [] };
  const peer: PeerParts = { allowedIps: [] };

  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const header = /^\[\s*([A-Za-z]+)\s*\]$/.exec(line);
    if (header) {
      const name = header[1]!.toLowerCase();
      if (name === 'interface') {
        section = 'interface';
        if (++interfaces > 1) at(n, 'a second [Interface] section');
      } else if (name === 'peer') {
        section = 'peer';
        if (++peers > 1) at(n, 'a second [Peer] section: fleet takes one provider endpoint per config');
      } else {
        section = undefined;
        at(n, `unknown section [${header[1]}]`);
      }
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) return void at(n, "expected 'Key = Value' or a [Section]");
    const keyName = line.slice(0, eq).trim();
    const key = keyName.toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (REFUSED[key]) return void at(n, `'${keyName}' ${REFUSED[key]}: fleet never runs it; remove the line`);
    if (!section) return void at(n, `'${keyName}' outside an [Interface] or [Peer] section`);
    if (!ACCEPTED[section].has(key)) return void at(n, `unknown key '${keyName}' in [${section === 'interface' ? 'Interface' : 'Peer'}]`);
    const repeatable = key === 'address' || key === 'dns' || key === 'allowedips';
    const id = `${section}.${key}`;
    if (!repeatable && seen.has(id)) return void at(n, `'${keyName}' is also set on line ${seen.get(id)}`);
    seen.set(id, n);
    readValue(key, value, (msg) => at(n, msg), iface, peer);
  });

  if (interfaces === 0) at(0, 'no [Interface] section');
  else {
    if (!seen.has('interface.privatekey')) at(0, '[Interface] has no PrivateKey');
    if (!seen.has('interface.address')) at(0, '[Interface] has no Address');
    else if (iface.addresses4.length === 0 && !problems.some((p) => p.includes("'Address'"))) at(seen.get('interface.address')!, "'Address' has no IPv4 address (the VPN half is IPv4)");
  }
  if (peers === 0) at(0, 'no [Peer] section');
  else {
    if (!seen.has('peer.publickey')) at(0, '[Peer] has no PublicKey');
    if (!seen.has('peer.endpoint')) at(0, '[Peer] has no Endpoint');
    if (!seen.has('peer.allowedips')) at(0, '[Peer] has no AllowedIPs');
  }
  if (problems.length) {
    throw new ModuleArgsError(problems.join('\n'), {
      hint: 'fix the provider config (provider_config_file); fleet accepts the wg-quick keys PrivateKey, Address, DNS, MTU, ListenPort and PublicKey, PresharedKey, Endpoint, AllowedIPs, PersistentKeepalive',
    });
  }
  const out: WireguardProviderConfig = {
    privateKey: iface.privateKey!,
    addresses4: iface.addresses4,
    addresses6: iface.addresses6,
    dns: iface.dns,
    peer: { publicKey: peer.publicKey!, endpoint: peer.endpoint!, allowedIps: peer.allowedIps },
  };
  if (iface.mtu !== undefined) out.mtu = iface.mtu;
  if (iface.listenPort !== undefined) out.listenPort = iface.listenPort;
  if (peer.presharedKey !== undefined) out.peer.presharedKey = peer.presharedKey;
  if (peer.persistentKeepalive !== undefined) out.peer.persistentKeepalive = peer.persistentKeepalive;
  return out;
}

/** The config `wg setconf` reads: only its own keys, rebuilt from the parsed values. */
export function wgSetconfText(c: WireguardProviderConfig): string {
  const lines = ['# Managed by fleet from the provider config: only what wg setconf reads.', '[Interface]', `PrivateKey = ${c.privateKey}`];
  if (c.listenPort !== undefined) lines.push(`ListenPort = ${c.listenPort}`);
  const e = c.peer.endpoint;
  lines.push('', '[Peer]', `PublicKey = ${c.peer.publicKey}`);
  if (c.peer.presharedKey !== undefined) lines.push(`PresharedKey = ${c.peer.presharedKey}`);
  lines.push(`Endpoint = ${e.family === 6 ? `[${e.ip}]` : e.ip}:${e.port}`, `AllowedIPs = ${c.peer.allowedIps.join(', ')}`);
  if (c.peer.persistentKeepalive !== undefined) lines.push(`PersistentKeepalive = ${c.peer.persistentKeepalive}`);
  return `${lines.join('\n')}\n`;
}

/** The uploaded config's keys with the secret values masked, for the plan. */
export function wireguardOutline(c: WireguardProviderConfig): string[] {
  const out = ['[Interface]', 'PrivateKey ***'];
  if (c.listenPort !== undefined) out.push(`ListenPort ${c.listenPort}`);
  out.push('[Peer]', 'PublicKey ***');
  if (c.peer.presharedKey !== undefined) out.push('PresharedKey ***');
  out.push(`Endpoint ${c.peer.endpoint.family === 6 ? `[${c.peer.endpoint.ip}]` : c.peer.endpoint.ip}:${c.peer.endpoint.port}`, `AllowedIPs ${c.peer.allowedIps.join(', ')}`);
  if (c.peer.persistentKeepalive !== undefined) out.push(`PersistentKeepalive ${c.peer.persistentKeepalive}`);
  return out;
}
