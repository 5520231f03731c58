/**
 * The client's `Endpoint =` value. It lands in a wg-quick config that runs as root on the client:
 * a value with a newline could add a `[Interface]` section with `PreUp = <command>`. So it is
 * exactly host:port: a DNS name or IPv4 address, or an IPv6 address in brackets, and a port.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { PeerError } from './allocate.js';

const DNS_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$/;

/** A value as it may be echoed: control characters made visible. */
export function printable(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/**
 * `value` when it is `host:port` (IPv6 as `[addr]:port`).
 * @throws PeerError naming --endpoint and what is wrong.
 */
export function checkEndpoint(value: string): string {
  const bad = (why: string) =>
    new PeerError(`--endpoint '${printable(value)}' is not host:port: ${why}`, { hint: 'e.g. --endpoint vpn.example.com:51820, 198.51.100.11:51820 or [2001:db8::1]:51820' });
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (!m) {
    if (/[\u0000-\u001f\u007f]/.test(value)) throw bad('it holds a control character (a newline?)');
    throw bad(isIPv6(value.replace(/:\d+$/, '')) ? 'an IPv6 address goes in brackets' : 'expected host:port');
  }
  const [, v6, host, portText] = m;
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad('the port must be 1-65535');
  if (v6 !== undefined && !isIPv6(v6)) throw bad(`${printable(v6)} is not an IPv6 address`);
  if (host !== undefined && !isIPv4(host) && !(DNS_NAME.test(host) && host.length <= 253)) throw bad(`${printable(host)} is not a DNS name or IPv4 address`);
  return value;
}
