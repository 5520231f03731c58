/**
 * Roles are data: roles/<role>/tasks.yaml names modules and their arguments (templated with the
 * host's variables), roles/<role>/templates/ holds file templates. This turns them into the host's
 * desired state: an ordered list of Resources.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ModuleArgsError } from '../errors.js';
import { downScript, upScript, type BootStep } from '../boot/scripts.js';
import type { Host } from '../inventory/index.js';
import { removalFragments, removalResource } from '../engine/removal.js';
import { renderResource } from '../modules/index.js';
import type { Resource } from '../modules/types.js';
import { rolesDir } from './defaults.js';
import { ROLE_ORDER, type RoleName } from './order.js';
import { HEALTH_SLOTS, type HealthSlot } from './health.js';
import { lintOpenvpnConfig, openvpnOutline } from './openvpn-config.js';
import { providerVars, type ProviderWgVars } from './provider-vars.js';
import { createEnv, renderFile, renderValue } from './template.js';

const taskSchema = z.strictObject({
  name: z.string().min(1).describe('what the task makes true, for the plan and the recap'),
  module: z.string().min(1),
  args: z.record(z.string(), z.unknown()),
  /** Renders the task once per element; `item` and `item_index` are in scope. */
  loop: z.union([z.string(), z.array(z.unknown())]).optional(),
  /** A Jinja expression; the task is skipped when it is false. */
  when: z.string().optional(),
  /** A file in templates/ rendered into args.content. */
  template: z.string().optional(),
  /** A controller-side file (templated path) read into args.content. */
  src: z.string().optional(),
  /** Names of tasks in this role whose change re-applies this one (restart on config change). */
  watches: z.array(z.string()).optional(),
  /**
   * A `file` task whose content is the gateway's generated boot script (src/boot/scripts.ts): `up`
   * or `down`, made from every role's runtime resources whatever roles this run selects.
   */
  boot: z.enum(['up', 'down']).optional(),
  /**
   * What `fleet status` judges the gateway's health by: this task's resource is the WireGuard
   * interface, the OpenVPN client, its tunnel or dnsmasq. Its liveness (Resource.live) is read.
   */
  health: z.enum(HEALTH_SLOTS).optional(),
  /**
   * The `src` file is an OpenVPN config: its directives are linted before anything is uploaded
   * (see openvpn-config.ts), and the plan shows their names with the values masked. `wireguard`:
   * the content is the WireGuard provider's config (linted in provider-vars.ts), outlined the same way.
   */
  lint: z.enum(['openvpn', 'wireguard']).optional(),
  /**
   * The resource must NOT be there (a legacy path, a rule an older fleet wrote): the deploy removes
   * it through the journal, and the plan shows it as a removal with the task's name as the reason.
   */
  absent: z.boolean().optional(),
});
export type Task = z.infer<typeof taskSchema>;

export interface DesiredResource {
  role: RoleName;
  task: string;
  resource: Resource;
  /** The role declares this resource as one `fleet status` judges health by. */
  health?: HealthSlot;
  /** A removal (src/engine/removal.ts), and why: declared `absent`, or no longer wanted. */
  removal?: string;
}

/**
 * Parsed tasks by file, with the text they were parsed from. Every host renders the same roles
 * (twice when the run holds a boot script), and parsing and validating tasks.yaml cost more than
 * rendering it: parse each file once per content. The file is still read every time, so an edited
 * role is seen.
 */
const parsedTasks = new Map<string, { text: string; tasks: readonly Task[] }>();

