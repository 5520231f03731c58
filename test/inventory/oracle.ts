/**
 * The real Ansible as the oracle: ansible-inventory and `ansible --list-hosts` (Debian's ansible,
 * ansible-core 2.14) run on the same sources as fleet, in an empty HOME and working directory so
 * no ansible.cfg or group_vars/ of the checkout leaks in. Never a runtime dependency of fleet.
 *
 * Without ansible the tests skip, except with CI=true, where they fail.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import pLimit from 'p-limit';
import path from 'node:path';
import { maskSecrets, readInventory, selectHosts, skeletonOf } from '../../src/inventory/index.js';
import { runInventory } from '../../src/cli/inventory.js';

const home = mkdtempSync(path.join(tmpdir(), 'fleet-oracle-'));
process.on('exit', () => rmSync(home, { recursive: true, force: true }));

const { ANSIBLE_VAULT_PASSWORD_FILE: _ignored, ...inherited } = process.env;
void _ignored;
const env: NodeJS.ProcessEnv = {
  ...inherited,
  HOME: home,
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_LOCALHOST_WARNING: 'False',
  ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
  ANSIBLE_INVENTORY_UNPARSED_FAILED: 'True',
  ANSIBLE_HOST_KEY_CHECKING: 'False',
};

const probe = spawnSync('ansible-inventory', ['--version'], { encoding: 'utf8', env });
export const ansibleAvailable = probe.status === 0;
export const ci = process.env.CI === 'true';
export const SKIP_REASON = 'ansible is not installed (apt-get install ansible); set CI=true to make this a failure';
/** For `it.skipIf`: skip without ansible, unless CI must fail instead. */
export const skipWithoutAnsible = !ansibleAvailable && !ci;

type Outcome = { readonly status: number | null; readonly stdout: string; readonly stderr: string };

/**
 * Each Ansible run costs a Python start-up (1-2 s) and the parity files make hundreds: answers are
 * kept per command line, and `prefetchCase` asks them all at once, a few at a time.
 */
const answers = new Map<string, Outcome>();
const keyOf = (cmd: string, args: readonly string[], extraEnv: Record<string, string>) => JSON.stringify([cmd, args, extraEnv]);

function outcome(cmd: string, args: readonly string[], extraEnv: Record<string, string>): Outcome {
  const key = keyOf(cmd, args, extraEnv);
  let o = answers.get(key);
  if (!o) {
    const r = spawnSync(cmd, args, { cwd: home, encoding: 'utf8', env: { ...env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 });
    o = { status: r.status, stdout: r.stdout, stderr: r.stderr };
    answers.set(key, o);
  }
  return o;
}

function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}): string {
  const r = outcome(cmd, args, extraEnv);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const limit = pLimit(availableParallelism() + 1);

function runAsync(cmd: string, args: readonly string[]): Promise<void> {
  const key = keyOf(cmd, args, {});
  if (answers.has(key)) return Promise.resolve();
  return limit(
    () =>
      new Promise<void>((resolve) => {
        execFile(cmd, [...args], { cwd: home, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
          const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
          answers.set(key, { status, stdout, stderr });
          resolve();
        });
      }),
  );
}

const iArgs = (sources: readonly string[]) => sources.flatMap((s) => ['-i', s.includes(',') && !s.includes('/') ? s : path.resolve(s)]);
const abs = (sources: readonly string[]) => sources.map((s) => (s.includes(',') && !s.includes('/') ? s : path.resolve(s)));

const listCall = (sources: readonly string[], args: string[] = []) => [...iArgs(sources), ...args, '--list'];
const graphCall = (sources: readonly string[], group?: string) => [...iArgs(sources), '--graph', ...(group ? [group] : [])];
const hostCall = (sources: readonly string[], host: string) => [...iArgs(sources), '--host', host];
const listHostsCall = (sources: readonly string[], pattern?: string) => ['all', ...iArgs(sources), '--list-hosts', ...(pattern ? ['--limit', pattern] : [])];

type Listing = { _meta: { hostvars: Record<string, Record<string, unknown>> } } & Record<string, unknown>;

/** ansible-inventory --list, with secrets masked as fleet masks them. */
export function ansibleList(sources: readonly string[], args: string[] = [], extraEnv: Record<string, string> = {}): Listing {
  const out = JSON.parse(run('ansible-inventory', listCall(sources, args), extraEnv)) as Listing;
  for (const [h, v] of Object.entries(out._meta.hostvars)) out._meta.hostvars[h] = maskSecrets(v);
  return out;
}

export function ansibleGraph(sources: readonly string[], group?: string): string {
  return run('ansible-inventory', graphCall(sources, group)).trimEnd();
}

export function ansibleHost(sources: readonly string[], host: string): Record<string, unknown> {
  return maskSecrets(JSON.parse(run('ansible-inventory', hostCall(sources, host))) as Record<string, unknown>);
}

/** `ansible all --list-hosts --limit PATTERN`: the hosts, in Ansible's order. */
export function ansibleListHosts(sources: readonly string[], limit?: string): string[] {
  const out = run('ansible', listHostsCall(sources, limit));
  return out
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** What a case of the parity files will ask Ansible beyond --list, --graph and the host order. */
export type CaseQuestions = {
  /** --graph from each of these groups. */
  readonly graphsOf?: (groups: { readonly all: string[]; readonly withHosts: string[] }) => string[];
  /** --list-hosts --limit with each of these patterns. */
  readonly patternsOf?: (groups: { readonly all: string[]; readonly withHosts: string[] }) => string[];
};

/**
 * Asks Ansible everything a parity case will (--list, --graph, the host order, --host for every
 * host, and the case's own graphs and patterns) at once, so the tests then read the answers.
 */
export async function prefetchCase(sources: readonly string[], questions: CaseQuestions = {}): Promise<void> {
  await Promise.all([runAsync('ansible-inventory', listCall(sources)), runAsync('ansible-inventory', graphCall(sources)), runAsync('ansible', listHostsCall(sources))]);
  let listing: Listing;
  let hosts: string[];
  try {
    listing = ansibleList(sources);
    hosts = ansibleListHosts(sources);
  } catch {
    return; // the test itself reports the failure
  }
  const groups = Object.keys(listing).filter((g) => g !== '_meta');
  const withHosts = groups.filter((g) => (listing[g] as { hosts?: unknown[] }).hosts?.length);
  const named = { all: groups, withHosts };
  await Promise.all([
    ...hosts.map((h) => runAsync('ansible-inventory', hostCall(sources, h))),
    ...(questions.graphsOf?.(named) ?? []).map((g) => runAsync('ansible-inventory', graphCall(sources, g))),
    ...(questions.patternsOf?.(named) ?? []).map((p) => runAsync('ansible', listHostsCall(sources, p))),
  ]);
}

export function fleetList(sources: readonly string[]): Listing {
  return JSON.parse(runInventory({ inventory: abs(sources), list: true }).output) as Listing;
}

export function fleetGraph(sources: readonly string[], group?: string): string {
  return runInventory({ inventory: abs(sources), graph: group ?? true }).output;
}

export function fleetHost(sources: readonly string[], host: string): Record<string, unknown> {
  return JSON.parse(runInventory({ inventory: abs(sources), host }).output) as Record<string, unknown>;
}

/** fleet's `--limit` over the same sources: the selected hosts, in order. */
export function fleetListHosts(sources: readonly string[], limit?: string): string[] {
  const raw = readInventory(abs(sources));
  const skeleton = skeletonOf(raw, 'x');
  return (limit ? selectHosts(skeleton, limit) : skeleton.hosts).map((h) => h.name);
}
