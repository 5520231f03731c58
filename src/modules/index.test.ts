import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { MODULES, renderResource } from './index.js';

describe('renderResource', () => {
  test('an unknown module names itself, where it was used, and the known modules', () => {
    let err: unknown;
    try {
      renderResource('iptables', {}, 'roles/firewall/tasks.yaml task 3');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModuleArgsError);
    const e = err as ModuleArgsError;
    expect(e.message).toBe("roles/firewall/tasks.yaml task 3: unknown module 'iptables'");
    expect(e.hint).toContain('iptables-rule');
    expect(e.code).toBe('MODULE_ARGS_INVALID');
  });

  test('bad arguments: every problem, with its field, in one error', () => {
    let err: unknown;
    try {
      renderResource('iptables-rule', { table: 'nat', chain: 'POSTROUTING', rule: ['-j', 'X\nY'], colour: 'blue' }, 'roles/x/tasks.yaml task 1');
    } catch (e) {
      err = e;
    }
    const e = err as ModuleArgsError;
    expect(e).toBeInstanceOf(ModuleArgsError);
    expect(e.message).toBe(
      "roles/x/tasks.yaml task 1: module iptables-rule: field rule[1]: must not contain NUL or a line break; unknown field 'colour'",
    );
    expect(e.hint).toContain('src/modules/iptables-rule.ts');
  });

  test('args that are not an object', () => {
    expect(() => renderResource('iptables-rule', 'nope')).toThrow(/^module iptables-rule: /);
    expect(() => renderResource('iptables-rule', undefined)).toThrow(ModuleArgsError);
  });

  test('every module: name matches its key, every schema field is described', () => {
    const undescribed: string[] = [];
    for (const [key, mod] of Object.entries(MODULES)) {
      expect(mod.name).toBe(key);
      const shape = (mod.schema as unknown as { shape: Record<string, { description?: string }> }).shape;
      expect(shape, key).toBeDefined();
      undescribed.push(...Object.entries(shape).filter(([, s]) => !s.description).map(([field]) => `${key}.${field}`));
    }
    expect(undescribed).toEqual([]);
  });
});
