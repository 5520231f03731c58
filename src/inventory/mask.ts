/**
 * Secrets never reach output (terminal, --json, logs, the journal). A variable is secret when its name says so:
 * password, passwd, pass (ansible_ssh_pass, ansible_become_pass), secret, private_key, token.
 * Names ending in _file or _path hold where a secret lives, not the secret
 * (ansible_ssh_private_key_file), so they stay visible.
 */

const SECRET = /pass(word|wd)?($|_)|secret|private_?key|token/i;
const LOCATION = /_(file|path|dir)$/i;

export const MASK = '***';

export function isSecretKey(key: string): boolean {
  return SECRET.test(key) && !LOCATION.test(key);
}

function maskValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskValue);
  if (value !== null && typeof value === 'object') return maskSecrets(value as Record<string, unknown>);
  return value;
}

/** A copy with every secret value replaced by '***', at any depth (wg_peers[].private_key too). */
export function maskSecrets(vars: Record<string, unknown>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(vars)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined ? MASK : maskValue(v);
  }
  return out;
}
