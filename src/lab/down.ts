/**
 * `lab down`: removes every namespace, veth, process and file the lab made, from its record and,
 * for crash recovery, from `ip netns list` (names starting `fl-`). Processes are ended by pid only:
 * the ones the record names (checked against their start time, so a reused pid is never hit) and
 * the ones inside the lab's own network namespaces, and (systemd gateways) the ones in the lab's
 * own cgroups (src/lab/cgroups.ts), whose directories go too. A gateway's pid namespace dies with
 * its init, taking along whatever the gateway started in namespaces of its own; a systemd
 * gateway's disk was mounted only in its supervisor's private mount namespace, so it goes with it.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CTL_VETH, PROVIDERS, isLabName } from './names.js';
import { LabError } from './errors.js';
import { isAlive, run, sleep } from './run.js';
import { inventoryPath, readRecord, STATE_ENTRIES, stateDir, type LabRecord } from './state.js';
import { isLabInventory } from './inventory.js';
import { providerWgSocket } from './provider-wireguard.js';
import { labCgroupRoots, pidsInCgroupTree, removeCgroupTree } from './cgroups.js';
import { refreshSystemdRecord } from './systemd-record.js';

export interface DownReport {
  namespaces: string[];
  killed: number;
  removedCtl: boolean;
  files: string[];
  /** Set when another checkout's live lab owns the network: nothing of it was touched. */
  foreignOwner?: string;
}

/** Lab namespaces that exist now. */
export async function labNamespaces(): Promise<string[]> {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    const r = await run(['ip', 'netns', 'list']);
    names = r.stdout.split('\n').map((l) => l.split(' ')[0] ?? '');
  }
  return names.filter(isLabName).sort();
}

/** The fl-ctl veth's alias (the state dir that made it), or undefined when there is no fl-ctl. */
export async function ctlOwner(): Promise<{ exists: boolean; owner?: string }> {
  const r = await run(['ip', '-j', 'link', 'show', 'dev', CTL_VETH]);
  if (r.code !== 0) return { exists: false };
  try {
    const [link] = JSON.parse(r.stdout) as { ifalias?: string }[];
    return { exists: true, owner: link?.ifalias || undefined };
  } catch {
    return { exists: true };
  }
}

/** Does the lab recorded in `dir` still have a live process? */
export function recordAlive(rec: LabRecord | undefined): boolean {
  return !!rec && rec.processes.some((p) => isAlive(p.pid, p.start));
}

/** A live lab of another state dir owns fl-ctl. */
export async function foreignOwner(dir: string): Promise<string | undefined> {
  const ctl = await ctlOwner();
  if (!ctl.exists || !ctl.owner || path.resolve(ctl.owner) === dir) return undefined;
  return recordAlive(readRecord(ctl.owner)) ? ctl.owner : undefined;
}

