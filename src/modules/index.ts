/**
 * The module registry: roles name a module and give it arguments; `renderResource` validates the
 * arguments with that module's schema and renders the Resource. Every bad argument (and an unknown
 * module name) becomes one ModuleArgsError that names the module, each offending field and the
 * problem, prefixed with where the task came from.
 */
import type { z } from 'zod';
import { ModuleArgsError } from '../errors.js';
import { address } from './address.js';
import { daemon } from './daemon.js';
import { file } from './file.js';
import { inputAllow } from './input-allow.js';
import { interfaceReady } from './interface-ready.js';
import { ipRoute } from './ip-route.js';
import { ipRule } from './ip-rule.js';
import { iptablesRule } from './iptables-rule.js';
import { link } from './link.js';
import { netns } from './netns.js';
import { pkg } from './package.js';
import { sysctl } from './sysctl.js';
import { ufwAllow } from './ufw-allow.js';
import { systemdUnitEnabled } from './systemd-unit-enabled.js';
import type { ChangeView, Module, Resource } from './types.js';
import { veth } from './veth.js';
import { wireguardInterface } from './wireguard-interface.js';
import { wireguardKey } from './wireguard-key.js';
import { wireguardUpstream } from './wireguard-upstream.js';

export const MODULES = {
  'iptables-rule': iptablesRule,
  'ip-rule': ipRule,
  'ip-route': ipRoute,
  netns,
  veth,
  address,
  link,
  sysctl,
  file,
  package: pkg,
  daemon,
  'wireguard-interface': wireguardInterface,
  'wireguard-key': wireguardKey,
  'wireguard-upstream': wireguardUpstream,
  'interface-ready': interfaceReady,
  'systemd-unit-enabled': systemdUnitEnabled,
  'input-allow': inputAllow,
  'ufw-allow': ufwAllow,
} as const;

export type ModuleName = keyof typeof MODULES;

/** The arguments a module accepts (its schema's input: defaults may be left out). */
export type ModuleInput<N extends ModuleName> = z.input<(typeof MODULES)[N]['schema']>;

export function isModuleName(name: string): name is ModuleName {
  return Object.prototype.hasOwnProperty.call(MODULES, name);
}

/** One line per zod issue: `field rule[2]: must not contain NUL or a line break`. */
export function formatArgIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const field = i.path.reduce<string>(
      (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
      '',
    );
    let message = i.message;
    if (i.code === 'unrecognized_keys') message = `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`;
    else if (i.code === 'invalid_type' && /received undefined/.test(i.message)) message = `required (${i.expected})`;
    return field ? `field ${field}: ${message}` : message;
  });
}

/**
 * Validates `args` with the module's schema and renders its Resource.
 * @param where where the task was written, e.g. 'roles/firewall/tasks.yaml task 3'
 * @throws ModuleArgsError for an unknown module or invalid arguments (every problem listed)
 */
export function renderResource(moduleName: string, args: unknown, where?: string): Resource {
  const prefix = where ? `${where}: ` : '';
  if (!isModuleName(moduleName)) {
    throw new ModuleArgsError(`${prefix}unknown module '${moduleName}'`, {
      hint: `known modules: ${Object.keys(MODULES).join(', ')}`,
    });
  }
  const mod = MODULES[moduleName] as unknown as Module<unknown>;
  const parsed = mod.schema.safeParse(args);
  if (!parsed.success) {
    const lines = formatArgIssues(parsed.error.issues);
    throw new ModuleArgsError(`${prefix}module ${moduleName}: ${lines.join('; ')}`, {
      hint: `check the task's arguments against the ${moduleName} module (src/modules/${moduleName}.ts)`,
      cause: parsed.error,
    });
  }
  return mod.render(parsed.data);
}

/** The module's own --diff view of a resource that does not hold, when it has one. */
export function changeView(r: Resource, current: string): ChangeView | undefined {
  if (!isModuleName(r.module)) return undefined;
  const mod = MODULES[r.module] as unknown as Module<unknown>;
  return mod.change?.(r, current);
}
