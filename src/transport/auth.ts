/**
 * Which credentials one login offers, in order: the endpoint's key files (the inventory's
 * key_file, then the config's IdentityFiles; without either, every default key that exists), then
 * ssh-agent when SSH_AUTH_SOCK is set.
 *
 * A key protected by a passphrase is:
 * - unlocked on the terminal with --ask-key-passphrase (asked once per file and run, however many
 *   hosts use it; the passphrase is kept nowhere, the unlocked key only in this process);
 * - otherwise left out when ssh-agent holds keys (the agent is the way to use it);
 * - otherwise, when nothing else is left to offer, an error that names both ways.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2, { type AnyAuthMethod, type ParsedKey } from 'ssh2';
import { TransportError } from '../errors.js';
import { readRegularFile } from '../fs/read-regular-file.js';
import type { IdentityFile, SshEndpoint } from './route.js';
import { askHidden, NoTerminalError } from './tty-prompt.js';

const { utils, OpenSSHAgent } = ssh2;

export interface AuthOptions {
  /** Ask for the passphrase of a protected key on the terminal (--ask-key-passphrase). */
  askKeyPassphrase?: boolean;
}

export const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
const MAX_PASSPHRASE_TRIES = 3;

export interface Credentials {
  methods: AnyAuthMethod[];
  /** Protected keys left out (the agent was used instead): named when authentication fails. */
  skipped: string[];
}

function defaultKeyFiles(): IdentityFile[] {
  return DEFAULT_KEY_NAMES.map((k) => ({ file: path.join(os.homedir(), '.ssh', k), required: false })).filter((k) => existsSync(k.file));
}

type LoadedKey = { kind: 'key'; key: ParsedKey } | { kind: 'protected'; data: Buffer };

function loadKey(label: string, id: IdentityFile): LoadedKey | undefined {
  if (!id.required && !existsSync(id.file)) return undefined;
  const data = readRegularFile(id.file, { what: id.required ? 'key_file' : 'IdentityFile', maxBytes: 1024 * 1024 });
  const parsed = utils.parseKey(data);
  if (!(parsed instanceof Error)) return { kind: 'key', key: Array.isArray(parsed) ? parsed[0] : parsed };
  if (/passphrase|encrypted/i.test(parsed.message)) return { kind: 'protected', data };
  throw new TransportError(label, 'auth', `${id.file} is not a private key fleet can use: ${parsed.message}`, { hint: 'point key_file (ansible_ssh_private_key_file) or IdentityFile at an OpenSSH private key' });
}

const agentKeyCounts = new Map<string, Promise<number>>();

/** How many keys the agent at `sock` holds (0 when it cannot be asked); asked once per process. */
export function agentKeyCount(sock: string): Promise<number> {
  let count = agentKeyCounts.get(sock);
  if (!count) {
    count = new Promise((resolve) => new OpenSSHAgent(sock).getIdentities((err, keys) => resolve(err ? 0 : (keys?.length ?? 0))));
    agentKeyCounts.set(sock, count);
  }
  return count;
}

const unlocked = new Map<string, Promise<ParsedKey>>();

async function askUntilUnlocked(label: string, file: string, data: Buffer): Promise<ParsedKey> {
  for (let attempt = 1; ; attempt++) {
    let passphrase: string;
    try {
      passphrase = await askHidden(`Passphrase for ${file}: `);
    } catch (err) {
      const why = err instanceof NoTerminalError ? `--ask-key-passphrase needs a terminal: ${err.message}` : `no passphrase for ${file} (${(err as Error).message})`;
      throw new TransportError(label, 'auth', why, { hint: `load the key into ssh-agent instead (ssh-add ${file})`, cause: err });
    }
    const parsed = utils.parseKey(data, passphrase);
    if (!(parsed instanceof Error)) return Array.isArray(parsed) ? parsed[0] : parsed;
    if (attempt >= MAX_PASSPHRASE_TRIES) throw new TransportError(label, 'auth', `wrong passphrase for ${file} (${attempt} tries)`, { hint: `check the passphrase, or load the key with ssh-add ${file}` });
  }
}

/** The key in `file`, unlocked on the terminal once for the whole run. */
function unlockOnTerminal(label: string, file: string, data: Buffer): Promise<ParsedKey> {
  let key = unlocked.get(file);
  if (!key) {
    key = askUntilUnlocked(label, file, data);
    unlocked.set(file, key);
    key.catch(() => unlocked.delete(file));
  }
  return key;
}

function lockedKeyError(label: string, files: string[], agent: string | undefined): TransportError {
  const list = files.join(', ');
  const agentState = agent ? `ssh-agent (SSH_AUTH_SOCK=${agent}) holds no keys` : 'no ssh-agent is available (SSH_AUTH_SOCK is not set)';
  return new TransportError(label, 'auth', `the key ${list} is protected by a passphrase, and ${agentState}`, {
    hint: `either load it into ssh-agent (eval "$(ssh-agent)"; ssh-add ${files[0]}) so that SSH_AUTH_SOCK has it, or run fleet with --ask-key-passphrase to type the passphrase on this terminal`,
  });
}

/** The credentials to offer `ep`, in order. */
export async function credentialsFor(ep: SshEndpoint, opts: AuthOptions): Promise<Credentials> {
  const files = ep.identityFiles.length ? ep.identityFiles : defaultKeyFiles();
  const agent = process.env.SSH_AUTH_SOCK || undefined;
  const methods: AnyAuthMethod[] = [];
  const locked: string[] = [];
  for (const id of files) {
    const loaded = loadKey(ep.label, id);
    if (!loaded) continue;
    if (loaded.kind === 'key') methods.push({ type: 'publickey', username: ep.user, key: loaded.key });
    else if (opts.askKeyPassphrase) methods.push({ type: 'publickey', username: ep.user, key: await unlockOnTerminal(ep.label, id.file, loaded.data) });
    else locked.push(id.file);
  }
  // The agent is asked what it holds only when that decides something: a protected key is left out.
  if (agent && (locked.length === 0 || (await agentKeyCount(agent)) > 0)) methods.push({ type: 'agent', username: ep.user, agent });
  if (locked.length && methods.length === 0) throw lockedKeyError(ep.label, locked, agent);
  if (!methods.length) throw new TransportError(ep.label, 'auth', 'no SSH key: set key_file (ansible_ssh_private_key_file) or start ssh-agent');
  return { methods, skipped: locked };
}
