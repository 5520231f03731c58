/**
 * The lab's cgroups: every process of a systemd lab (the supervisors, each nspawn and its
 * container) lives below `fleet-lab/` in each cgroup hierarchy systemd-nspawn uses (the unified
 * cgroup2 tree and, on a hybrid machine, the named `systemd` v1 tree). `lab down` finds what to
 * end there even without its record, and removes the directories afterwards.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, type Dirent } from 'node:fs';
import path from 'node:path';

export const LAB_CGROUP = 'fleet-lab';

/** Mount points of the cgroup2 hierarchy and of the v1 `name=systemd` one (where mounted). */
export function cgroupHierarchies(mountinfo = '/proc/self/mountinfo'): string[] {
  const out: string[] = [];
  let text = '';
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mountPoint = (pre.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const [fstype, , superOpts = ''] = post.split(' ');
    if (fstype === 'cgroup2' || (fstype === 'cgroup' && superOpts.split(',').includes('name=systemd'))) out.push(mountPoint);
  }
  return [...new Set(out)].sort();
}

/** `<hierarchy>/fleet-lab` for each hierarchy. */
export function labCgroupRoots(): string[] {
  return cgroupHierarchies().map((h) => path.join(h, LAB_CGROUP));
}

/** Every directory of the tree at `dir`, deepest first (the order rmdir needs). */
export function cgroupDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
    out.push(d);
  };
  walk(dir);
  return out;
}

/** pids of every process in the cgroup tree at `dir`. */
export function pidsInCgroupTree(dir: string): number[] {
  const pids = new Set<number>();
  for (const d of cgroupDirs(dir)) {
    try {
      for (const l of readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) if (/^\d+$/.test(l)) pids.add(Number(l));
    } catch {
      /* removed meanwhile */
    }
  }
  return [...pids];
}

/** Removes the (empty) cgroup tree at `dir`; returns the directories that could not be removed. */
export function removeCgroupTree(dir: string): string[] {
  const left: string[] = [];
  for (const d of cgroupDirs(dir)) {
    try {
      rmdirSync(d);
    } catch {
      left.push(d);
    }
  }
  return left;
}
