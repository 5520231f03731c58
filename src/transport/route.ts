/**
 * Where one SSH connection goes: the target's address, port, user and identity files, and the
 * bastions (ProxyJump hops) in front of it, from the inventory's Connection and the operator's
 * ~/.ssh/config.
 *
 * Precedence is OpenSSH's, with the inventory in the place of ssh's command line:
 * - a value the inventory set wins over the config: `ansible_host` (a host different from its
 *   inventory name), a port other than 22, a user other than root, `key_file` (tried first; the
 *   config's IdentityFiles follow), `proxy_jump` / `-J` in ansible_ssh_*_args;
 * - otherwise the config's first obtained value (Host sections matched against the inventory name);
 * - otherwise fleet's defaults (port 22, user root, ~/.ssh/id_{ed25519,ecdsa,rsa}, direct).
 * Connection cannot tell `ansible_user: root` from no user at all, so a config User applies to both.
 *
 * Each hop `[user@]host[:port]` is itself looked up in the config (HostName, User, Port,
 * IdentityFile), as `ssh -J` does; the first hop's own ProxyJump puts its bastions in front of it.
 */
import os from 'node:os';
import path from 'node:path';
import { InputFileError } from '../errors.js';
import type { Connection } from '../inventory/index.js';
import { normalizeHostName } from './known-hosts.js';
import { sshConfigFor, type Sourced, type SshConfigValues } from './ssh-config.js';

/** One SSH server fleet logs in to: a target host or a bastion. */
export interface SshEndpoint {
  /** What messages call it: the inventory host name, or `bastion ops@jump.example:22`. */
  label: string;
  host: string;
  port: number;
  user: string;
  /** Key files to offer, in order; empty: the default keys. */
  identityFiles: IdentityFile[];
  knownHostsFile: string;
}

export interface IdentityFile {
  file: string;
  /** The inventory's key_file must exist; a missing config IdentityFile is skipped, as ssh does. */
  required: boolean;
}

export interface SshRoute {
  target: SshEndpoint;
  /** Bastions, in the order they are reached (the first is connected to directly). */
  jumps: SshEndpoint[];
}

export interface RouteOptions {
  /** The operator's ssh config; false: none. Default ~/.ssh/config. */
  sshConfigFile?: string | false;
}

const MAX_JUMP_DEPTH = 8;
const HOST_RE = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|[0-9A-Fa-f:.]{2,45})$/;
const USER_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

interface Context {
  home: string;
  localUser: string;
  configFile: string | false;
  knownHostsFile: string;
  /** The target's own key_file: offered to bastions too, after their own keys. */
  targetKeyFile?: string;
}

/** `host:port` for messages, an IPv6 address in brackets. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function defaultKnownHostsFile(): string {
  return path.join(os.homedir(), '.ssh', 'known_hosts');
}

function localUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

function badValue(at: string, message: string, hint?: string): InputFileError {
  return new InputFileError(at === 'inventory' ? 'inventory' : 'ssh config', at, message, hint ? { hint } : {});
}

/** A host name or address, normalised as ssh does (lowercase, no trailing dot): what is dialled and looked up in known_hosts. */
function checkedHost(value: string, at: string, what: string): string {
  if (!HOST_RE.test(value)) throw badValue(at, `${what} '${value}' is not a host name or address`);
  return normalizeHostName(value);
}

function checkedPort(value: string, at: string, what: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n < 1 || n > 65535) throw badValue(at, `${what} '${value}' is not a port (1-65535)`);
  return n;
}

function checkedUser(value: string, at: string, what: string): string {
  if (!USER_RE.test(value)) throw badValue(at, `${what} '${value}' is not a user name`);
  return value;
}

/** `%` tokens as ssh_config(5) TOKENS defines them, for the ones fleet knows; others are an error. */
function expandTokens(value: string, tokens: Record<string, string>, at: string, what: string): string {
  return value.replace(/%(.)/g, (_m, c: string) => {
    const t = tokens[c];
    if (t === undefined) throw badValue(at, `${what}: fleet does not expand the token %${c}`, 'use %h, %p, %r, %u, %d, %n, %i, %l or %%, or write the value out');
    return t;
  });
}

function expandPath(value: string, tokens: Record<string, string>, at: string, home: string): string {
  const env = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = process.env[name];
    if (v === undefined) throw badValue(at, `IdentityFile: \${${name}} is not set`);
    return v;
  });
  const p = expandTokens(env, tokens, at, 'IdentityFile');
  if (p === '~' || p.startsWith('~/')) return path.join(home, p.slice(1));
  return path.isAbsolute(p) ? p : path.join(home, p);
}

export interface JumpSpec {
  user?: string;
  host: string;
  port?: number;
}

/** `[ssh://][user@]host[:port]`, IPv6 in brackets, as `ssh -J` reads a hop. */
export function parseJumpSpec(spec: string, at: string): JumpSpec {
  const s = spec.trim().replace(/^ssh:\/\//, '');
  const atSign = s.lastIndexOf('@');
  const user = atSign >= 0 ? checkedUser(s.slice(0, atSign), at, `ProxyJump ${spec}: user`) : undefined;
  const rest = s.slice(atSign + 1);
  let host = rest;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = checkedPort(bracketed[2], at, `ProxyJump ${spec}: port`);
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    [host] = rest.split(':') as [string];
    port = checkedPort(rest.split(':')[1]!, at, `ProxyJump ${spec}: port`);
  }
  return { user, host: checkedHost(host, at, `ProxyJump ${spec}: host`), port };
}

