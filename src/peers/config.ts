/**
 * The client's wg-quick config, and its QR code for the WireGuard mobile apps.
 */
import { renderUnicodeCompact } from 'uqr';
import { PeerError } from './allocate.js';

export interface ClientConfig {
  /** Absent when the operator gave the client's own public key: the client keeps its key. */
  privateKey?: string;
  /** The client's address, without prefix. */
  address: string;
  /** Its IPv6 address, without prefix. */
  address6?: string;
  /** The gateway's wg0 address (dnsmasq answers there). */
  dns: string;
  /** The gateway's wg0 IPv6 address (dnsmasq answers there too). */
  dns6?: string;
  serverPublicKey: string;
  /** host:port */
  endpoint: string;
  allowedIps: string[];
  keepalive?: number;
  /** A comment line at the top (the peer's name and gateway). */
  comment?: string;
}

/** Every value is one line: a newline would start a section of its own (`[Interface]`, `PreUp = ...`). */
function oneLine(c: ClientConfig): void {
  const values = [c.privateKey, c.address, c.address6, c.dns, c.dns6, c.serverPublicKey, c.endpoint, ...c.allowedIps];
  if (values.some((v) => v !== undefined && /[\u0000-\u001f\u007f]/.test(v))) {
    throw new PeerError('a client config value holds a control character: refusing to write the config');
  }
}

export function renderClientConfig(c: ClientConfig): string {
  oneLine(c);
  return [
    ...(c.comment ? [`# ${c.comment.replace(/[\r\n]+/g, ' ')}`] : []),
    '[Interface]',
    c.privateKey ? `PrivateKey = ${c.privateKey}` : '# PrivateKey = <the private key that belongs to the public key you gave>',
    `Address = ${c.address}/32${c.address6 ? `, ${c.address6}/128` : ''}`,
    `DNS = ${c.dns}${c.dns6 ? `, ${c.dns6}` : ''}`,
    '',
    '[Peer]',
    `PublicKey = ${c.serverPublicKey}`,
    `Endpoint = ${c.endpoint}`,
    `AllowedIPs = ${c.allowedIps.join(', ')}`,
    `PersistentKeepalive = ${c.keepalive ?? 25}`,
    '',
  ].join('\n');
}

/** A QR code of `text` for a terminal (two modules per character cell), with a quiet border. */
export function qrCode(text: string): string {
  return renderUnicodeCompact(text, { border: 2, ecc: 'L' });
}
