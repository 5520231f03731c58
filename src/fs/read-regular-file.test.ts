import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputFileError } from '../errors.js';
import { readRegularFile, readRegularText } from './read-regular-file.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(p: string, maxBytes?: number): InputFileError {
  try {
    readRegularFile(p, { what: 'openvpn_config_file', maxBytes });
  } catch (err) {
    if (err instanceof InputFileError) return err;
    throw err;
  }
  throw new Error(`read ${p} without an error`);
}

describe('readRegularFile', () => {
  it('reads a regular file as bytes, unchanged (a byte E9 stays E9)', () => {
    const f = path.join(dir, 'latin1.conf');
    writeFileSync(f, Buffer.from([0x72, 0xe9, 0x0a]));
    expect([...readRegularFile(f, { what: 'x' })]).toEqual([0x72, 0xe9, 0x0a]);
    writeFileSync(f, 'all:\n  hosts: {}\n');
    expect(readRegularText(f, { what: 'inventory' })).toBe('all:\n  hosts: {}\n');
  });

  it('refuses /dev/zero at once instead of reading forever', () => {
    const e = failure('/dev/zero');
    expect(e.message).toBe('openvpn_config_file /dev/zero: not a regular file (a device, FIFO or socket)');
  });

  it('refuses a FIFO without blocking on it', () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(failure(fifo).message).toMatch(/not a regular file/);
  });

  it('names a directory as a directory', () => {
    expect(failure(dir).message).toBe(`openvpn_config_file ${dir}: it is a directory, not a regular file`);
  });

  it('says a missing file is missing', () => {
    expect(failure(path.join(dir, 'nope')).message).toMatch(/: no such file$/);
  });

  it('refuses a file over the cap', () => {
    const f = path.join(dir, 'big');
    writeFileSync(f, Buffer.alloc(2048));
    expect(failure(f, 1024).message).toMatch(/2048 bytes, more than the 1024 bytes fleet reads/);
    expect(readRegularFile(f, { what: 'x', maxBytes: 2048 }).length).toBe(2048);
  });
});
