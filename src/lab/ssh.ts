/**
 * The lab's own SSH into its gateways, with the real ssh binary: the lab key, strict host key
 * checking against the lab's known_hosts, no prompts, no agent or dotfiles of this machine's user.
 * Used where going in through SSH is the point (a real reboot is asked for as an operator would);
 * tests use it to prove what a gateway allows a login, which nsenter would hide.
 */
import { findGateway } from './exec.js';
import { run, type RunResult } from './run.js';
import type { LabGateway, LabState } from './state.js';

export interface LabSshOptions {
  user?: string;
  knownHosts?: string;
  timeoutMs?: number;
}

/** argv for ssh to a gateway, ending with `command`. */
export function labSshArgv(lab: LabState, gw: string | LabGateway, command: string, opts: Omit<LabSshOptions, 'timeoutMs'> = {}): string[] {
  const g = findGateway(lab, gw);
  return [
    'ssh',
    '-i', lab.ssh.keyPath,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${opts.knownHosts ?? lab.ssh.knownHostsPath}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    '-o', 'LogLevel=ERROR',
    '-p', String(g.sshPort),
    `${opts.user ?? lab.ssh.user}@${g.wanIp}`,
    command,
  ];
}

/** Runs `command` on a gateway over SSH; resolves with any exit code (255: ssh itself failed). */
export function labSsh(lab: LabState, gw: string | LabGateway, command: string, opts: LabSshOptions = {}): Promise<RunResult> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', HOME: process.env.HOME ?? '/root' };
  return run(labSshArgv(lab, gw, command, opts), { env, timeoutMs: opts.timeoutMs ?? 30_000 });
}
