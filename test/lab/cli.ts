/** Runs the built fleet CLI (dist/, built by `npm test`'s pretest) as a user would. */
import path from 'node:path';
import { run, type RunResult } from '../../src/lab/run.js';
import { repoRoot } from '../../src/lab/state.js';

export interface CliResult extends RunResult {
  json?: any;
}

export async function fleetCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const bin = path.join(repoRoot(), 'bin', 'fleet.js');
  const env = { ...process.env, CI: 'true', NO_COLOR: '1', ...opts.env };
  const r = await run([process.execPath, bin, ...args], { env, timeoutMs: opts.timeoutMs ?? 180_000 });
  let json: unknown;
  if (args.includes('--json')) {
    try {
      json = JSON.parse(r.stdout);
    } catch {
      /* the test will show stdout */
    }
  }
  return { ...r, json };
}
