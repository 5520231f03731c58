/**
 * The error catalogue is the one list of codes: docs/errors.md is generated from it and current,
 * every error class's code is in it, the engine and the commands raise no uncatalogued error, and
 * exit codes come from it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exitCodeForError } from '../cli/exit-codes.js';
import { InputFileError, InternalError, InventoryError, LockError, LostAccessError, RemoteCommandError, TransportError, UnfinishedRunError, UsageError } from '../errors.js';
import { CATALOGUE } from './catalogue.js';
import { errorsMarkdown } from './docs.js';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(src, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return f.endsWith('.ts') && !f.endsWith('.test.ts') ? [p] : [];
  });
}

describe('the error catalogue', () => {
  it('docs/errors.md is generated from it and current', () => {
    const doc = readFileSync(path.join(root, 'docs', 'errors.md'), 'utf8');
    expect(doc, 'docs/errors.md is stale: npm run build && node dist/src/errors/write-docs.js').toBe(errorsMarkdown());
    for (const code of Object.keys(CATALOGUE)) expect(doc).toContain(`## ${code}:`);
  });

  it('holds every code an error class declares', () => {
    const declared = sources(src).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/readonly code(?:: string)? = '([A-Z_]+)'/g)].map((m) => `${m[1]} (${path.relative(root, f)})`));
    expect(declared.length).toBeGreaterThan(10);
    expect(declared.filter((d) => !Object.hasOwn(CATALOGUE, d.split(' ')[0]!))).toEqual([]);
  });

  it('the engine and the commands raise catalogued errors only, never the generic one', () => {
    const generic = sources(path.join(src, 'engine'))
      .concat(sources(path.join(src, 'cli')))
      .filter((f) => /new FleetError\(/.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(root, f));
    expect(generic).toEqual([]);
  });

  it('gives every command its exit code', () => {
    expect(exitCodeForError(new InventoryError([{ location: { file: 'inv.yaml', line: 3 }, message: 'bad' }]))).toBe(4);
    expect(exitCodeForError(new InputFileError('known_hosts_file', '/dev/zero', 'not a regular file'))).toBe(4);
    expect(exitCodeForError(new UsageError('confirm with --yes'))).toBe(4);
    expect(exitCodeForError(new LockError('gw1: locked'))).toBe(2);
    expect(exitCodeForError(new UnfinishedRunError('gw1: run r1 is unfinished'))).toBe(2);
    expect(exitCodeForError(new LostAccessError('lost access: reverting'))).toBe(2);
    expect(exitCodeForError(new TransportError('gw1', 'refused', 'connection refused'))).toBe(2);
    expect(exitCodeForError(new InternalError('a bug'))).toBe(1);
    expect(exitCodeForError(new Error('a bug'))).toBe(1);
  });

  it('errors carry their code and title from it', () => {
    const e = new UnfinishedRunError('gw1: run r1 is unfinished (running)', { hint: "run 'fleet rollback gw1 --last'" });
    expect(e.toJSON()).toMatchObject({ code: 'RUN_UNFINISHED', title: CATALOGUE.RUN_UNFINISHED.title });
    const step = new RemoteCommandError('gw1', 'file:/etc/x', 'apply: file /etc/x', 3, 'no space left\n');
    expect(step.toJSON()).toMatchObject({ code: 'REMOTE_COMMAND_FAILED', message: 'gw1 file:/etc/x: exit 3: no space left' });
  });
});
