import { describe, expect, test } from 'vitest';
import { createEnv, renderValue } from './template.js';

describe('renderValue', () => {
  const env = createEnv();
  const vars = { port: 51820, nets: ['10.4.0.0/24'], peer: { name: 'a' } };

  test('a single expression keeps its type; anything else is a string', () => {
    expect(renderValue(env, '{{ port }}', vars)).toBe(51820);
    expect(renderValue(env, '{{ nets }}', vars)).toEqual(['10.4.0.0/24']);
    expect(renderValue(env, 'udp/{{ port }}', vars)).toBe('udp/51820');
    expect(renderValue(env, { a: ['{{ peer.name }}'] }, vars)).toEqual({ a: ['a'] });
  });

  test('an undefined variable or attribute is an error, never an empty or dropped value', () => {
    expect(() => renderValue(env, '{{ prot }}', vars)).toThrow(/prot.*undefined/);
    expect(() => renderValue(env, '{{ peer.nmae }}', vars)).toThrow(/peer\.nmae.*undefined/);
    expect(() => renderValue(env, 'udp/{{ prot }}', vars)).toThrow();
  });
});
