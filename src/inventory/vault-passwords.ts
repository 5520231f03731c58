/**
 * Where the vault passwords come from, in Ansible's order (cli/__init__.py build_vault_ids):
 * each --vault-id LABEL@SOURCE, then each --vault-password-file FILE (vault id `default`), then
 * ANSIBLE_VAULT_PASSWORD_FILE, then --ask-vault-pass. SOURCE is `prompt` (asked on the terminal,
 * no echo) or a file: an executable file is run and its stdout is the password (a `NAME-client`
 * script gets `--vault-id LABEL`, as Ansible's client scripts do), any other file holds it.
 * Surrounding whitespace is not part of the password. A password is never printed.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputFileError } from '../errors.js';
import { readRegularFile } from '../fs/read-regular-file.js';
import { VaultPasswordError } from './vault-errors.js';
import { isVaultText } from './vault.js';

export const DEFAULT_VAULT_ID = 'default';
const MAX_PASSWORD_BYTES = 64 * 1024;
/** Ansible's ClientScriptVaultSecret: this exit status means "no secret for that vault id". */
const CLIENT_UNKNOWN_ID = 2;

export interface VaultSecret {
  id: string;
  password: Buffer;
}

export interface VaultOptions {
  vaultId?: string[];
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
}

export type Ask = (question: string) => Promise<string>;

/** Ansible's split_vault_id: `label@source`, or a bare source for the default id. */
export function splitVaultId(slug: string): { id: string; source: string } {
  const at = slug.indexOf('@');
  if (at < 0) return { id: DEFAULT_VAULT_ID, source: slug };
  return { id: slug.slice(0, at) || DEFAULT_VAULT_ID, source: slug.slice(at + 1) };
}

function expandHome(file: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(os.homedir(), file.slice(1)) : file;
}

function nonEmpty(bytes: Buffer, source: string): Buffer {
  if (!bytes.length) throw new VaultPasswordError(source, 'the password is empty');
  return bytes;
}

/** Strip surrounding whitespace as Ansible does (bytes.strip()), without making a string of the password. */
function stripped(buf: Buffer): Buffer {
  const space = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
  let start = 0;
  let end = buf.length;
  while (start < end && space(buf[start]!)) start++;
  while (end > start && space(buf[end - 1]!)) end--;
  return buf.subarray(start, end);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function runScript(file: string, id: string, source: string): Buffer {
  const client = path.parse(file).name.endsWith('-client');
  // stdin and stderr stay the terminal's: a script may ask there (as with Ansible).
  const r = spawnSync(file, client ? ['--vault-id', id] : [], { stdio: ['inherit', 'pipe', 'inherit'], maxBuffer: MAX_PASSWORD_BYTES, timeout: 120_000 });
  if (r.error) throw new VaultPasswordError(source, `the script could not be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
  if (client && r.status === CLIENT_UNKNOWN_ID) throw new VaultPasswordError(source, `the client script has no password for vault id ${id}`);
  if (r.status !== 0) throw new VaultPasswordError(source, `the script exited with ${r.status ?? r.signal}`);
  return stripped(r.stdout);
}

/** One password from a file or script. @throws VaultPasswordError */
export function readPasswordFile(given: string, id: string): VaultSecret {
  const file = expandHome(given);
  const source = `file ${given}`;
  let password: Buffer;
  if (isExecutable(file)) {
    password = runScript(file, id, `script ${given}`);
  } else {
    try {
      password = stripped(readRegularFile(file, { what: 'vault password file', maxBytes: MAX_PASSWORD_BYTES }));
    } catch (err) {
      if (err instanceof InputFileError) throw new VaultPasswordError(source, err.message.replace(/^vault password file \S+: /, ''));
      throw err;
    }
    if (isVaultText(password.toString('latin1'))) throw new VaultPasswordError(source, 'the password file is itself vault-encrypted; fleet reads only plain password files');
  }
  return { id, password: nonEmpty(password, source) };
}

/** ANSIBLE_VAULT_PASSWORD_FILE, for commands without vault flags. */
export function passwordsFromEnv(env: NodeJS.ProcessEnv = process.env): VaultSecret[] {
  const file = env.ANSIBLE_VAULT_PASSWORD_FILE;
  return file ? [readPasswordFile(file, DEFAULT_VAULT_ID)] : [];
}

/** Every password the options and the environment give, in the order they are tried. */
export async function resolveVaultSecrets(opts: VaultOptions, ask: Ask, env: NodeJS.ProcessEnv = process.env): Promise<VaultSecret[]> {
  const slugs = [...(opts.vaultId ?? []), ...(opts.vaultPasswordFile ?? []).map((f) => `${DEFAULT_VAULT_ID}@${f}`)];
  if (env.ANSIBLE_VAULT_PASSWORD_FILE) slugs.push(`${DEFAULT_VAULT_ID}@${env.ANSIBLE_VAULT_PASSWORD_FILE}`);
  if (opts.askVaultPass) slugs.push(`${DEFAULT_VAULT_ID}@prompt_ask_vault_pass`);
  const out: VaultSecret[] = [];
  for (const slug of slugs) {
    const { id, source } = splitVaultId(slug);
    if (source === 'prompt' || source === 'prompt_ask_vault_pass') {
      const question = source === 'prompt' ? `Vault password (${id}): ` : 'Vault password: ';
      let answer: string;
      try {
        answer = await ask(question);
      } catch (err) {
        throw new VaultPasswordError(source === 'prompt' ? `prompt for ${id}` : 'prompt (--ask-vault-pass)', (err as Error).message);
      }
      out.push({ id, password: nonEmpty(stripped(Buffer.from(answer, 'utf8')), 'prompt') });
      continue;
    }
    if (!source) throw new VaultPasswordError(`--vault-id ${slug}`, 'expected LABEL@FILE or LABEL@prompt');
    out.push(readPasswordFile(source, id));
  }
  return out;
}
