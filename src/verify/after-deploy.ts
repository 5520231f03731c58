/**
 * `fleet deploy --verify`: once the deploy (and its confirm) is done, each host that deployed
 * cleanly is verified over a new connection; a host whose proof fails has this deploy undone by
 * the ordinary rollback of the last good deploy (`fleet rollback --previous`'s path) and is
 * reported failed with what the proof found.
 */
import { defaultConnect, runMeta, withEachHost, type HostResult } from '../engine/fleet.js';
import { revertRun } from '../engine/rollback.js';
import { FleetError } from '../errors.js';
import type { Host } from '../inventory/index.js';
import type { SshOptions } from '../transport/ssh.js';
import type { Transport } from '../transport/types.js';
import { verifyFleet, type VerifyHostReport, type VerifyOptions } from './verify.js';

/** A proof that failed after a deploy, and what fleet did about it. */
export class VerifyFailedError extends FleetError {
  override readonly code = 'VERIFY_FAILED';
  override readonly title = 'verify failed after the deploy';
}

export interface AfterDeployOptions extends VerifyOptions {
  roles: string[];
  forks?: number;
  ssh?: SshOptions;
  connect?: (host: Host) => Promise<Transport>;
}

function why(r: VerifyHostReport): string {
  if (!r.reachable) return `unreachable for verify (${r.unreachableReason ?? '?'})`;
  return r.error ?? r.proof?.problems.join('; ') ?? 'no result';
}

/** Verifies the hosts whose deploy succeeded; returns the results with failed proofs turned into failures. */
export async function verifyAfterDeploy(hosts: Host[], results: HostResult[], opts: AfterDeployOptions): Promise<{ results: HostResult[]; verify: VerifyHostReport[] }> {
  const deployed = new Set(results.filter((r) => r.status === 'ok' || r.status === 'changed').map((r) => r.host));
  const targets = hosts.filter((h) => deployed.has(h.name));
  if (!targets.length) return { results, verify: [] };
  const verify = await verifyFleet(targets, opts);
  const failed = new Map(verify.filter((v) => !v.ok).map((v) => [v.host, v]));
  const meta = runMeta(opts.roles);
  const rolledBack = new Map(
    await withEachHost<[string, string]>(
      targets.filter((h) => failed.has(h.name) && results.find((r) => r.host === h.name)?.status === 'changed'),
      { forks: opts.forks, ssh: opts.ssh, connect: opts.connect ?? defaultConnect(opts.ssh) },
      async (host, t) => {
        const out = await revertRun(t, 'previous', meta);
        return [host.name, out.ok ? `rolled back (run ${out.run ?? '?'} undone, ${out.undone} steps)` : `the rollback failed: ${out.notApplicable ?? out.failures.map((f) => f.step).join(', ')}; run 'fleet rollback ${host.name} --previous'`];
      },
      (host, err) => [host.name, `the rollback could not run (${(err as Error).message}); run 'fleet rollback ${host.name} --previous'`],
    ),
  );
  const next = results.map((r) => {
    const v = failed.get(r.host);
    if (!v) return r;
    const done = rolledBack.get(r.host) ?? 'nothing to roll back (the deploy changed nothing)';
    return {
      ...r,
      status: 'failed' as const,
      error: new VerifyFailedError(`${r.host}: ${why(v)}; ${done}`, { hint: `fix what the proof names (fleet verify --limit ${r.host} shows it), then deploy again` }),
    };
  });
  return { results: next, verify };
}
