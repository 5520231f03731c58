/** verify's table (like the demo's proof table, one row per half) and its --json document. */
import { color, table } from '../report/format.js';
import type { VerifyHostReport } from './verify.js';

export function verifyTable(reports: readonly VerifyHostReport[]): string {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const r of reports) {
    if (!r.reachable) {
      rows.push([r.host, '-', '-', '-', '-', '-', color('magenta', `✗ unreachable: ${r.unreachableReason ?? ''}`)]);
      continue;
    }
    if (!r.proof) {
      rows.push([r.host, '-', '-', '-', '-', '-', color('red', `✗ ${r.error ?? 'no result'}`)]);
      continue;
    }
    for (const h of r.proof.halves) {
      const dns = Object.values(h.dns).every(Boolean) ? Object.values(h.dns).join(' ') : '-';
      rows.push([r.host, h.half, h.probeAddress, h.echoSaw || '-', h.expected, dns, h.ok ? color('green', '✓') : color('red', `✗ ${h.problems.join('; ')}`)]);
    }
    const d = r.proof.dns;
    if (d) {
      const line = `${r.host} upstream DNS: DNS mark rule +${d.markedAfter - d.markedBefore} packets, to port 53 by the WAN: ${d.wanPackets} (${d.method})`;
      notes.push(d.ok ? `${line} ✓` : color('red', `${line} ✗ ${d.problems.join('; ')}`));
    }
    for (const p of r.proof.problems.filter((x) => x.includes('probe namespace'))) notes.push(color('red', `${r.host}: ${p}`));
  }
  const out = [table(['HOST', 'HALF', 'PROBE', 'ECHO SAW', 'EXPECTED', 'DNS', ''], rows)];
  if (notes.length) out.push('', ...notes);
  const ok = reports.filter((r) => r.ok).length;
  const down = reports.filter((r) => !r.reachable).length;
  out.push('', `${ok} verified, ${reports.length - ok - down} failed, ${down} unreachable`);
  return out.join('\n');
}

export interface VerifyDocument {
  command: 'verify';
  at: string;
  summary: { hosts: number; verified: number; failed: number; unreachable: number };
  hosts: VerifyHostReport[];
}

export function verifyDocument(reports: readonly VerifyHostReport[], at = new Date().toISOString()): VerifyDocument {
  const down = reports.filter((r) => !r.reachable).length;
  const ok = reports.filter((r) => r.ok).length;
  return { command: 'verify', at, summary: { hosts: reports.length, verified: ok, failed: reports.length - ok - down, unreachable: down }, hosts: [...reports] };
}
