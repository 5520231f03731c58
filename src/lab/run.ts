/**
 * Running programs for the lab: short commands (collected output) and long-lived daemons
 * (detached, output to a log file). Every command is an argv array: nothing goes through a shell
 * unless a script is passed explicitly to `sh -c`.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { LabError } from './errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  /** null when the process died of a signal. */
  code: number | null;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the process (SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
}

/** A small, predictable environment for commands run inside lab namespaces. */
export const LAB_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C',
  LC_ALL: 'C',
};

/** Runs argv and resolves with its output and exit code; rejects only when it cannot start. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new TypeError('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? { ...process.env, LANG: 'C', LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new LabError(`cannot run ${cmd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code });
    });
    // A child that exits without reading its stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Like `run`, but a non-zero exit is a LabError naming the command and the end of its stderr. */
export async function runOk(argv: readonly string[], opts: RunOptions & { what?: string } = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n    ');
    throw new LabError(`${opts.what ?? argv.slice(0, 4).join(' ')} failed (exit ${r.code ?? 'signal'})${tail ? `:\n    ${tail}` : ''}`);
  }
  return r.stdout;
}

/**
 * Starts a long-lived process detached from us (own session, stdio to `logPath`) and returns its
 * pid. With `ip netns exec` first in argv the pid is the daemon's own: ip execs, it does not fork.
 */
export function spawnDaemon(argv: readonly string[], logPath: string, env: NodeJS.ProcessEnv = LAB_ENV): number {
  const [cmd, ...args] = argv;
  if (!cmd) throw new TypeError('spawnDaemon: empty argv');
  const fd = openSync(logPath, 'a', 0o600);
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new LabError(`cannot start ${cmd}`);
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** The kernel's start time of a process (clock ticks since boot), to tell a pid from a reused one. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces and parentheses, so split after it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number, startTime?: number): boolean {
  const st = processStartTime(pid);
  if (st === undefined) return false;
  if (startTime !== undefined && st !== startTime) return false;
  try {
    // A zombie has a /proc entry but is dead for our purposes.
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new LabError(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Runs `sh -c script sh args...` inside every namespace of process `pid` (network, mount, uts,
 * pid, ipc, cgroup; nsenter -a skips the user namespace when it is our own), with a small fixed
 * environment.
 * Resolves with the script's exit code; rejects only when nsenter itself cannot start.
 */
export function enter(pid: number, script: string, opts: { input?: string; timeoutMs?: number; args?: readonly string[] } = {}): Promise<RunResult> {
  const args = opts.args ? ['sh', ...opts.args] : [];
  return run(['nsenter', '-t', String(pid), '-a', '/bin/sh', '-c', script, ...args], { env: LAB_ENV, input: opts.input, timeoutMs: opts.timeoutMs });
}
