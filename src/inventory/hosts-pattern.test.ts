import { describe, expect, it } from 'vitest';
import { MAX_EXPANSION, expandHostKey } from './hosts-pattern.js';

describe('host keys expand as Ansible expands them', () => {
  // Expected: ansible-core 2.14's InventoryModule._expand_hostpattern on the same key.
  it.each<[string, string[], number | undefined]>([
    ['gw[01:03]', ['gw01', 'gw02', 'gw03'], undefined],
    ['gw[1:3]', ['gw1', 'gw2', 'gw3'], undefined],
    ['gw[1:9:4]', ['gw1', 'gw5', 'gw9'], undefined],
    ['node-[a:c]', ['node-a', 'node-b', 'node-c'], undefined],
    ['db[1:2]-[a:b]', ['db1-a', 'db1-b', 'db2-a', 'db2-b'], undefined],
    ['gw[1:3]x[1:2]', ['gw1x1', 'gw1x2', 'gw2x1', 'gw2x2', 'gw3x1', 'gw3x2'], undefined],
    ['gw1:2222', ['gw1'], 2222],
    ['host_1:22', ['host_1'], 22],
    ['[2001:db8::1]:2222', ['2001:db8::1'], 2222],
    ['2001:db8::1', ['2001:db8::1'], undefined],
    ['10.0.0.[1:3]', ['10.0.0.1', '10.0.0.2', '10.0.0.3'], undefined],
    ['gw[:2]', ['gw0', 'gw1', 'gw2'], undefined],
    ['x[A:C]', ['xA', 'xB', 'xC'], undefined],
    ['a[y:B]', ['ay', 'az', 'aA', 'aB'], undefined],
    ['gw[8:10]', ['gw8', 'gw9', 'gw10'], undefined],
    ['h[09:11]', ['h09', 'h10', 'h11'], undefined],
    ['web.example.com', ['web.example.com'], undefined],
    ['gw[01:03]:2200', ['gw01', 'gw02', 'gw03'], 2200],
  ])('%s', (key, names, port) => {
    expect(expandHostKey(key)).toEqual(port === undefined ? { names } : { names, port });
  });

  it.each([
    ['gw[01:3]', 'host range [01:3] must specify equal-length begin and end formats (like 01:20)'],
    ['gw[a]', 'host range [a] must be begin:end or begin:end:step'],
    ['gw[1:]', 'host range [1:] must specify an end value'],
    // Ansible yields no hosts for these two; fleet says why.
    ['gw[5:1]', 'host range [5:1] is empty: begin must be <= end'],
    ['gw[1:2:0]', 'host range [1:2:0]: step must be at least 1'],
    ['gw[1:x]', 'host range [1:x] must be numbers (like 01:20) or single letters (like a:f)'],
    ['gw[1:3', 'bad host range in gw[1:3: expected name[begin:end] or name[begin:end:step]'],
  ])('%s is an error', (key, message) => {
    expect(() => expandHostKey(key)).toThrow(message);
  });

  it('bounds the expansion', () => {
    expect(() => expandHostKey('gw[1:99999999]')).toThrow(`expands to more than ${MAX_EXPANSION} hosts`);
    expect(() => expandHostKey('a[1:200]b[1:200]')).toThrow(`expands to more than ${MAX_EXPANSION} hosts`);
  });
});
