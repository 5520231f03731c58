import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findKnownKeys, hostPatternFor, lookupHostKeys } from './known-hosts.js';

const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIBnaqE7wUF9e3Rt7lPg0lvm1IVcOqKaRqszVYNAVbT0q';

describe('known_hosts lookup', () => {
  it('matches plain names, ports and lists', () => {
    const text = `198.51.100.11 ssh-ed25519 ${KEY}\n[198.51.100.12]:2222 ssh-ed25519 ${KEY}\ngw3,198.51.100.13 ssh-rsa AAAA\n`;
    expect(findKnownKeys(text, '198.51.100.11', 22)).toEqual([{ type: 'ssh-ed25519', key: KEY, revoked: false }]);
    expect(findKnownKeys(text, '198.51.100.12', 22)).toEqual([]);
    expect(findKnownKeys(text, '198.51.100.12', 2222)).toHaveLength(1);
    expect(findKnownKeys(text, '198.51.100.13', 22)[0]?.type).toBe('ssh-rsa');
  });

  it('matches hashed names as ssh-keygen -H writes them', () => {
    const salt = Buffer.from('0123456789abcdefghij');
    const mac = createHmac('sha1', salt).update(hostPatternFor('10.9.9.9', 22)).digest('base64');
    const text = `|1|${salt.toString('base64')}|${mac} ssh-ed25519 ${KEY}\n`;
    expect(findKnownKeys(text, '10.9.9.9', 22)).toHaveLength(1);
    expect(findKnownKeys(text, '10.9.9.8', 22)).toHaveLength(0);
  });

  it('honours wildcards, negation and @revoked', () => {
    const text = `*.lab,!bad.lab ssh-ed25519 ${KEY}\n@revoked gw9 ssh-ed25519 ${KEY}\n`;
    expect(findKnownKeys(text, 'gw1.lab', 22)).toHaveLength(1);
    expect(findKnownKeys(text, 'bad.lab', 22)).toHaveLength(0);
    expect(findKnownKeys(text, 'gw9', 22)[0]?.revoked).toBe(true);
  });

  it('compares names as OpenSSH does: lowercased, without a trailing dot, patterns too', () => {
    const text = `GW1.Example.ORG ssh-ed25519 ${KEY}\n[Gw2]:2222 ssh-ed25519 ${KEY}\n`;
    expect(findKnownKeys(text, 'gw1.example.org', 22)).toHaveLength(1);
    expect(findKnownKeys(text, 'GW1.EXAMPLE.ORG.', 22)).toHaveLength(1);
    expect(findKnownKeys(text, 'GW2', 2222)).toHaveLength(1);
    expect(hostPatternFor('GW2.', 2222)).toBe('[gw2]:2222');
    const salt = Buffer.from('0123456789abcdefghij');
    const mac = createHmac('sha1', salt).update('gw3.example').digest('base64');
    expect(findKnownKeys(`|1|${salt.toString('base64')}|${mac} ssh-ed25519 ${KEY}\n`, 'GW3.Example.', 22)).toHaveLength(1);
  });

  it('sorts what it finds: plain keys, revoked keys, CA lines, each with its line number', () => {
    const text = `# keys\n@cert-authority *.lab ssh-ed25519 ${KEY}\n@revoked * ssh-ed25519 AAAA\ngw1.lab ssh-rsa BBBB\n@bogus gw1.lab ssh-rsa CCCC\n`;
    expect(lookupHostKeys(text, 'gw1.lab', 22)).toEqual({
      keys: [{ type: 'ssh-rsa', key: 'BBBB', revoked: false, line: 4 }],
      revoked: [{ type: 'ssh-ed25519', key: 'AAAA', revoked: true, line: 3 }],
      certAuthorities: [{ type: 'ssh-ed25519', key: KEY, revoked: false, line: 2 }],
    });
    // The CA line is not a key of the host, and an unknown marker's line is ignored, as ssh does.
    expect(findKnownKeys(text, 'gw1.lab', 22).map((k) => k.key)).toEqual(['AAAA', 'BBBB']);
  });
});