/** pids of every process whose network namespace is one of `namespaces`. */
export function processesIn(namespaces: string[]): number[] {
  const inodes = new Set<string>();
  for (const ns of namespaces) {
    try {
      inodes.add(`net:[${statSync(`/run/netns/${ns}`).ino}]`);
    } catch {
      /* gone */
    }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${entry}/ns/net`))) pids.push(Number(entry));
    } catch {
      /* exited, or a kernel thread */
    }
  }
  return pids.filter((p) => p !== process.pid);
}

function killPids(pids: Iterable<number>): number {
  let killed = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      /* already gone */
    }
  }
  return killed;
}

async function killAll(rec: LabRecord | undefined, namespaces: string[]): Promise<number> {
  let killed = 0;
  const cgroups = labCgroupRoots();
  for (let round = 0; round < 6; round++) {
    // Supervisors first: one that outlives its gateway would boot it again.
    const supervisors = new Set<number>(cgroups.flatMap((r) => pidsInCgroupTree(path.join(r, 'supervisors'))));
    for (const p of rec?.processes ?? []) if (p.role.endsWith(':supervisor') && isAlive(p.pid, p.start)) supervisors.add(p.pid);
    killed += killPids(supervisors);
    const targets = new Set<number>([...processesIn(namespaces), ...cgroups.flatMap(pidsInCgroupTree)].filter((p) => p !== process.pid));
    for (const p of rec?.processes ?? []) if (isAlive(p.pid, p.start)) targets.add(p.pid);
    for (const p of supervisors) targets.add(p);
    if (targets.size === 0) return killed;
    killed += killPids([...targets].filter((p) => !supervisors.has(p)));
    // Wait for them to go (a pid-namespace init takes its namespace down with it).
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && [...targets].some((pid) => isAlive(pid))) await sleep(20);
  }
  const left = [...processesIn(namespaces), ...cgroups.flatMap(pidsInCgroupTree)];
  if (left.length) throw new LabError(`processes still running in lab namespaces or cgroups after SIGKILL: ${left.join(' ')}`);
  return killed;
}

/** The lab's cgroup directories (empty once its processes are gone). */
function removeLabCgroups(): void {
  const left = labCgroupRoots().flatMap(removeCgroupTree);
  if (left.length) throw new LabError(`cannot remove the lab's cgroups: ${left.join(' ')}`);
}

/** Mount points at or below `dir` in our mount namespace (there should never be any). */
function mountsUnder(dir: string): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

export async function labDown(opts: { log?: (msg: string) => void } = {}): Promise<DownReport> {
  const log = opts.log ?? (() => undefined);
  const dir = stateDir();
  const rec = readRecord(dir);
  if (rec) refreshSystemdRecord(rec);
  const report: DownReport = { namespaces: [], killed: 0, removedCtl: false, files: [] };

  const foreign = await foreignOwner(dir);
  if (foreign) {
    // Another checkout's lab is live: its namespaces carry the same names. Touch none of them.
    report.foreignOwner = foreign;
    log(`the running lab belongs to ${foreign}: leaving it alone`);
  } else {
    const namespaces = [...new Set([...(await labNamespaces())])].sort();
    report.killed = await killAll(rec, namespaces);
    // A killed wireguard-go leaves its control socket in this machine's /run (fl-prov shares it).
    for (const plan of PROVIDERS) rmSync(providerWgSocket(plan), { force: true });
    removeLabCgroups();
    const ctl = await ctlOwner();
    if (ctl.exists) {
      // Deleting one end of a veth deletes both, synchronously (the switch may linger a moment).
      const r = await run(['ip', 'link', 'del', CTL_VETH]);
      if (r.code !== 0 && (await ctlOwner()).exists) throw new LabError(`cannot delete ${CTL_VETH}: ${r.stderr.trim()}`);
      report.removedCtl = true;
    }
    if (namespaces.length) {
      const r = await run(['ip', '-force', '-batch', '-'], { input: namespaces.map((n) => `netns del ${n}\n`).join('') });
      const left = await labNamespaces();
      if (left.length) throw new LabError(`cannot delete lab namespaces ${left.join(' ')}: ${r.stderr.trim()}`);
    }
    report.namespaces = namespaces;
  }

  // Files: the state dir's entries the lab makes, and the generated inventory.
  const mounted = mountsUnder(dir);
  if (mounted.length) throw new LabError(`refusing to delete ${dir}: something is mounted under it: ${mounted.join(' ')}`);
  for (const entry of STATE_ENTRIES) {
    const p = path.join(dir, entry);
    if (existsSync(p)) {
      rmSync(p, { recursive: true, force: true });
      report.files.push(p);
    }
  }
  const inv = inventoryPath();
  if (isLabInventory(inv)) {
    rmSync(inv, { force: true });
    report.files.push(inv);
  }
  try {
    rmdirSync(dir); // only when empty
  } catch {
    /* not empty (a user's file) or already gone */
  }
  return report;
}
