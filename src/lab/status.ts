/**
 * `lab status`: what is up, from the record, checked against the machine (every recorded process
 * alive with its recorded start time, every namespace present). Tests and benchmarks read
 * addresses from this, never hard-code them.
 */
import { existsSync, readdirSync } from 'node:fs';
import { CONTROLLER_IP, isLabName } from './names.js';
import { isAlive } from './run.js';
import { inventoryPath, labPaths, readRecord, stateDir, writeRecord, type LabRecord, type LabState } from './state.js';
import { refreshSystemdRecord } from './systemd-record.js';

/** Every recorded process alive, every namespace there (a systemd lab's pids brought up to date first). */
export function labHealthy(rec: LabRecord): boolean {
  refreshSystemdRecord(rec);
  return (
    rec.phase === 'up' &&
    rec.processes.length > 0 &&
    rec.processes.every((p) => isAlive(p.pid, p.start)) &&
    rec.namespaces.every((ns) => existsSync(`/run/netns/${ns}`))
  );
}

/** The lab's description; `up` is false (and the lists empty) when no lab is built here. */
export function labStatus(): LabState {
  const dir = stateDir();
  const rec = readRecord(dir);
  if (rec && refreshSystemdRecord(rec)) {
    try {
      writeRecord(rec);
    } catch {
      /* read-only here (not root): the answer is still current */
    }
  }
  if (rec?.status) return { ...rec.status, up: labHealthy(rec) };
  const P = labPaths(dir);
  return {
    up: false,
    stateDir: dir,
    inventory: inventoryPath(),
    hosts: 0,
    bare: false,
    controllerIp: CONTROLLER_IP,
    ssh: { user: 'root', keyPath: P.sshKey, knownHostsPath: P.knownHosts },
    gateways: [],
    provider: null,
    internet: null,
    clients: [],
  };
}

/** What is wrong with the lab here: empty when it is healthy or was never built. */
export function labProblems(): string[] {
  const rec = readRecord();
  if (rec) refreshSystemdRecord(rec);
  const out: string[] = [];
  if (!rec) {
    const stray = existsSync('/run/netns') ? readdirSync('/run/netns').filter(isLabName) : [];
    if (stray.length) out.push(`lab namespaces exist without a record here (${stray.slice(0, 5).join(' ')}${stray.length > 5 ? ' ...' : ''}): a crashed lab, or another checkout's; fleet lab down removes a crashed one`);
    return out;
  }
  if (rec.phase !== 'up') out.push('the last `lab up` did not finish (crashed or interrupted): run fleet lab down, or lab up again');
  for (const p of rec.processes) if (!isAlive(p.pid, p.start)) out.push(`${p.role} (pid ${p.pid}) is not running`);
  for (const ns of rec.namespaces) if (!existsSync(`/run/netns/${ns}`)) out.push(`namespace ${ns} is missing`);
  return out;
}

export function formatStatus(s: LabState): string {
  if (!s.up && s.gateways.length === 0) return `lab: down (state dir ${s.stateDir})`;
  const lines = [
    `lab: ${s.up ? 'up' : 'DEGRADED'}${s.bare ? ' (bare)' : ''}, ${s.gateways.length} ${s.systemd ? `systemd gateway(s) (Debian 12 under systemd-nspawn, variant ${s.systemd.variant})` : 'gateway(s)'}; state dir ${s.stateDir}`,
    `inventory: ${s.inventory}`,
    `ssh: ${s.ssh.user}@<wanIp> -i ${s.ssh.keyPath} -o UserKnownHostsFile=${s.ssh.knownHostsPath}${s.bastion ? ` -J ${s.bastion.jump}` : ''}${s.ssh.becomeUser ? ` (or ${s.ssh.becomeUser} with sudo)` : ''}`,
  ];
  if (s.rttMs) lines.push(`distance: a relay in front of each gateway's sshd adds ${s.rttMs} ms of round trip`);
  if (s.bastion) lines.push(`bastion: ${s.bastion.jump} in ${s.bastion.netns} (the only way to the gateways); log ${s.bastion.logPath}`);
  const upstream = s.provider?.protocol ?? 'openvpn';
  for (const p of s.providers ?? []) {
    lines.push(`provider ${p.name}: ${p.ip} in ${p.netns}: OpenVPN :${p.openvpn.port}/udp exit ${p.openvpn.exitIp}, WireGuard :${p.wireguard.port}/udp exit ${p.wireguard.exitIp}${p.name === 'A' ? ` (the inventory's upstream: ${upstream})` : ''}`);
  }
  if (s.provider && !s.providers) lines.push(`provider: ${s.provider.ip}:${s.provider.port}/udp (OpenVPN) in ${s.provider.netns}; client config ${s.provider.clientConfig}`);
  if (s.internet) lines.push(`internet: echo ${s.internet.echoUrl}, DNS ${s.internet.dnsIp} (${s.internet.echoName}), query log ${s.internet.dnsQueryLog}`);
  lines.push('gateways:');
  for (const g of s.gateways) lines.push(`  ${g.name.padEnd(6)} ${g.wanIp.padEnd(15)} netns ${g.netns.padEnd(10)} init pid ${g.initPid}`);
  if (s.clients.length) {
    lines.push('clients:');
    for (const c of s.clients) lines.push(`  ${c.name.padEnd(11)} ${c.address.padEnd(11)} via ${c.gateway.padEnd(6)} netns ${c.netns.padEnd(9)} underlay ${c.underlayIp}`);
  }
  return lines.join('\n');
}
