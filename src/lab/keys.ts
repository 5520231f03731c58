/**
 * Key material made at `lab up`: the lab's SSH key, each gateway's host key, the known_hosts that
 * pins them, and the clients' WireGuard key pairs. Private keys are written 0600.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { runOk } from './run.js';

/** ssh-keygen an ed25519 key at `file` (and file.pub) unless it exists. Returns the public line. */
export async function ensureSshKey(file: string, comment: string): Promise<string> {
  if (!existsSync(file) || !existsSync(`${file}.pub`)) {
    await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { what: `ssh-keygen ${file}`, input: 'y\n' });
  }
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** `<ip> <type> <key>` lines; ssh matches the host name it connects to against the first field. */
export function knownHostsLine(ip: string, port: number, publicLine: string): string {
  const [type, key] = publicLine.split(/\s+/);
  const host = port === 22 ? ip : `[${ip}]:${port}`;
  return `${host} ${type} ${key}`;
}

export interface WgKeyPair {
  privateKey: string;
  publicKey: string;
}

function b64urlToB64(s: string): string {
  const b = s.replace(/-/g, '+').replace(/_/g, '/');
  return b + '='.repeat((4 - (b.length % 4)) % 4);
}

/**
 * A WireGuard key pair without spawning `wg`: WireGuard keys are X25519 keys (RFC 7748 clamping,
 * which `wg pubkey` applies too), base64 of the raw 32 bytes.
 */
export function wgKeyPair(): WgKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const priv = privateKey.export({ format: 'jwk' }) as { d?: string };
  const pub = publicKey.export({ format: 'jwk' }) as { x?: string };
  if (!priv.d || !pub.x) throw new Error('x25519 key export failed');
  return { privateKey: b64urlToB64(priv.d), publicKey: b64urlToB64(pub.x) };
}

export function writeSecret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
}
