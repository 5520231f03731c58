/**
 * The client's wg-quick config, and its QR code for the WireGuard mobile apps.
 */
import { renderUnicodeCompact } from 'uqr';

export interface ClientConfig {
  /** Absent when the operator gave the client's own public key: the client keeps its key. */
  privateKey?: string;
  /** The client's address, without prefix. */
  address: string;
  /** The gateway's wg0 address (dnsmasq answers there). */
  dns: string;
  serverPublicKey: string;
  /** host:port */
  endpoint: string;
  allowedIps: string[];
  keepalive?: number;
  /** A comment line at the top (the peer's name and gateway). */
  comment?: string;
}

export function renderClientConfig(c: ClientConfig): string {
  return [
    ...(c.comment ? [`# ${c.comment.replace(/[\r\n]+/g, ' ')}`] : []),
    '[Interface]',
    c.privateKey ? `PrivateKey = ${c.privateKey}` : '# PrivateKey = <the private key that belongs to the public key you gave>',
    `Address = ${c.address}/32`,
    `DNS = ${c.dns}`,
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
