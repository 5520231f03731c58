/** Flags shared by the commands that reach hosts. */
import { Option, type Command } from 'commander';
import { UsageError } from './exit-codes.js';
import { ROLE_ORDER, type RoleName } from '../roles/order.js';
import type { SshOptions } from '../transport/ssh.js';
import { useVaultSecrets } from '../inventory/vault-keyring.js';
import { resolveVaultSecrets, type VaultOptions } from '../inventory/vault-passwords.js';

/** Seconds SSH may take to connect: the range of the inventory's connect_timeout. */
export const CONNECT_TIMEOUT_RANGE = { min: 1, max: 300 } as const;
/**
 * Seconds the on-host watchdog waits for the confirm: long enough for a new connection and one
 * round trip over a slow link, short enough that a locked-out host comes back within the hour
 * (and far below what a timer can hold).
 */
export const CONFIRM_TIMEOUT_RANGE = { min: 5, max: 3600 } as const;

export const ASK_KEY_PASSPHRASE_HELP = 'ask on the terminal for the passphrase of a protected SSH key (otherwise ssh-agent must hold a usable key)';

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('-f, --forks <n>', 'hosts worked on in parallel (default: all, up to 50)', (v) => positiveInt(v, '--forks'))
    .option('--accept-new-host-keys', 'record the host key of a host not yet in known_hosts (first contact); a changed key still fails')
    .option('-T, --connect-timeout <seconds>', `SSH connect timeout, ${CONNECT_TIMEOUT_RANGE.min}-${CONNECT_TIMEOUT_RANGE.max} (default: the inventory connect_timeout, 10)`, connectTimeoutArg)
    .option('--ask-key-passphrase', ASK_KEY_PASSPHRASE_HELP)
    .option('--json', 'print one JSON document instead of the live view');
}

/** The SSH flags of addConnectionOptions (or peer's own), as the transport takes them. */
export function sshOptions(opts: { acceptNewHostKeys?: boolean; connectTimeout?: number; askKeyPassphrase?: boolean }): SshOptions {
  return { acceptNewHostKeys: !!opts.acceptNewHostKeys, connectTimeout: opts.connectTimeout, askKeyPassphrase: !!opts.askKeyPassphrase };
}

export function connectTimeoutArg(v: string): number {
  return boundedInt(v, '--connect-timeout', CONNECT_TIMEOUT_RANGE);
}

export function confirmTimeoutArg(v: string): number {
  return boundedInt(v, '--confirm-timeout', CONFIRM_TIMEOUT_RANGE);
}

/** A whole number of seconds within `range`; the message says the range. */
export function boundedInt(v: string, flag: string, range: { min: number; max: number }): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(`${flag}: expected a whole number of seconds from ${range.min} to ${range.max}, got '${v}'`);
  }
  return n;
}

export function addRoleOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--roles <list>', `only these roles, comma-separated (${ROLE_ORDER.join(',')})`))
    .addOption(new Option('--skip-roles <list>', 'all roles except these, comma-separated'));
}

export function selectedRoles(opts: { roles?: string; skipRoles?: string }): RoleName[] {
  const parse = (list: string, flag: string): RoleName[] =>
    list.split(',').map((r) => {
      const name = r.trim();
      if (!(ROLE_ORDER as readonly string[]).includes(name)) throw new UsageError(`${flag}: unknown role '${name}'`, { hint: `roles are: ${ROLE_ORDER.join(', ')}` });
      return name as RoleName;
    });
  let roles: RoleName[] = [...ROLE_ORDER];
  if (opts.roles) roles = parse(opts.roles, '--roles');
  if (opts.skipRoles) {
    const skip = parse(opts.skipRoles, '--skip-roles');
    roles = roles.filter((r) => !skip.includes(r));
  }
  return roles;
}

export function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive whole number, got '${v}'`);
  return n;
}

export function percent(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new UsageError(`--max-fail-percent: expected 0-100, got '${v}'`);
  return n;
}

const VAULT_ID_HELP = 'a vault password as LABEL@FILE or LABEL@prompt (FILE: holds the password, or an executable that prints it); repeatable';

/**
 * --vault-password-file, --ask-vault-pass and --vault-id, as ansible-playbook has them (with
 * ANSIBLE_VAULT_PASSWORD_FILE): the passwords are read (or asked, on the terminal) before the
 * command runs, and every vaulted value of the inventory is decrypted with them.
 */
export function addVaultOptions(cmd: Command): Command {
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  return cmd
    .addOption(new Option('--vault-password-file <file>', 'the Ansible Vault password: a file holding it, or an executable that prints it; repeatable').argParser(collect))
    .addOption(new Option('--ask-vault-pass', 'ask on the terminal for the Ansible Vault password (no echo)'))
    .addOption(new Option('--vault-id <label@source>', VAULT_ID_HELP).argParser(collect))
    .hook('preAction', async (command) => {
      // The prompt module only when asked: `fleet inventory` loads nothing of the transport.
      const ask = async (question: string) => (await import('../transport/tty-prompt.js')).askHidden(question);
      useVaultSecrets(await resolveVaultSecrets(command.opts<VaultOptions>(), ask));
    });
}
