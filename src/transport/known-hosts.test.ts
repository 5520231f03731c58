import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findKnownKeys, hostPatternFor } from './known-hosts.js';

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
});
