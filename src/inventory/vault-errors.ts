/** The catalogued errors of Ansible Vault handling (VAULT_* in src/errors/catalogue.ts); all exit 4. */
import { FleetError, type SourceLocation } from '../errors.js';
import { CATALOGUE, type ErrorCode } from '../errors/catalogue.js';

export const VAULT_FLAGS_HINT = 'give --vault-password-file FILE, --ask-vault-pass or --vault-id LABEL@FILE (or set ANSIBLE_VAULT_PASSWORD_FILE)';

export class VaultPasswordMissingError extends FleetError {
  override readonly code = 'VAULT_PASSWORD_MISSING' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.VAULT_PASSWORD_MISSING.title;
  constructor(what: string, location: SourceLocation) {
    super(`${what} is encrypted with Ansible Vault: ${VAULT_FLAGS_HINT}`, { location, hint: 'nothing was run on any host' });
  }
}

export class VaultDecryptError extends FleetError {
  override readonly code = 'VAULT_DECRYPT_FAILED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.VAULT_DECRYPT_FAILED.title;
  constructor(what: string, location: SourceLocation, tried: readonly string[], label?: string) {
    const made = label ? ` (made with vault id ${label})` : '';
    super(`cannot decrypt ${what}${made}: wrong vault password (tried vault id${tried.length > 1 ? 's' : ''} ${tried.join(', ')})`, {
      location,
      hint: 'give the password it was encrypted with; nothing was run on any host',
    });
  }
}

export class VaultFormatError extends FleetError {
  override readonly code = 'VAULT_FORMAT_INVALID' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.VAULT_FORMAT_INVALID.title;
  constructor(what: string, location: SourceLocation, why: string) {
    super(`${what} is not a readable Ansible Vault text: ${why}`, { location, hint: 'encrypt it again with ansible-vault; nothing was run on any host' });
  }
}

export class VaultPasswordError extends FleetError {
  override readonly code = 'VAULT_PASSWORD_UNUSABLE' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.VAULT_PASSWORD_UNUSABLE.title;
  constructor(source: string, why: string) {
    super(`vault password ${source}: ${why}`, { hint: 'point it at a readable file holding the password, or an executable script that prints it; nothing was run on any host' });
  }
}