/** The role's tasks, shared between callers: never modified. */
function sharedTasks(role: RoleName, dir: string): readonly Task[] {
  const file = path.join(dir, role, 'tasks.yaml');
  const text = readFileSync(file, 'utf8');
  const hit = parsedTasks.get(file);
  if (hit?.text === text) return hit.tasks;
  const doc = parse(text) ?? [];
  const res = z.array(taskSchema).safeParse(doc);
  if (!res.success) {
    throw new ModuleArgsError(`${file}: ${res.error.issues.map((i) => `task ${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  parsedTasks.set(file, { text, tasks: res.data });
  return res.data;
}

export function loadTasks(role: RoleName, dir = rolesDir()): Task[] {
  return structuredClone(sharedTasks(role, dir)) as Task[];
}

/** One template environment per role's templates directory (it holds no per-host state). */
const envs = new Map<string, ReturnType<typeof createEnv>>();
function envFor(templatesDir: string): ReturnType<typeof createEnv> {
  let env = envs.get(templatesDir);
  if (!env) envs.set(templatesDir, (env = createEnv([templatesDir])));
  return env;
}

export interface DesiredStateOptions {
  /**
   * Read controller-side files named by `src` (default true). A teardown only runs undo, which
   * never needs a file's content, so it can tear a gateway down from a controller that does not
   * hold the provider's config.
   */
  readSources?: boolean;
  /**
   * Resources already rendered for other hosts of the same run (see SharedResources): a task whose
   * arguments render the same for many gateways is validated and rendered once.
   */
  shared?: SharedResources;
}

/**
 * Resources by module and arguments, shared between the hosts of one run. A module renders a
 * Resource from its validated arguments alone (no clock, randomness, files or environment), so
 * the same module and arguments give the same Resource; most of a fleet's resources do not depend
 * on the host (about 80% of the lab's). Resources in it are never modified (watches are added to
 * a copy), and a host's desired state only reads them.
 */
export type SharedResources = Map<string, Resource>;

/**
 * An exact key for rendered arguments, or undefined when they hold anything but plain data (then
 * the resource is rendered on its own). Strings are JSON-quoted, so no two values share a key.
 */
function argsKey(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 't' : 'f';
    case 'undefined':
      return 'u';
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? `n${v}` : undefined;
    case 'object': {
      if (v === null) return 'z';
      const parts: string[] = [];
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const k = i in v ? argsKey(v[i]) : undefined;
          if (k === undefined) return undefined;
          parts.push(k);
        }
        return `[${parts.join(',')}]`;
      }
      const proto = Object.getPrototypeOf(v);
      if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(v).length) return undefined;
      for (const [name, value] of Object.entries(v)) {
        const k = argsKey(value);
        if (k === undefined) return undefined;
        parts.push(`${JSON.stringify(name)}:${k}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return undefined;
  }
}

/** renderResource, through the run's shared resources when there are any. */
function renderShared(module: string, args: Record<string, unknown>, where: string, shared: SharedResources | undefined): Resource {
  const key = shared && argsKey(args);
  if (key === undefined) return renderResource(module, args, where);
  // A long key (file content) is kept as its digest: the run holds one per host resource.
  const full = `${JSON.stringify(module)}${key}`;
  const k = full.length > 1024 ? `sha256:${createHash('sha256').update(full).digest('base64')}` : full;
  let resource = shared!.get(k);
  if (!resource) shared!.set(k, (resource = renderResource(module, args, where)));
  return resource;
}

/**
 * Renders every host's desired state before any host is contacted: bad input runs nothing. A
 * resource that renders the same for several hosts is rendered once and shared between them.
 */
export function renderDesired(hosts: readonly Host[], roles: readonly RoleName[], opts: DesiredStateOptions = {}): Map<string, DesiredResource[]> {
  const shared = opts.shared ?? new Map();
  return new Map(hosts.map((h) => [h.name, desiredState(h.vars, roles, undefined, { ...opts, shared })]));
}

/** The host's desired state for the given roles, in role order then task order. */
export function desiredState(
  vars: Record<string, unknown>,
  roles: readonly RoleName[] = ROLE_ORDER,
  dir = rolesDir(),
  opts: DesiredStateOptions = {},
): DesiredResource[] {
  // A boot task renders every role a second time (below): each task is rendered once per host and
  // both passes share the result. Rendering is a pure function of the host's vars and the task,
  // except for the boot tasks themselves, which are never shared.
  const memo: Memo = new Map();
  vars = providerVars(vars, opts.readSources !== false);
  // The boot scripts describe the whole gateway, so they are made from every role's resources.
  let steps: BootStep[] | undefined;
  const boot = (kind: 'up' | 'down', where: string, file: unknown): string => {
    if (typeof file !== 'string') throw new ModuleArgsError(`${where}: a boot task needs args.path`);
    steps ??= bootSteps(renderRoles(vars, ROLE_ORDER, dir, () => '', opts, memo));
    return kind === 'up' ? upScript(steps, path.posix.basename(file)) : downScript(steps, path.posix.basename(file));
  };
  return renderRoles(vars, roles, dir, boot, opts, memo);
}

/** Every role's resources as boot steps, each requiring its role's files (see src/boot/scripts.ts). */
function bootSteps(all: readonly DesiredResource[]): BootStep[] {
  const files = new Map<string, string[]>();
  // A file the role declares absent (a removal) is no sign of the role being deployed.
  for (const d of all) if (d.resource.module === 'file' && d.removal === undefined) files.set(d.role, [...(files.get(d.role) ?? []), d.resource.id.slice('file:'.length)]);
  return all.map((d) => {
    const step: BootStep = { label: `[${d.role}] ${d.task}`, resource: d.resource };
    const requires = files.get(d.role);
    if (requires) step.requires = requires;
    return step;
  });
}

/**
 * Rendered tasks of one host, by `role/task` (the loop's items) and `role/task/item` (the item's
 * name and resource, or null when `when` skipped it). Resources in it are never modified.
 */
type Memo = Map<string, unknown[] | { name: string; resource: Resource } | null>;

function renderRoles(
  vars: Record<string, unknown>,
  roles: readonly RoleName[],
  dir: string,
  boot: (kind: 'up' | 'down', where: string, path: unknown) => string,
  opts: DesiredStateOptions,
  memo: Memo = new Map(),
): DesiredResource[] {
  const out: DesiredResource[] = [];
  const seen = new Map<string, string>();
  for (const role of ROLE_ORDER.filter((r) => roles.includes(r))) {
    const env = envFor(path.join(dir, role, 'templates'));
    const byTask = new Map<string, string[]>();
    sharedTasks(role, dir).forEach((task, n) => {
      const where = `roles/${role}/tasks.yaml task ${n + 1} (${task.name})`;
      const shared = !task.boot;
      const key = `${role}/${n}`;
      const loopItems = (): unknown[] => (task.loop === undefined ? [undefined] : toList(renderIn(env, task.loop, vars, where), where));
      const items = shared ? remember(memo, key, loopItems) : loopItems();
      // A later task may watch this one even when its loop or `when` gave no resource.
      if (!byTask.has(task.name)) byTask.set(task.name, []);
      items.forEach((item, itemIndex) => {
        const renderItem = (): { name: string; resource: Resource } | null => {
          const ctx = task.loop === undefined ? vars : { ...vars, item, item_index: itemIndex };
          if (task.when !== undefined && !renderIn(env, task.when, ctx, where)) return null;
          const args = renderIn(env, task.args, ctx, where) as Record<string, unknown>;
          if (task.template) args.content = renderTemplate(env, task.template, ctx, where);
          if (task.boot) args.content = boot(task.boot, where, args.path);
          let outline: string[] | undefined;
          if (task.src && opts.readSources === false) args.content = '';
          else if (task.src) {
            const file = String(renderIn(env, task.src, ctx, where));
            // The bytes as they are: a provider's file need not be UTF-8.
            const bytes = readSource(file, where);
            if (task.lint === 'openvpn') {
              const text = bytes.toString('latin1');
              lintOpenvpnConfig(text, file, ctx.openvpn_allow_scripts === true);
              outline = openvpnOutline(text);
            }
            args.content = bytes;
          }
          // A provider_endpoints item carries its own parsed file (src/roles/provider-endpoints.ts).
          if (task.lint === 'wireguard') outline = ((ctx.item as { wg?: ProviderWgVars } | undefined)?.wg ?? (ctx.provider_wg as ProviderWgVars)).outline;
          let resource = renderShared(task.module, args, where, opts.shared);
          // A copy: shared resources are never modified.
          if (outline) resource = { ...resource, outline };
          if (task.absent) resource = absentResource(resource, where);
          const name = String(renderIn(env, task.name, ctx, where));
          return { name, resource };
        };
        const rendered = shared ? remember(memo, `${key}/${itemIndex}`, renderItem) : renderItem();
        if (!rendered) return;
        const { name } = rendered;
        let { resource } = rendered;
        const dup = seen.get(resource.id);
        if (dup) throw new ModuleArgsError(`${where}: resource ${resource.id} is also declared by ${dup}`);
        seen.set(resource.id, where);
        const watches = (task.watches ?? []).flatMap((w) => {
          const ids = byTask.get(w);
          if (!ids) throw new ModuleArgsError(`${where}: watches '${w}', which is not an earlier task of role ${role}`);
          return ids;
        });
        // A copy: the memo's resource is shared with the other pass.
        if (watches.length) resource = { ...resource, watches: [...(resource.watches ?? []), ...watches] };
        byTask.set(task.name, [...(byTask.get(task.name) ?? []), resource.id]);
        const d: DesiredResource = { role, task: name, resource };
        if (task.health) d.health = task.health;
        if (task.absent) d.removal = name;
        out.push(d);
      });
    });
  }
  return out;
}

/** A task declared `absent`: the removal of the resource it renders. */
function absentResource(r: Resource, where: string): Resource {
  const f = removalFragments(r);
  if (!f) throw new ModuleArgsError(`${where}: absent: fleet cannot remove a ${r.module} resource (it has no undo of its own, or its removal would hold a secret)`);
  return removalResource(r, f);
}

function remember<T extends unknown[] | { name: string; resource: Resource } | null>(memo: Memo, key: string, make: () => T): T {
  if (memo.has(key)) return memo.get(key) as T;
  const v = make();
  memo.set(key, v);
  return v;
}

function readSource(file: string, where: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ModuleArgsError(`${where}: cannot read ${file}: ${(err as Error).message}`);
  }
}

function renderIn(env: ReturnType<typeof createEnv>, value: unknown, ctx: Record<string, unknown>, where: string): unknown {
  try {
    return renderValue(env, value, ctx);
  } catch (err) {
    throw new ModuleArgsError(`${where}: ${(err as Error).message.replace(/^\(unknown path\)\s*/, '')}`);
  }
}

function renderTemplate(env: ReturnType<typeof createEnv>, name: string, ctx: Record<string, unknown>, where: string): string {
  try {
    return renderFile(env, name, ctx);
  } catch (err) {
    throw new ModuleArgsError(`${where}: template ${name}: ${(err as Error).message}`);
  }
}

function toList(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new ModuleArgsError(`${where}: loop must give a list, got ${JSON.stringify(v)}`);
  return v;
}
