/**
 * Typed primitives shared by the inventory schema and the modules. Every inventory value passes
 * through one of these before it is rendered into shell: nothing untyped reaches a shell.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * Address and prefix arithmetic comes from ipaddr.js (a small, well-kept library with no
 * dependencies) instead of hand-written octet maths; fleet only narrows what it accepts: a
 * dotted quad of four decimal parts without leading zeros (ipaddr.js also takes 10.1, 0x0a.0.0.1
 * and octal parts, which the tools on the gateway read differently).
 */
export function isIPv4(s: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(s);
}

export function ipv4ToInt(s: string): number {
  return ipaddr.IPv4.parse(s).toByteArray().reduce((acc, o) => acc * 256 + o, 0);
}

export function intToIPv4(n: number): string {
  return ipaddr.fromByteArray([24, 16, 8, 0].map((sh) => Math.floor(n / 2 ** sh) % 256)).toString();
}

export interface Cidr {
  address: string;
  prefix: number;
}

export function parseCidr(s: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s);
  if (!m || !isIPv4(m[1]!)) return undefined;
  const prefix = Number(m[2]);
  if (prefix > 32) return undefined;
  return { address: m[1]!, prefix };
}

/** Network address of a CIDR (host bits cleared). */
export function networkOf(c: Cidr): string {
  return ipaddr.IPv4.networkAddressFromCIDR(`${c.address}/${c.prefix}`).toString();
}

export function cidrContains(net: Cidr, ip: string): boolean {
  return ipaddr.IPv4.parse(ip).match(ipaddr.IPv4.parse(net.address), net.prefix);
}

export const ipv4 = z.string().refine(isIPv4, { message: 'expected an IPv4 address like 10.4.0.1' }).describe('IPv4 address');

/** A network in CIDR form whose host bits are zero (10.4.0.0/25, not 10.4.0.1/25). */
export const cidr = z
  .string()
  .refine((s) => parseCidr(s) !== undefined, { message: 'expected a network in CIDR form like 10.4.0.0/24' })
  .refine(
    (s) => {
      const c = parseCidr(s);
      return !c || networkOf(c) === c.address;
    },
    { message: 'host bits are set: use the network address (e.g. 10.4.0.0/24)' },
  )
  .describe('IPv4 network (CIDR)');

/** An interface address with its prefix (10.4.0.1/24): host bits allowed. */
export const ifaceAddress = z
  .string()
  .refine((s) => parseCidr(s) !== undefined, { message: 'expected an address with prefix like 10.4.0.1/24' })
  .describe('IPv4 address with prefix length');

/** Linux IFNAMSIZ is 16 including the NUL; '/' and whitespace are not allowed. */
export const ifname = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, 'expected an interface name (1-15 characters: letters, digits, _ . -)')
  .describe('network interface name');

/** ip-netns(8) names become files under /run/netns. */
export const netnsName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, 'expected a namespace name (letters, digits, _ . -; up to 32)')
  .describe('network namespace name');

export const port = z.number().int().min(1).max(65535).describe('TCP/UDP port (1-65535)');

/** A WireGuard key: 32 bytes, base64 (44 characters ending in '='). */
export const wgKey = z
  .string()
  .regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'expected a WireGuard public key (44 base64 characters ending in =)')
  .describe('WireGuard public key');

/** A firewall mark: 0x-hex or decimal in YAML, normalised to lowercase hex. */
export const fwmark = z
  .union([z.number().int().min(1).max(0xffffffff), z.string().regex(/^0x[0-9a-fA-F]{1,8}$/, 'expected a mark like 0x200')])
  .transform((v) => `0x${(typeof v === 'number' ? v : parseInt(v, 16)).toString(16)}`)
  .describe('firewall mark (e.g. 0x200)');

/** Routing table id: 1-252 user tables and up (253-255 are default/main/local). */
export const tableId = z
  .number()
  .int()
  .min(1)
  .max(0xffffffff)
  .refine((n) => n < 253 || n > 255, { message: 'tables 253-255 are the kernel default/main/local tables' })
  .describe('routing table id');

export const absPath = z
  .string()
  .regex(/^\/[^\0\n]*$/, 'expected an absolute path')
  .refine((s) => !s.split('/').includes('..'), { message: 'a path must not contain ..' })
  .describe('absolute path');

/** File modes are strings: YAML reads an unquoted 0644 as the number 644. */
export const fileMode = z
  .string()
  .regex(/^0?[0-7]{3,4}$/, "expected an octal mode in quotes, like '0600'")
  .describe('file mode (octal string)');

export const hostname = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/, 'expected a DNS name')
  .describe('DNS name');

