/**
 * Runs scripts with the local /bin/sh. For tests of the remote-script logic only (journal, batch
 * markers, rollback order) with synthetic resources that touch nothing but a temp directory: it is
 * never used against a real gateway, and fleet's CLI cannot select it.
 */
import { spawn } from 'node:child_process';
import type { Shell } from '../shell/sh.js';
import type { RunOptions, RunResult, Transport } from './types.js';

export class LocalTransport implements Transport {
  private trips = 0;
  readonly scripts: Shell[] = [];
  constructor(readonly host = 'local') {}
  get roundTrips(): number {
    return this.trips;
  }
  run(script: Shell, opts: RunOptions = {}): Promise<RunResult> {
    this.trips++;
    this.scripts.push(script);
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        opts.onStdout?.(d.toString());
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ stdout, stderr, code }));
      child.stdin.end(script.text);
    });
  }
  async close(): Promise<void> {}
}
