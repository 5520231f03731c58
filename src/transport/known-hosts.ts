/**
 * known_hosts lookup as OpenSSH does it: plain or hashed (|1|salt|hmac) host patterns, `[host]:port`
 * for non-22 ports, comma-separated names, and @revoked markers. Pure functions plus one append.
 */
import { createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface KnownKey {
  type: string;
  /** base64 of the key blob, as in the file. */
  key: string;
  revoked: boolean;
}

export function hostPatternFor(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matchesName(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pat of field.split(',')) {
    const negated = pat.startsWith('!');
    const p = negated ? pat.slice(1) : pat;
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    if (re.test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Every key known for host:port in the text of a known_hosts file. */
export function findKnownKeys(text: string, host: string, port: number): KnownKey[] {
  const name = hostPatternFor(host, port);
  const keys: KnownKey[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      if (fields[0] === '@revoked') revoked = true;
      else if (fields[0] === '@cert-authority') continue; // certificates are not supported
      fields.shift();
    }
    const [names, type, key] = fields;
    if (!names || !type || !key) continue;
    if (matchesName(names, name)) keys.push({ type, key, revoked });
  }
  return keys;
}

export function readKnownHosts(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Records a first-contact key (--accept-new-host-keys), as `ssh -o StrictHostKeyChecking=accept-new` does. */
export function appendKnownHost(file: string, host: string, port: number, type: string, keyBase64: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const text = readKnownHosts(file);
  const prefix = text && !text.endsWith('\n') ? '\n' : '';
  appendFileSync(file, `${prefix}${hostPatternFor(host, port)} ${type} ${keyBase64}\n`, { mode: 0o600 });
}

/** The key type name inside an SSH public key blob (string length-prefixed). */
export function keyTypeOfBlob(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}