export const userName = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}\$?$/, 'expected a Unix user name')
  .describe('Unix user name');

// ---------------------------------------------------------------------------------------------
// IPv6. fleet takes an IPv6 address only in its canonical text (RFC 5952: lowercase, zeros
// compressed the one way `ip` prints them), so what the inventory says is what `ip` and
// `ip6tables` print back, and a check can compare text. Embedded IPv4 (::ffff:1.2.3.4) and zone
// ids (%eth0) are refused: no gateway address is written that way.

/** The canonical text of an IPv6 address, or undefined when `s` is not one. */
export function canonicalIPv6(s: string): string | undefined {
  if (!/^[0-9A-Fa-f:]{2,39}$/.test(s) || !ipaddr.IPv6.isValid(s)) return undefined;
  return ipaddr.IPv6.parse(s).toString();
}

export function isIPv6(s: string): boolean {
  return canonicalIPv6(s) === s;
}

export function parseCidr6(s: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m || !isIPv6(m[1]!)) return undefined;
  const prefix = Number(m[2]);
  if (prefix > 128 || String(prefix) !== m[2]) return undefined;
  return { address: m[1]!, prefix };
}

export function networkOf6(c: Cidr): string {
  return ipaddr.IPv6.networkAddressFromCIDR(`${c.address}/${c.prefix}`).toString();
}

export function cidrContains6(net: Cidr, ip: string): boolean {
  return ipaddr.IPv6.parse(ip).match(ipaddr.IPv6.parse(net.address), net.prefix);
}

/** An address as a 128-bit number, and back (peer addresses are counted in the subnet). */
export function ipv6ToBig(s: string): bigint {
  return ipaddr.IPv6.parse(s).toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

export function bigToIPv6(n: bigint): string {
  const bytes = Array.from({ length: 16 }, (_, i) => Number((n >> BigInt(8 * (15 - i))) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/** Which family an address or network is written in (IPv6 text always holds a colon). */
export function familyOf(s: string): 4 | 6 {
  return s.includes(':') ? 6 : 4;
}

function canonicalHint(s: string): string {
  const [addr, prefix] = s.split('/');
  const c = addr ? canonicalIPv6(addr) : undefined;
  return c && c !== addr ? ` (write it as ${c}${prefix === undefined ? '' : `/${prefix}`})` : '';
}

export const ipv6 = z
  .string()
  .superRefine((s, ctx) => {
    if (!isIPv6(s)) ctx.addIssue({ code: 'custom', message: `expected an IPv6 address in canonical form like fd00:10:4::1${canonicalHint(s)}` });
  })
  .describe('IPv6 address');

/** An IPv6 network whose host bits are zero (fd00:10:4::/64). */
export const cidr6 = z
  .string()
  .superRefine((s, ctx) => {
    const c = parseCidr6(s);
    if (!c) ctx.addIssue({ code: 'custom', message: `expected an IPv6 network in canonical form like fd00:10:4::/64${canonicalHint(s)}` });
    else if (networkOf6(c) !== c.address) ctx.addIssue({ code: 'custom', message: `host bits are set: use the network address (${networkOf6(c)}/${c.prefix})` });
  })
  .describe('IPv6 network (CIDR)');

/** An IPv6 interface address with its prefix (fd00:10:4::1/64). */
export const ifaceAddress6 = z
  .string()
  .superRefine((s, ctx) => {
    if (!parseCidr6(s)) ctx.addIssue({ code: 'custom', message: `expected an IPv6 address with prefix in canonical form like fd00:10:4::1/64${canonicalHint(s)}` });
  })
  .describe('IPv6 address with prefix length');

/** A network of either family (local_networks, vpn_destinations). */
export const anyCidr = z
  .string()
  .superRefine((s, ctx) => {
    const r = (familyOf(s) === 6 ? cidr6 : cidr).safeParse(s);
    if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message });
  })
  .describe('IPv4 or IPv6 network (CIDR)');

/** A network of either family, with host bits zero, as {address, prefix, family}. */
export function parseAnyCidr(s: string): (Cidr & { family: 4 | 6 }) | undefined {
  const family = familyOf(s);
  const c = family === 6 ? parseCidr6(s) : parseCidr(s);
  return c ? { ...c, family } : undefined;
}

/** The network text (host bits cleared) of an address/prefix of either family: fd00::5/64 -> fd00::/64. */
export function networkText(s: string): string | undefined {
  const c = parseAnyCidr(s);
  if (!c) return undefined;
  return `${c.family === 6 ? networkOf6(c) : networkOf(c)}/${c.prefix}`;
}
