/**
 * The real Ansible as the oracle: ansible-inventory and `ansible --list-hosts` (Debian's ansible,
 * ansible-core 2.14) run on the same sources as fleet, in an empty HOME and working directory so
 * no ansible.cfg or group_vars/ of the checkout leaks in. Never a runtime dependency of fleet.
 *
 * Without ansible the tests skip, except with CI=true, where they fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, { cwd: home, encoding: 'utf8', env: { ...env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const iArgs = (sources: readonly string[]) => sources.flatMap((s) => ['-i', s.includes(',') && !s.includes('/') ? s : path.resolve(s)]);
const abs = (sources: readonly string[]) => sources.map((s) => (s.includes(',') && !s.includes('/') ? s : path.resolve(s)));

type Listing = { _meta: { hostvars: Record<string, Record<string, unknown>> } } & Record<string, unknown>;

/** ansible-inventory --list, with secrets masked as fleet masks them. */
export function ansibleList(sources: readonly string[], args: string[] = [], extraEnv: Record<string, string> = {}): Listing {
  const out = JSON.parse(run('ansible-inventory', [...iArgs(sources), ...args, '--list'], extraEnv)) as Listing;
  for (const [h, v] of Object.entries(out._meta.hostvars)) out._meta.hostvars[h] = maskSecrets(v);
  return out;
}

export function ansibleGraph(sources: readonly string[], group?: string): string {
  return run('ansible-inventory', [...iArgs(sources), '--graph', ...(group ? [group] : [])]).trimEnd();
}

export function ansibleHost(sources: readonly string[], host: string): Record<string, unknown> {
  return maskSecrets(JSON.parse(run('ansible-inventory', [...iArgs(sources), '--host', host])) as Record<string, unknown>);
}

/** `ansible all --list-hosts --limit PATTERN`: the hosts, in Ansible's order. */
export function ansibleListHosts(sources: readonly string[], limit?: string): string[] {
  const out = run('ansible', ['all', ...iArgs(sources), '--list-hosts', ...(limit ? ['--limit', limit] : [])]);
  return out
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
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
