/**
 * Ansible Vault's payload format (1.1 and 1.2, cipher AES256), decrypted with node:crypto.
 *
 *   $ANSIBLE_VAULT;1.1;AES256            (1.2 adds ;LABEL, the vault id it was made with)
 *   hex(hex(salt) \n hex(hmac) \n hex(ciphertext)), in lines of 80 characters
 *
 * Keys: PBKDF2-HMAC-SHA256(password, salt, 10000 iterations, 80 bytes) = AES key (32) | HMAC key
 * (32) | CTR counter block (16). The HMAC-SHA256 of the ciphertext is checked (timing-safe) before
 * anything is decrypted; AES-256-CTR, then PKCS#7 padding removed. The label is not authenticated:
 * like Ansible, it only picks which password to try first.
 *
 * No npm package: the one that exists does the same few node:crypto calls, and here a wrong
 * password (try the next one) and a damaged payload (stop, name the line) must stay apart.
 */
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export const VAULT_HEADER = '$ANSIBLE_VAULT';
const ITERATIONS = 10000;
const VERSIONS = new Set(['1.1', '1.2']);

/** The payload cannot be read (not a wrong password: the text itself is broken). */
export class VaultFormatProblem extends Error {}

export interface VaultEnvelope {
  version: string;
  cipher: string;
  /** The 1.2 label (vault id), if any. */
  label?: string;
  /** The outer hex, lines joined. */
  body: string;
}

export function isVaultText(text: string): boolean {
  return text.startsWith(VAULT_HEADER);
}

/** Header and body of a vault text. @throws VaultFormatProblem */
export function parseEnvelope(text: string): VaultEnvelope {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0]!.trim().split(';').map((p) => p.trim());
  if (header[0] !== VAULT_HEADER) throw new VaultFormatProblem(`expected a ${VAULT_HEADER};1.1;AES256 header`);
  const [, version = '', cipher = '', label] = header;
  if (!VERSIONS.has(version)) throw new VaultFormatProblem(`vault format ${version || '(none)'} is not supported (fleet reads 1.1 and 1.2)`);
  if (cipher !== 'AES256') throw new VaultFormatProblem(`vault cipher ${cipher || '(none)'} is not supported (only AES256 exists)`);
  const body = lines.slice(1).map((l) => l.trim()).join('');
  const out: VaultEnvelope = { version, cipher, body };
  if (label) out.label = label;
  return out;
}

function unhex(text: string, what: string): Buffer {
  if (text.length % 2 || !/^[0-9a-fA-F]*$/.test(text)) throw new VaultFormatProblem(`the ${what} is not hexadecimal (a damaged or truncated vault text?)`);
  return Buffer.from(text, 'hex');
}

interface Payload {
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

function parseBody(body: string): Payload {
  if (!body) throw new VaultFormatProblem('the vault text has a header but no payload');
  const inner = unhex(body, 'payload').toString('latin1');
  const first = inner.indexOf('\n');
  const second = first < 0 ? -1 : inner.indexOf('\n', first + 1);
  if (second < 0) throw new VaultFormatProblem('the payload does not hold salt, HMAC and ciphertext (a damaged vault text?)');
  const salt = unhex(inner.slice(0, first), 'salt');
  const hmac = unhex(inner.slice(first + 1, second), 'HMAC');
  const ciphertext = unhex(inner.slice(second + 1), 'ciphertext');
  if (!salt.length || hmac.length !== 32) throw new VaultFormatProblem('the salt or HMAC has the wrong length (a damaged vault text?)');
  return { salt, hmac, ciphertext };
}

/**
 * The plaintext, or undefined when `password` is not the one it was encrypted with (the HMAC does
 * not match). @throws VaultFormatProblem when the body cannot be read
 */
export function decryptBody(body: string, password: Buffer): Buffer | undefined {
  const { salt, hmac, ciphertext } = parseBody(body);
  const key = pbkdf2Sync(password, salt, ITERATIONS, 80, 'sha256');
  const expected = createHmac('sha256', key.subarray(32, 64)).update(ciphertext).digest();
  if (!timingSafeEqual(expected, hmac)) return undefined;
  const decipher = createDecipheriv('aes-256-ctr', key.subarray(0, 32), key.subarray(64, 80));
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  return unpad(padded);
}

/** PKCS#7 with 16-byte blocks. */
function unpad(padded: Buffer): Buffer {
  const n = padded.at(-1) ?? 0;
  if (padded.length % 16 || n < 1 || n > 16 || padded.subarray(padded.length - n).some((b) => b !== n)) {
    throw new VaultFormatProblem('the decrypted data has bad padding (the vault text was made wrongly)');
  }
  return padded.subarray(0, padded.length - n);
}
