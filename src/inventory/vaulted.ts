/**
 * Which of a host's variables hold a value decrypted from Ansible Vault (mask.ts records each one
 * as the vault readers decrypt it), by where it sits in the host's variables. The engine keeps
 * these out of the on-host journal (src/engine/journal/vaulted-steps.ts).
 *
 * Values shorter than MIN_REDACTED are left out, as the output guard leaves them (vault-redact.ts):
 * a vaulted `22` would mark every step that mentions port 22.
 */
import { isVaultRevealed } from './mask.js';
import { MIN_REDACTED } from './vault-redact.js';

export interface VaultedValue {
  /** The decrypted value, as text. */
  text: string;
  /** Where it is in the host's variables: `vpn_server_ip`, `wg_peers[0].name`. */
  name: string;
}

function walk(value: unknown, name: string, out: Map<string, string>): void {
  if (isVaultRevealed(value)) {
    const text = String(value);
    if (text.length >= MIN_REDACTED && !out.has(text)) out.set(text, name);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${name}[${i}]`, out));
  } else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) walk(v, name ? `${name}.${k}` : k, out);
  }
}

/** The vaulted values in `vars`, longest first (so a value that holds another is replaced whole). */
export function vaultedValues(vars: Readonly<Record<string, unknown>>): VaultedValue[] {
  const found = new Map<string, string>();
  walk(vars, '', found);
  return [...found].map(([text, name]) => ({ text, name })).sort((a, b) => b.text.length - a.text.length || a.name.localeCompare(b.name));
}
