import { describe, expect, it } from 'vitest';
import { FleetError } from '../errors.js';
import { MAX_ALIAS_COUNT, parseYaml, readYamlFile, toPlain } from './yaml.js';

const value = (text: string) => {
  const r = parseYaml(`v: ${text}\n`, 't.yaml');
  expect(r.issues).toEqual([]);
  return (r.data as Map<string, unknown>).get('v');
};

describe('scalars resolve as PyYAML (and so Ansible) reads them', () => {
  // Expected values: PyYAML's yaml.safe_load (YAML 1.1) on the same text.
  it.each([
    ['yes', true],
    ['On', true],
    ['TRUE', true],
    ['NO', false],
    ['off', false],
    ['y', 'y'],
    ['n', 'n'],
    ['0644', 420],
    ['0x1F', 31],
    ['0b101', 5],
    ['1_000', 1000],
    ['1:20', 80],
    ['190:20:30.15', 685230.15],
    ['1.5', 1.5],
    ['1e3', '1e3'],
    ['1.5e+3', 1500],
    ['08', '08'],
    ['0o17', '0o17'],
    ['+12', 12],
    ['-0', 0],
    ['~', null],
    ['NULL', null],
    ['', null],
    ['2024-01-31', '2024-01-31'],
    ['10.4.0.1/24', '10.4.0.1/24'],
    ['0x200', 512],
    ['"yes"', 'yes'],
    ["'0644'", '0644'],
    ['!unsafe "{{ x }}"', '{{ x }}'],
  ])('%s', (text, expected) => {
    expect(value(text)).toEqual(expected);
  });

  it('keeps y and n as strings in keys too (host names)', () => {
    expect([...(parseYaml('y: 1\nn: 2\n', 't.yaml').data as Map<unknown, unknown>).keys()]).toEqual(['y', 'n']);
  });
});

describe('YAML problems come back as issues with positions', () => {
  const issues = (text: string) => parseYaml(text, 'inv.yaml').issues.map((i) => `${i.location.line}:${i.location.column} ${i.message}`);

  it('a duplicate key names the key and its first line', () => {
    expect(issues('all:\n  vars:\n    a: 1\n    b: 2\n    a: 3\n')).toEqual(['5:5 duplicate key a (first at line 3): YAML keeps only one of them; merge the two entries']);
  });

  it('a syntax error', () => {
    expect(issues('all:\n  vars: {a: 1\n')).toEqual(['3:1 YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }']);
  });

  it('tabs', () => {
    expect(issues('all:\n\tvars: {}\n')[0]).toMatch(/^2:1 .*indent YAML with spaces, not tabs/);
  });

  it('several documents', () => {
    expect(issues('a: 1\n---\nb: 2\n')[0]).toMatch(/^2:1 .*an inventory is one YAML document/);
  });

  it('an unknown tag (a !vault value beside it is not an issue: it is decrypted, see test/inventory/vault.test.ts)', () => {
    expect(issues('a: !foo x\nb: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n')).toEqual(['1:4 unknown YAML tag !foo: Ansible and fleet read only plain YAML (and !unsafe)']);
  });

  it('an alias to nowhere', () => {
    expect(issues('a: 1\nb: *nope\n')).toEqual(['2:4 unknown YAML alias *nope: define the anchor &nope before using it']);
  });

  it('an alias bomb fails fast, at the first alias', () => {
    const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
    const started = performance.now();
    const out = issues(lines.join('\n'));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out).toEqual([`2:10 YAML aliases expand to more than ${MAX_ALIAS_COUNT} nodes (an alias bomb?): Excessive alias count indicates a resource exhaustion attack`]);
  });

  it('anchors and merge keys still work within the limit (explicit keys win)', () => {
    const r = parseYaml('base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\n', 'm.yaml');
    expect(r.issues).toEqual([]);
    expect(toPlain(r.data)).toEqual({ base: { a: 1, b: 2 }, x: { a: 1, b: 3 } });
  });
});

it('an unreadable file is a FleetError, not an inventory issue', () => {
  expect(() => readYamlFile('/nonexistent/hosts.yaml')).toThrow(FleetError);
  expect(() => readYamlFile('/nonexistent/hosts.yaml')).toThrow('inventory /nonexistent/hosts.yaml: no such file');
});
