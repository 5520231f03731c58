/**
 * The vault passwords of this run and the one way to decrypt with them. The command line sets
 * them once, before any inventory is read (vault-passwords.ts: --vault-id, --vault-password-file,
 * --ask-vault-pass); a command that has no vault flags still honours ANSIBLE_VAULT_PASSWORD_FILE,
 * read the first time a vaulted value is met. Process-wide because every reader of YAML (inventory
 * sources, group_vars/host_vars, -e @file) must decrypt alike, as Ansible's one DataLoader does.
 */
import type { SourceLocation } from '../errors.js';
import { VaultDecryptError, VaultFormatError, VaultPasswordMissingError } from './vault-errors.js';
import { passwordsFromEnv, type VaultSecret } from './vault-passwords.js';
import { VaultFormatProblem, decryptBody, parseEnvelope } from './vault.js';

let configured: readonly VaultSecret[] | undefined;

/** The passwords to try, in order (undefined: none set yet, ANSIBLE_VAULT_PASSWORD_FILE applies). */
export function useVaultSecrets(secrets: readonly VaultSecret[] | undefined): void {
  configured = secrets;
}

function secrets(): readonly VaultSecret[] {
  configured ??= passwordsFromEnv();
  return configured;
}

function formatError(err: unknown, what: string, location: SourceLocation): unknown {
  return err instanceof VaultFormatProblem ? new VaultFormatError(what, location, err.message) : err;
}

/**
 * The plaintext of a vault text. A 1.2 text's label picks the password of that vault id first,
 * then every other is tried, as Ansible does (the label is not authenticated).
 * @throws VaultPasswordMissingError, VaultDecryptError, VaultFormatError (all naming `location`)
 */
export function decryptVault(text: string, what: string, location: SourceLocation): Buffer {
  let envelope: ReturnType<typeof parseEnvelope>;
  try {
    envelope = parseEnvelope(text);
  } catch (err) {
    throw formatError(err, what, location);
  }
  const all = secrets();
  if (!all.length) throw new VaultPasswordMissingError(what, location);
  const label = envelope.label;
  const ordered = label ? [...all.filter((s) => s.id === label), ...all.filter((s) => s.id !== label)] : all;
  for (const secret of ordered) {
    let plain: Buffer | undefined;
    try {
      plain = decryptBody(envelope.body, secret.password);
    } catch (err) {
      throw formatError(err, what, location);
    }
    if (plain) return plain;
  }
  throw new VaultDecryptError(what, location, [...new Set(ordered.map((s) => s.id))], label);
}
