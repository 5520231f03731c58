/** Types shared by the inventory's stages (structure, normalize, merge, validate, rules). */
import type { HostVars } from './schema.js';
import type { LocateAt, PathSeg } from './locate.js';

/** How fleet reaches a host: the connection variables, validated, in camelCase. */
export interface Connection {
  host: string;
  port: number;
  user: string;
  keyFile?: string;
  knownHostsFile?: string;
  become: boolean;
  connectTimeout: number;
  /** OpenSSH ProxyJump hops, in order, each `[user@]host[:port]` (from proxy_jump, or -J / -o ProxyJump= in ansible_ssh_common_args / ansible_ssh_extra_args). */
  proxyJump?: string[];
  /** The host name as written in the inventory, for ~/.ssh/config `Host` matching (before ansible_host/HostName). */
  alias?: string;
}

export interface Host {
  name: string;
  /** Every group the host is in, directly or through a child group, except `all`; sorted by name (Ansible's group_names). */
  groups: string[];
  /** The merged, validated variables. */
  vars: HostVars;
  connection: Connection;
  /** Variables fleet does not use (another role's, Ansible's own): kept for display, ignored by the roles. */
  otherVars?: Record<string, unknown>;
}

export interface InventoryGroup {
  /** Hosts listed in the group itself (not its children), in file order. */
  hosts: string[];
  children: string[];
  /** The group's own variables as written (Ansible names kept). */
  vars: Record<string, unknown>;
}

export interface Inventory {
  file: string;
  hosts: Host[];
  groups: Record<string, InventoryGroup>;
  /** One line each, `file:line:col: message`. */
  warnings: string[];
}

/** Where a variable was written: a YAML file and the path to its value, or a pseudo-file (-e key=value). */
export interface Origin {
  file: string;
  path: PathSeg[];
  /** 'all.vars', 'group eu vars', 'host gw01', 'extra vars', 'role defaults': for messages. */
  where: string;
}

/** One variable as defined at one level; `key` is the name as written (ansible_port for port). */
export interface VarDef {
  key: string;
  value: unknown;
  origin: Origin;
}

/** The variables of one precedence level, by (fleet) name. */
export type VarLayer = Map<string, VarDef>;

/** A problem before it has a file:line: the caller locates `origin`+`subpath` with the Locator. */
export interface Finding {
  origin: Origin;
  subpath?: PathSeg[];
  at?: LocateAt;
  host?: string;
  field?: string;
  message: string;
}
