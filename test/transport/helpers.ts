/** Shared set-up for transport tests against fake SSH servers: a temp HOME, a client key, known_hosts. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from '../../src/inventory/index.js';
import { makeKeyPair, type KeyPair } from '../support/fake-ssh-server.js';

export interface ClientSide {
  dir: string;
  key: KeyPair;
  keyFile: string;
  knownHostsFile: string;
  knownHosts(): string;
  writeKnownHosts(lines: string[]): void;
  conn(port: number, over?: Partial<Connection>): Connection;
  cleanup(): void;
}

/** A temp dir standing in for the operator's HOME (no ~/.ssh/config, no default keys) and SSH_AUTH_SOCK unset. */
export function clientSide(): ClientSide {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-ssh-test-'));
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
  process.env.HOME = dir;
  delete process.env.SSH_AUTH_SOCK;
  const key = makeKeyPair({ comment: 'operator' });
  const keyFile = path.join(dir, 'operator_key');
  writeFileSync(keyFile, key.private, { mode: 0o600 });
  const knownHostsFile = path.join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, '');
  return {
    dir,
    key,
    keyFile,
    knownHostsFile,
    knownHosts: () => readFileSync(knownHostsFile, 'utf8'),
    writeKnownHosts: (lines) => writeFileSync(knownHostsFile, lines.map((l) => `${l}\n`).join('')),
    conn: (port, over = {}) => ({ host: '127.0.0.1', port, user: 'root', keyFile, knownHostsFile, become: false, connectTimeout: 5, ...over }),
    cleanup: () => {
      for (const [k, v] of Object.entries(saved)) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- restoring the environment variables this helper set
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