function jumpList(value: Sourced<string>, tokens: Record<string, string>): string[] {
  const expanded = expandTokens(value.value, tokens, value.at, 'ProxyJump');
  return expanded.split(',').map((s) => s.trim()).filter(Boolean);
}

function configFor(ctx: Context, host: string, user?: string): SshConfigValues {
  if (!ctx.configFile) return { identityFiles: [] };
  return sshConfigFor(ctx.configFile, { host, user, localUser: ctx.localUser, home: ctx.home });
}

function tokensFor(ctx: Context, alias: string, host: string, port: number, user: string): Record<string, string> {
  return { '%': '%', h: host, n: alias, p: String(port), r: user, u: ctx.localUser, l: os.hostname().split('.')[0]!, L: os.hostname(), d: ctx.home, i: String(process.getuid?.() ?? 0) };
}

function refuseProxyCommand(cfg: SshConfigValues): void {
  const pc = cfg.proxyCommand;
  if (pc && pc.value.toLowerCase() !== 'none') {
    throw badValue(pc.at, 'ProxyCommand is not something fleet can run', 'reach the host with ProxyJump (in ~/.ssh/config, proxy_jump, or -o ProxyJump= in ansible_ssh_common_args)');
  }
}

/** The bastions of a ProxyJump list, each looked up in the config; the first hop's own ProxyJump goes in front. */
function resolveJumps(specs: string[], at: string, ctx: Context, depth: number): SshEndpoint[] {
  if (specs.length === 1 && specs[0]!.toLowerCase() === 'none') return [];
  if (depth > MAX_JUMP_DEPTH) throw badValue(at, `ProxyJump chains more than ${MAX_JUMP_DEPTH} bastions deep (a loop?)`);
  const out: SshEndpoint[] = [];
  specs.forEach((spec, i) => {
    const hop = parseJumpSpec(spec, at);
    const cfg = configFor(ctx, hop.host, hop.user);
    const host = cfg.hostName ? checkedHost(expandTokens(cfg.hostName.value, { '%': '%', h: hop.host }, cfg.hostName.at, 'HostName'), cfg.hostName.at, 'HostName') : hop.host;
    const port = hop.port ?? (cfg.port ? checkedPort(cfg.port.value, cfg.port.at, 'Port') : 22);
    const user = hop.user ?? (cfg.user ? checkedUser(cfg.user.value, cfg.user.at, 'User') : ctx.localUser);
    const tokens = tokensFor(ctx, hop.host, host, port, user);
    if (i === 0) {
      refuseProxyCommand(cfg);
      if (cfg.proxyJump) out.push(...resolveJumps(jumpList(cfg.proxyJump, tokens), cfg.proxyJump.at, ctx, depth + 1));
    }
    const identityFiles = cfg.identityFiles.map((f) => ({ file: expandPath(f.value, tokens, f.at, ctx.home), required: false }));
    if (ctx.targetKeyFile) identityFiles.push({ file: ctx.targetKeyFile, required: false });
    out.push({ label: `bastion ${user}@${hostPort(host, port)}`, host, port, user, identityFiles, knownHostsFile: ctx.knownHostsFile });
  });
  return out;
}

/** The route to the inventory host `name` with connection `conn`. */
export function resolveRoute(name: string, conn: Connection, opts: RouteOptions = {}): SshRoute {
  const home = os.homedir();
  const ctx: Context = {
    home,
    localUser: localUserName(),
    configFile: opts.sshConfigFile ?? path.join(home, '.ssh', 'config'),
    knownHostsFile: conn.knownHostsFile ?? defaultKnownHostsFile(),
    targetKeyFile: conn.keyFile,
  };
  const alias = conn.alias ?? name;
  const userSet = conn.user !== 'root';
  const cfg = configFor(ctx, alias, userSet ? conn.user : undefined);
  const host = conn.host !== alias || !cfg.hostName ? normalizeHostName(conn.host) : checkedHost(expandTokens(cfg.hostName.value, { '%': '%', h: alias }, cfg.hostName.at, 'HostName'), cfg.hostName.at, 'HostName');
  const port = conn.port !== 22 || !cfg.port ? conn.port : checkedPort(cfg.port.value, cfg.port.at, 'Port');
  const user = userSet || !cfg.user ? conn.user : checkedUser(cfg.user.value, cfg.user.at, 'User');
  const tokens = tokensFor(ctx, alias, host, port, user);
  const identityFiles = [
    ...(conn.keyFile ? [{ file: conn.keyFile, required: true }] : []),
    ...cfg.identityFiles.map((f) => ({ file: expandPath(f.value, tokens, f.at, home), required: false })),
  ];
  const target: SshEndpoint = { label: name, host, port, user, identityFiles, knownHostsFile: ctx.knownHostsFile };
  let jumps: SshEndpoint[] = [];
  if (conn.proxyJump?.length) jumps = resolveJumps(conn.proxyJump, 'inventory', { ...ctx }, 0);
  else {
    refuseProxyCommand(cfg);
    if (cfg.proxyJump) jumps = resolveJumps(jumpList(cfg.proxyJump, tokens), cfg.proxyJump.at, ctx, 0);
  }
  return { target, jumps };
}
