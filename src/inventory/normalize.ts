/**
 * Ansible's names for the connection, mapped to fleet's, and what fleet does with the rest of
 * Ansible's `ansible_*` variables.
 *
 * Aliases are resolved per precedence level, before merging, so precedence works across names:
 * `ansible_user: admin` in a group and `user: root` on the host give root, and the reverse too.
 * Within one level, if several names for one variable are set, fleet's own name wins, then
 * `ansible_X`, then `ansible_ssh_X`; a differing loser is reported as a warning.
 *
 * Ansible coerces its connection variables (`ansible_port: "2222"`, `ansible_become: "yes"`), so
 * the aliases are coerced the same way; fleet's own names must have the right type.
 *
 * Other `ansible_*` variables are resolved after merging (so a host can override a group's
 * ansible_connection): ssh-like connections, sudo as become method and root as become user are
 * accepted; anything else fleet cannot honour is an error; the rest (ansible_python_interpreter,
 * passwords, ...) is ignored with a warning.
 *
 * Controller paths (key_file, known_hosts_file, openvpn_config_file, provider_config_file): `~` is
 * the user's home and a relative path is relative to the working directory, as for Ansible's
 * `ssh -i`.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { didYouMean } from './suggest.js';
import { jumpsOfSshArgs } from './ssh-args.js';
import type { Finding, VarDef, VarLayer } from './types.js';

interface Alias {
  to: string;
  /** Lower wins when two names for one variable are set at the same level. */
  rank: number;
  coerce?: (v: unknown) => unknown;
}

const toPort = (v: unknown) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v);
const toInt = toPort;
/** Ansible's module_utils boolean(). */
const toBool = (v: unknown) => {
  if (typeof v === 'string' || typeof v === 'number') {
    const s = String(v).trim().toLowerCase();
    if (['yes', 'on', '1', 'true', 't', 'y', '1.0'].includes(s)) return true;
    if (['no', 'off', '0', 'false', 'f', 'n', '0.0'].includes(s)) return false;
  }
  return v;
};

export const CONNECTION_ALIASES: Record<string, Alias> = {
  ansible_host: { to: 'host', rank: 1 },
  ansible_ssh_host: { to: 'host', rank: 2 },
  ansible_port: { to: 'port', rank: 1, coerce: toPort },
  ansible_ssh_port: { to: 'port', rank: 2, coerce: toPort },
  ansible_user: { to: 'user', rank: 1 },
  ansible_ssh_user: { to: 'user', rank: 2 },
  ansible_ssh_private_key_file: { to: 'key_file', rank: 1 },
  ansible_private_key_file: { to: 'key_file', rank: 2 },
  ansible_become: { to: 'become', rank: 1, coerce: toBool },
  ansible_timeout: { to: 'connect_timeout', rank: 1, coerce: toInt },
  ansible_ssh_timeout: { to: 'connect_timeout', rank: 2, coerce: toInt },
};

/** Every name a variable may be written as, for did-you-mean. */
export const ALIAS_NAMES = Object.keys(CONNECTION_ALIASES);

const PATH_VARS = new Set(['key_file', 'known_hosts_file', 'openvpn_config_file', 'provider_config_file']);

export function expandPath(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return path.join(homedir(), p.slice(2));
  if (p.startsWith('/') || p === '') return p;
  return path.resolve(p);
}

// A group's level is shared by all its hosts: normalize it once.
const normalized = new WeakMap<VarLayer, { out: VarLayer; warnings: Finding[] }>();

/** One level's variables with Ansible's connection names mapped to fleet's. */
export function normalizeLayer(layer: VarLayer, warnings: Finding[]): VarLayer {
  const cached = normalized.get(layer);
  if (cached) {
    warnings.push(...cached.warnings);
    return cached.out;
  }
  const mine: Finding[] = [];
  const out = normalizeUncached(layer, mine);
  normalized.set(layer, { out, warnings: mine });
  warnings.push(...mine);
  return out;
}

function normalizeUncached(layer: VarLayer, warnings: Finding[]): VarLayer {
  const out: VarLayer = new Map();
  const rankOf = new Map<string, number>();
  for (const [name, def] of layer) {
    const alias = CONNECTION_ALIASES[name];
    const to = alias?.to ?? name;
    const rank = alias?.rank ?? 0;
    let value = alias?.coerce ? alias.coerce(def.value) : def.value;
    if (PATH_VARS.has(to) && typeof value === 'string') value = expandPath(value);
    const mapped: VarDef = { key: def.key, value, origin: def.origin };
    const prev = out.get(to);
    if (prev) {
      const [winner, loser] = rank < rankOf.get(to)! ? [mapped, prev] : [prev, mapped];
      if (JSON.stringify(winner.value) !== JSON.stringify(loser.value)) {
        warnings.push({
          origin: loser.origin,
          at: 'key',
          field: loser.key,
          message: `ignored: ${winner.key} sets ${to} at the same level (${winner.origin.where})`,
        });
      }
      if (winner === prev) continue;
    }
    out.set(to, mapped);
    rankOf.set(to, rank);
  }
  return out;
}

