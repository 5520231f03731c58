/**
 * Secrets never reach output (terminal, --json, logs, the journal). A variable is secret when its name says so:
 * password, passwd, pass (ansible_ssh_pass, ansible_become_pass), secret, private_key, token.
 * Names ending in _file or _path hold where a secret lives, not the secret
 * (ansible_ssh_private_key_file), so they stay visible.
 *
 * A value decrypted from Ansible Vault is secret whatever its name: the vault readers record each
 * one here (revealVaultValue) as they decrypt it, and masking compares values, so the mark holds
 * through merge, normalization and validation, which copy values but never change them. The
 * price is that an unrelated variable with exactly the same value is masked too.
 */

const SECRET = /pass(word|wd)?($|_)|secret|private_?key|token/i;
const LOCATION = /_(file|path|dir)$/i;

export const MASK = '***';

/** Decrypted value -> the vault text it came from (a `!vault` scalar), or undefined (a value of an encrypted file). */
const revealed = new Map<string, string | undefined>();

export function isSecretKey(key: string): boolean {
  return SECRET.test(key) && !LOCATION.test(key);
}

/**
 * Record a decrypted value: a string, or every string and number in a structure (an encrypted vars
 * file). true/false/null carry no secret worth hiding and would mask every flag alike.
 */
export function revealVaultValue(value: unknown, vaultText?: string): void {
  if (typeof value === 'string' || typeof value === 'number') {
    const key = String(value);
    if (!revealed.has(key) || vaultText !== undefined) revealed.set(key, vaultText);
  } else if (value instanceof Map) {
    for (const v of value.values()) revealVaultValue(v);
  } else if (Array.isArray(value) || value instanceof Set) {
    for (const v of value) revealVaultValue(v);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) revealVaultValue(v);
  }
}

/** Every decrypted value, as text (for redacting free text: diffs, messages). */
export function revealedTexts(): string[] {
  return [...revealed.keys()];
}

/** Whether `value` was decrypted from a vault in this process. */
export function isVaultRevealed(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && revealed.has(String(value));
}

export interface MaskOptions {
  /**
   * 'ansible': a `!vault` value shows as ansible-inventory shows it, {"__ansible_vault": TEXT}
   * (the ciphertext, no secret). Default: '***' like every other secret.
   */
  vault?: 'mask' | 'ansible';
}

function maskValue(value: unknown, opts: MaskOptions): unknown {
  if (isVaultRevealed(value)) {
    const text = revealed.get(String(value));
    return opts.vault === 'ansible' && text !== undefined ? { __ansible_vault: text } : MASK;
  }
  if (Array.isArray(value)) return value.map((v) => maskValue(v, opts));
  if (value !== null && typeof value === 'object') return maskSecrets(value as Record<string, unknown>, opts);
  return value;
}

/** A copy with every secret value replaced by '***', at any depth (wg_peers[].private_key too). */
export function maskSecrets(vars: Record<string, unknown>, opts: MaskOptions = {}): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(vars)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined ? MASK : maskValue(v, opts);
  }
  return out;
}
