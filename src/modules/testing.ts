/**
 * Test support for module tests (not used at run time): captured tool outputs, and running a
 * fragment under dash with fake tools first on PATH, so a check's parsing can be tested on real
 * output without root and without touching the machine.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { quote, type Shell } from '../shell/sh.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** test/fixtures/<tool>/debian-12/<name>: output captured on Debian 12 (see capture.sh there). */
export function fixturePath(tool: string, name: string): string {
  return path.join(ROOT, 'test', 'fixtures', tool, 'debian-12', name);
}

export function fixture(tool: string, name: string): string {
  return readFileSync(fixturePath(tool, name), 'utf8');
}

export interface FragmentRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every fake tool's argv, one line per call: `ip -N rule show pref 111`. */
  calls: string[];
}

/**
 * A fake tool: a case table from a glob (`*` only) over its joined arguments to a reply. The reply is a
 * fixture file to print (`file`), literal text (`out`, `err`) and an exit status.
 */
export interface FakeReply {
  match: string;
  file?: string;
  out?: string;
  err?: string;
  code?: number;
}

/**
 * Runs a fragment as the engine does (`/bin/sh -c "export LC_ALL=C FLEET_STATE=.. FLEET_DEFER=..;
 * ( fragment )"`, stdin closed) with fake tools first on PATH. An unmatched call to a fake tool
 * exits 99 and says so on stderr, so a fragment that runs something unexpected fails loudly.
 */
export function runWithFakes(fragment: Shell, fakes: Record<string, FakeReply[]>): FragmentRun {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-fakes-'));
  try {
    const bin = path.join(dir, 'bin');
    const state = path.join(dir, 'state');
    const log = path.join(dir, 'calls');
    spawnSync('mkdir', ['-p', bin, state]);
    writeFileSync(log, '');
    for (const [tool, replies] of Object.entries(fakes)) {
      const cases = replies.map((r, i) => {
        const body: string[] = [];
        if (r.file !== undefined) body.push(`cat ${quote(r.file)}`);
        if (r.out !== undefined) {
          const f = path.join(dir, `${tool}-${i}.out`);
          writeFileSync(f, r.out);
          body.push(`cat ${quote(f)}`);
        }
        if (r.err !== undefined) {
          const f = path.join(dir, `${tool}-${i}.err`);
          writeFileSync(f, r.err);
          body.push(`cat ${quote(f)} >&2`);
        }
        body.push(`exit ${r.code ?? 0}`);
        // `*` is the only wildcard; everything else matches literally.
        const glob = r.match.split('*').map((part) => (part === '' ? '' : quote(part))).join('*');
        return `  ${glob}) ${body.join('; ')} ;;`;
      });
      const script = [
        '#!/bin/sh',
        `printf '%s\\n' "${tool} $*" >> ${quote(log)}`,
        'case "$*" in',
        ...cases,
        `  *) echo "fake ${tool}: unexpected call: $*" >&2; exit 99 ;;`,
        'esac',
        '',
      ].join('\n');
      const p = path.join(bin, tool);
      writeFileSync(p, script);
      chmodSync(p, 0o755);
    }
    const script = `export LC_ALL=C FLEET_STATE=${quote(state)} FLEET_DEFER=${quote(path.join(dir, 'defer'))} PATH=${quote(bin)}:"$PATH"; (\n${fragment.text}\n)`;
    const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A fragment is valid POSIX sh as dash reads it (`sh -n`). Rendering tests assert this and what
 * the fragment must do (run against fakes or the real tools), not its exact text.
 */
export function expectValidSh(fragment: Shell): void {
  const r = spawnSync('/bin/sh', ['-n'], { input: fragment.text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`not valid sh (${r.stderr.trim()}):\n${fragment.text}`);
}