/** Ansible variables fleet knowingly ignores (never mistaken for typos of the ones it uses). */
const KNOWN_ANSIBLE = new Set([
  'ansible_python_interpreter',
  'ansible_shell_type',
  'ansible_shell_executable',
  'ansible_sftp_extra_args',
  'ansible_scp_extra_args',
  'ansible_ssh_executable',
  'ansible_ssh_pipelining',
  'ansible_pipelining',
  'ansible_ssh_retries',
  'ansible_host_key_checking',
  'ansible_ssh_host_key_checking',
  'ansible_become_exe',
  'ansible_become_flags',
  'ansible_network_os',
  'ansible_group_priority',
]);

const SSH_CONNECTIONS = new Set(['ssh', 'smart', 'paramiko', 'paramiko_ssh']);
const PASSWORDS = new Set(['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password', 'ansible_become_pass', 'ansible_become_password', 'ansible_sudo_pass']);

/**
 * After merging: check and drop the `ansible_*` variables that are not connection aliases.
 * Errors are things fleet cannot do as asked; warnings are settings it ignores.
 */
export function resolveAnsibleVars(host: string, merged: VarLayer, errors: Finding[], warnings: Finding[]): VarLayer {
  const out: VarLayer = new Map();
  for (const [name, def] of merged) {
    if (SSH_ARGS.includes(name)) continue;
    if (!name.startsWith('ansible_')) {
      out.set(name, def);
      continue;
    }
    const value = def.value;
    const at = { origin: def.origin, host, field: def.key };
    if (name === 'ansible_connection') {
      if (!SSH_CONNECTIONS.has(String(value))) {
        errors.push({ ...at, message: `expected ssh (fleet connects only over SSH), received ${JSON.stringify(value)}` });
      }
    } else if (name === 'ansible_become_method') {
      if (value !== 'sudo') errors.push({ ...at, message: `expected sudo (fleet becomes root with sudo -n), received ${JSON.stringify(value)}` });
    } else if (name === 'ansible_become_user') {
      if (value !== 'root') errors.push({ ...at, message: `expected root (fleet configures the gateway as root), received ${JSON.stringify(value)}` });
    } else if (PASSWORDS.has(name)) {
      warnings.push({ ...at, at: 'key', message: 'ignored: fleet authenticates with a key or ssh-agent and becomes root with passwordless sudo -n' });
    } else {
      // A near miss of a name fleet uses is a typo to fix, not an Ansible setting to ignore.
      const guess = KNOWN_ANSIBLE.has(name) ? undefined : didYouMean(name, [...ALIAS_NAMES, 'ansible_connection', 'ansible_become_method', 'ansible_become_user']);
      if (guess) errors.push({ ...at, at: 'key', message: `unknown variable ${name}: did you mean ${guess}?` });
      else warnings.push({ ...at, at: 'key', message: 'ignored: fleet does not use it' });
    }
  }
  sshArgsJump(host, merged, out, errors, warnings);
  return out;
}

/** ssh's command line has the common arguments before the extra ones; its first ProxyJump wins. */
const SSH_ARGS = ['ansible_ssh_common_args', 'ansible_ssh_extra_args'];

/** The bastions of ansible_ssh_*_args become `proxy_jump` (unless the inventory sets proxy_jump itself). */
function sshArgsJump(host: string, merged: VarLayer, out: VarLayer, errors: Finding[], warnings: Finding[]): void {
  for (const name of SSH_ARGS) {
    const def = merged.get(name);
    if (!def) continue;
    const at = { origin: def.origin, host, field: def.key };
    if (typeof def.value !== 'string') {
      errors.push({ ...at, message: `expected a string of ssh arguments, received ${JSON.stringify(def.value)}` });
      continue;
    }
    const r = jumpsOfSshArgs(def.value);
    if (r.refused) {
      errors.push({ ...at, message: r.refused });
      continue;
    }
    if (r.ignored.length) warnings.push({ ...at, message: `ignored: ${r.ignored.join(' ')} (fleet speaks SSH itself and reads only ProxyJump / -J here)` });
    if (r.proxyJump !== undefined && !out.has('proxy_jump')) out.set('proxy_jump', { key: def.key, value: r.proxyJump, origin: def.origin });
  }
}
