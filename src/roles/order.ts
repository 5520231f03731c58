/**
 * The roles, in the order a deploy applies them (teardown runs in reverse), as roles/order.yaml
 * lists them: adding a role is a directory and a line there, no code.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { rolesDir } from './dir.js';

export type RoleName = string;

const orderSchema = z
  .array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a role name (a directory under roles/)'))
  .min(1)
  .refine((names) => new Set(names).size === names.length, 'a role is listed twice');

/** The order in `dir`/order.yaml; every role named there must have a tasks.yaml. */
export function loadRoleOrder(dir = rolesDir()): readonly RoleName[] {
  const file = path.join(dir, 'order.yaml');
  const res = orderSchema.safeParse(parse(readFileSync(file, 'utf8')));
  if (!res.success) throw new Error(`${file}: ${res.error.issues.map((i) => i.message).join('; ')}`);
  for (const role of res.data) {
    if (!existsSync(path.join(dir, role, 'tasks.yaml'))) throw new Error(`${file}: role ${role} has no ${role}/tasks.yaml`);
  }
  return Object.freeze(res.data);
}

export const ROLE_ORDER: readonly RoleName[] = loadRoleOrder();
