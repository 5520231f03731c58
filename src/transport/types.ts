/**
 * How fleet talks to one host. One connection per host; every `run` is one SSH round trip.
 * Failure semantics: `run` resolves with the exit code of a script that ran (any code); it rejects
 * with TransportError only when the script could not run or the connection dropped.
 */
import type { Shell } from '../shell/sh.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  /** null when the remote process died of a signal. */
  code: number | null;
}

export interface RunOptions {
  /** Stream stdout as it arrives (per-step progress markers). */
  onStdout?: (chunk: string) => void;
}

export interface Transport {
  readonly host: string;
  /** Runs a POSIX sh script on the host (through sudo -n when the host has become). */
  run(script: Shell, opts?: RunOptions): Promise<RunResult>;
  close(): Promise<void>;
  /** SSH round trips made so far (connect not included). */
  readonly roundTrips: number;
}