/** The lookup as it was before parsed files were kept: every line parsed and matched per call. */
function referenceFind(text: string, host: string, port: number) {
  const name = hostPatternFor(host, port);
  const matchesName = (field: string): boolean => {
    if (field.startsWith('|1|')) {
      const [, , salt, hash] = field.split('|');
      if (!salt || !hash) return false;
      return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
    }
    let matched = false;
    for (const pat of field.split(',')) {
      const negated = pat.startsWith('!');
      const p = (negated ? pat.slice(1) : pat).toLowerCase();
      const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      if (re.test(name)) {
        if (negated) return false;
        matched = true;
      }
    }
    return matched;
  };
  const keys: { type: string; key: string; revoked: boolean }[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      if (fields[0] === '@revoked') revoked = true;
      else continue; // @cert-authority lines are not keys of the host; unknown markers are ignored
      fields.shift();
    }
    const [names, type, key] = fields;
    if (!names || !type || !key) continue;
    if (matchesName(names)) keys.push({ type, key, revoked });
  }
  return keys;
}

describe('known_hosts lookup over a parsed file', () => {
  const hosts = ['gw1', 'gw2', 'gw1.lab', 'bad.lab', '10.0.0.1', '10.0.0.10', '2001:db8::1', 'a.b'];
  const ports = [22, 2222];
  const hostArb = fc.constantFrom(...hosts);
  const plain = fc.tuple(hostArb, fc.constantFrom(...ports)).map(([h, p]) => hostPatternFor(h, p));
  const pattern = fc.oneof(
    plain,
    plain.map((p) => `!${p}`),
    fc.constantFrom('*', '*.lab', 'gw?', '10.0.0.*', '[10.0.0.1]:*', '!*.lab', 'a.b', 'a?b', 'a*b', '', '[gw1]:2222'),
  );
  const hashed = fc.tuple(plain, fc.boolean()).map(([name, right]) => {
    const salt = Buffer.from(`salt-${name}`);
    const mac = createHmac('sha1', salt).update(right ? name : `${name}x`).digest('base64');
    return `|1|${salt.toString('base64')}|${mac}`;
  });
  const line = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('', '', '@revoked ', '@cert-authority ', '@other '),
        fc.oneof(fc.array(pattern, { minLength: 1, maxLength: 4 }).map((ps) => ps.join(',')), hashed, fc.constantFrom('|1|', '|1|x')),
        fc.constantFrom('ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256'),
        fc.constantFrom(KEY, 'AAAA', 'BBBB'),
        fc.constantFrom('', ' comment', '\t'),
      )
      .map(([marker, names, type, key, tail]) => `${marker}${names} ${type} ${key}${tail}`),
    fc.constantFrom('', '# comment', '   ', 'gw1 ssh-rsa', 'gw1'),
  );

  it('finds exactly what the line-by-line lookup finds, in the same order', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), hostArb, fc.constantFrom(...ports), (lines, host, port) => {
        const text = lines.join('\n');
        expect(findKnownKeys(text, host, port)).toEqual(referenceFind(text, host, port));
        // Again, from the parsed file.
        expect(findKnownKeys(text, host, port)).toEqual(referenceFind(text, host, port));
      }),
      { numRuns: 2000 },
    );
  });

  it('sees a changed file: a key added, then revoked', () => {
    const base = `gw1 ssh-ed25519 ${KEY}\n`;
    expect(findKnownKeys(base, 'gw2', 22)).toEqual([]);
    const added = `${base}gw2 ssh-ed25519 ${KEY}\n`;
    expect(findKnownKeys(added, 'gw2', 22)).toEqual([{ type: 'ssh-ed25519', key: KEY, revoked: false }]);
    const revoked = `${added}@revoked gw2 ssh-ed25519 ${KEY}\n`;
    expect(findKnownKeys(revoked, 'gw2', 22).map((k) => k.revoked)).toEqual([false, true]);
  });
});
