/**
 * known_hosts lookup as OpenSSH does it: plain or hashed (|1|salt|hmac) host patterns, `[host]:port`
 * for non-22 ports, comma-separated names with wildcards and !negations, and the two markers:
 * `@revoked` (this key is never accepted, whichever host presents it) and `@cert-authority` (the
 * host proves itself with a certificate signed by this CA key: the host is known, but by a CA).
 * Names are compared as OpenSSH compares them: lowercased, without a trailing dot, for hashed
 * entries too (ssh-keygen -H hashes the lowercased name). Pure functions plus one append.
 */
import { createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { readRegularText } from '../fs/read-regular-file.js';

export interface KnownKey {
  type: string;
  /** base64 of the key blob, as in the file. */
  key: string;
  revoked: boolean;
}

/** One matching line of the file, with where it is (for messages). */
export interface KnownEntry extends KnownKey {
  line: number;
}

/** Everything known_hosts says about one host:port. */
export interface HostKeyLookup {
  /** Plain keys the host may present (not revoked), in file order. */
  keys: KnownEntry[];
  /** Keys marked @revoked for this name (`@revoked *` covers every host). */
  revoked: KnownEntry[];
  /** @cert-authority lines covering this name: the host is known, through a CA. */
  certAuthorities: KnownEntry[];
}

/** The name OpenSSH looks up: lowercased, one trailing dot dropped. */
export function normalizeHostName(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') && lower.length > 1 ? lower.slice(0, -1) : lower;
}

/** The known_hosts name of host:port (`host`, or `[host]:port` off port 22), normalised. */
export function hostPatternFor(host: string, port: number): string {
  const name = normalizeHostName(host);
  return port === 22 ? name : `[${name}]:${port}`;
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
  // OpenSSH lowercases the patterns too (match_hostname): `GW1.Example` names gw1.example.
  const pats = field.split(',').map((pat) => {
    const negated = pat.startsWith('!');
    const p = (negated ? pat.slice(1) : pat).toLowerCase();
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

type Marker = 'revoked' | 'cert-authority' | undefined;

interface Entry extends KnownEntry {
  marker: Marker;
  matches: NameMatcher;
}

interface ParsedKnownHosts {
  entries: Entry[];
  /** Entries with a plain (no wildcard) positive pattern, by that name: the only entries such a name can match... */
  byName: Map<string, number[]>;
  /** ...besides these, which must be tried for every name (hashed, or with a wildcard). */
  scan: number[];
}

/** The marker of a line, or null for a marker OpenSSH does not know (the line is ignored, as ssh does). */
function markerOf(field: string): Marker | null {
  if (field === '@revoked') return 'revoked';
  if (field === '@cert-authority') return 'cert-authority';
  return null;
}

function parseKnownHosts(text: string): ParsedKnownHosts {
  const parsed: ParsedKnownHosts = { entries: [], byName: new Map(), scan: [] };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: Marker;
    if (fields[0]?.startsWith('@')) {
      const m = markerOf(fields.shift()!);
      if (m === null) continue;
      marker = m;
    }
    const [names, type, key] = fields;
    if (!names || !type || !key) continue;
    const i = parsed.entries.push({ type, key, revoked: marker === 'revoked', marker, line: n + 1, matches: nameMatcher(names) }) - 1;
    const pats = names.startsWith('|1|') ? undefined : names.toLowerCase().split(',');
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

function matchingEntries(text: string, host: string, port: number): Entry[] {
  const name = hostPatternFor(host, port);
  const { entries, byName, scan } = parsedKnownHosts(text);
  const named = byName.get(name) ?? [];
  const candidates = named.length ? [...named, ...scan].sort((a, b) => a - b) : scan;
  return candidates.map((i) => entries[i]!).filter((e) => e.matches(name));
}

/** What the text of a known_hosts file says about host:port. */
export function lookupHostKeys(text: string, host: string, port: number): HostKeyLookup {
  const found: HostKeyLookup = { keys: [], revoked: [], certAuthorities: [] };
  for (const e of matchingEntries(text, host, port)) {
    const entry: KnownEntry = { type: e.type, key: e.key, revoked: e.revoked, line: e.line };
    (e.marker === 'revoked' ? found.revoked : e.marker === 'cert-authority' ? found.certAuthorities : found.keys).push(entry);
  }
  return found;
}

/** Every plain or @revoked key known for host:port, in the file's order (CA lines are not keys of the host). */
export function findKnownKeys(text: string, host: string, port: number): KnownKey[] {
  return matchingEntries(text, host, port)
    .filter((e) => e.marker !== 'cert-authority')
    .map((e) => ({ type: e.type, key: e.key, revoked: e.revoked }));
}

/** The file's text; a file that does not exist yet knows nothing. */
export function readKnownHosts(file: string, what = 'known_hosts_file'): string {
  return existsSync(file) ? readRegularText(file, { what }) : '';
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
