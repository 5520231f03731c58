import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForError } from '../cli/exit-codes.js';
import { generateKeys, isWgKey } from './keys.js';

const PATH = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH;
});

describe('client key pair', () => {
  it('is made by the WireGuard tools on this machine', () => {
    const k = generateKeys();
    expect(isWgKey(k.privateKey) && isWgKey(k.publicKey)).toBe(true);
    expect(k.publicKey).not.toBe(k.privateKey);
  });

  it('without wg on this machine: a catalogued error, exit 4 (nothing ran on any host), with the way out', () => {
    process.env.PATH = '/nonexistent';
    let err: unknown;
    try {
      generateKeys();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'CONTROLLER_TOOL_FAILED', message: "the WireGuard tools ('wg') are not installed on this machine" });
    expect((err as { hint: string }).hint).toContain('--public-key');
    expect(exitCodeForError(err)).toBe(4);
  });
});
