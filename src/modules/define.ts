/**
 * One way to write a module: its name, schema, identity and what it renders. The id
 * (`<module>:<identity>`), the module name and the flags every resource of the module shares
 * (runtime, reachability) are filled in here, once.
 */
import type { z } from 'zod';
import type { ChangeView, Resource } from './types.js';

/** What a module's render returns: everything but what defineModule fills in. */
export type ResourceBody = Omit<Resource, 'id' | 'module' | 'runtime' | 'reachability'>;

export interface ModuleDefinition<N extends string, S extends z.ZodType> {
  name: N;
  /** Strict zod schema; each field has `.describe()` (docs/modules.md is made from them). */
  schema: S;
  /** The part of the id after `<module>:`: what makes two resources the same object. */
  identity(args: z.output<S>): string;
  /** Every resource of this module is lost at reboot (see Resource.runtime). */
  runtime?: true;
  /** A change to any resource of this module can cut the controller off (see Resource.reachability). */
  reachability?: true;
  render(args: z.output<S>): ResourceBody;
  change?(r: Resource, current: string): ChangeView;
}

/** A defined module: a Module whose name and schema keep their exact types (for ModuleInput). */
export interface DefinedModule<N extends string, S extends z.ZodType> {
  name: N;
  schema: S;
  identity(args: z.output<S>): string;
  render(args: z.output<S>): Resource;
  change?(r: Resource, current: string): ChangeView;
}

export function defineModule<N extends string, S extends z.ZodType>(d: ModuleDefinition<N, S>): DefinedModule<N, S> {
  const flags: Pick<Resource, 'runtime' | 'reachability'> = {};
  if (d.runtime) flags.runtime = true;
  if (d.reachability) flags.reachability = true;
  return {
    name: d.name,
    schema: d.schema,
    identity: d.identity,
    render: (a) => ({ id: `${d.name}:${d.identity(a)}`, module: d.name, ...flags, ...d.render(a) }),
    ...(d.change ? { change: d.change } : {}),
  };
}
