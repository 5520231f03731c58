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

/** Whether one known_hosts name field (hashed, or a comma list with wildcards and !negations) names `name`. */
type NameMatcher = (name: string) => boolean;

function nameMatcher(field: string): NameMatcher {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return () => false;
    const key = Buffer.from(salt, 'base64');
    return (name) => createHmac('sha1', key).update(name).digest('base64') === hash;
  }
  const pats = field.split(',').map((pat) => {
    const negated = pat.startsWith('!');
    const p = negated ? pat.slice(1) : pat;
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    return { negated, re };
  });
  return (name) => {
    let matched = false;
    for (const { negated, re } of pats) {
      if (re.test(name)) {
        if (negated) return false;
        matched = true;
      }
    }
    return matched;
  };
}

interface Entry extends KnownKey {
  matches: NameMatcher;
}

interface ParsedKnownHosts {
  entries: Entry[];
  /** Entries with a plain (no wildcard) positive pattern, by that name: the only entries such a name can match... */
  byName: Map<string, number[]>;
  /** ...besides these, which must be tried for every name (hashed, or with a wildcard). */
  scan: number[];
}

function parseKnownHosts(text: string): ParsedKnownHosts {
  const parsed: ParsedKnownHosts = { entries: [], byName: new Map(), scan: [] };
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
    const i = parsed.entries.push({ type, key, revoked, matches: nameMatcher(names) }) - 1;
    const pats = names.startsWith('|1|') ? undefined : names.split(',');
    if (!pats || pats.some((p) => /[*?]/.test(p))) {
      parsed.scan.push(i);
      continue;
    }
    // Without wildcards a pattern is the name itself; a negated one can only rule a name out.
    for (const p of new Set(pats.filter((x) => !x.startsWith('!')))) {
      const at = parsed.byName.get(p);
      if (at) at.push(i);
      else parsed.byName.set(p, [i]);
    }
  }
  return parsed;
}

/**
 * Parsed known_hosts texts. Every connection looks its host up in the same file: parsing it (and
 * compiling a pattern per line) for each one made a fleet's connects cost O(hosts²), 2.8 ms of CPU
 * per connection at 1,000 gateways and 63 ms at 10,000. The text is still read for every
 * connection and compared whole, so a changed file (a key recorded by --accept-new-host-keys, an
 * edit, a revocation) is parsed again before it is used.
 */
const parsedTexts = new Map<string, ParsedKnownHosts>();

function parsedKnownHosts(text: string): ParsedKnownHosts {
  let parsed = parsedTexts.get(text);
  if (!parsed) {
    if (parsedTexts.size >= 8) parsedTexts.clear();
    parsedTexts.set(text, (parsed = parseKnownHosts(text)));
  }
  return parsed;
}

/** Every key known for host:port in the text of a known_hosts file, in the file's order. */
export function findKnownKeys(text: string, host: string, port: number): KnownKey[] {
  const name = hostPatternFor(host, port);
  const { entries, byName, scan } = parsedKnownHosts(text);
  const named = byName.get(name) ?? [];
  const candidates = named.length ? [...named, ...scan].sort((a, b) => a - b) : scan;
  const keys: KnownKey[] = [];
  for (const i of candidates) {
    const e = entries[i]!;
    if (e.matches(name)) keys.push({ type: e.type, key: e.key, revoked: e.revoked });
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
