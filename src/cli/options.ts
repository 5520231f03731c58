/** Flags shared by the commands that reach hosts. */
import { Option, type Command } from 'commander';
import { UsageError } from './exit-codes.js';
import { ROLE_ORDER, type RoleName } from '../roles/order.js';

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('-f, --forks <n>', 'hosts worked on in parallel (default: all, up to 50)', (v) => positiveInt(v, '--forks'))
    .option('--accept-new-host-keys', 'record the host key of a host not yet in known_hosts (first contact); a changed key still fails')
    .option('-T, --connect-timeout <seconds>', 'SSH connect timeout (default: the inventory connect_timeout, 10)', (v) => positiveInt(v, '--connect-timeout'))
    .option('--json', 'print one JSON document instead of the live view');
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
