import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InventoryError } from '../errors.js';
import { selectHosts, splitPattern } from './limit.js';
import type { Host, Inventory } from './types.js';

// all > ungrouped{solo}, eu > {fra{gw01,gw02}, ams{gw03}}, us{us1, gw02}, empty{}
const group = (hosts: string[], children: string[] = []) => ({ hosts, children, vars: {} });
const inv: Inventory = {
  file: 'inv.yaml',
  warnings: [],
  hosts: ['solo', 'gw01', 'gw02', 'gw03', 'us1'].map((name) => ({ name }) as Host),
  groups: {
    all: group([], ['ungrouped', 'eu', 'us', 'empty']),
    ungrouped: group(['solo']),
    eu: group([], ['fra', 'ams']),
    fra: group(['gw01', 'gw02']),
    ams: group(['gw03']),
    us: group(['us1', 'gw02']),
    empty: group([]),
  },
};
const names = (pattern: string) => selectHosts(inv, pattern).map((h) => h.name);

describe('--limit selects as Ansible does (results in inventory order)', () => {
  it.each([
    ['gw01', ['gw01']],
    ['gw01,us1', ['gw01', 'us1']],
    ['gw01:us1', ['gw01', 'us1']],
    ['eu', ['gw01', 'gw02', 'gw03']],
    ['fra', ['gw01', 'gw02']],
    ['all', ['solo', 'gw01', 'gw02', 'gw03', 'us1']],
    ['*', ['solo', 'gw01', 'gw02', 'gw03', 'us1']],
    ['ungrouped', ['solo']],
    ['gw0*', ['gw01', 'gw02', 'gw03']],
    ['gw0[!2]', ['gw01', 'gw03']],
    // As in Ansible, a trailing [digits] is a subscript, not a glob class.
    ['fra[1]', ['gw02']],
    ['gw0[!1]', ['gw02', 'gw03']],
    ['?s1', ['us1']],
    ['~gw0[12]$', ['gw01', 'gw02']],
    ['~^(us|am)', ['gw02', 'gw03', 'us1']],
    ['eu,!gw02', ['gw01', 'gw03']],
    ['!gw02', ['solo', 'gw01', 'gw03', 'us1']],
    ['eu,&us', ['gw02']],
    ['!eu,us', ['us1']],
    ['eu[0]', ['gw01']],
    ['eu[-1]', ['gw03']],
    ['eu[1:2]', ['gw02', 'gw03']],
    ['eu[1:]', ['gw02', 'gw03']],
    [' gw01 , gw03 ', ['gw01', 'gw03']],
  ])('%s', (pattern, expected) => {
    expect(names(pattern)).toEqual(expected);
  });

  it('reads @file, one pattern per line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleet-limit-'));
    try {
      writeFileSync(path.join(dir, 'retry'), 'gw03\nus1\n\n');
      expect(names(`@${path.join(dir, 'retry')}`)).toEqual(['gw03', 'us1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('splits on colons only when the whole is not one address', () => {
    expect(splitPattern('gw01:gw02')).toEqual(['gw01', 'gw02']);
    expect(splitPattern('gw[1:3]')).toEqual(['gw[1:3]']);
    expect(splitPattern('2001:db8::1')).toEqual(['2001:db8::1']);
  });
});

describe('--limit errors name the pattern', () => {
  const message = (pattern: string) => {
    try {
      selectHosts(inv, pattern);
    } catch (err) {
      expect(err).toBeInstanceOf(InventoryError);
      return (err as InventoryError).message;
    }
    throw new Error(`${pattern} selected hosts`);
  };
  it.each([
    ['gw9', '--limit: pattern gw9 matches no host or group'],
    ['eu,!gw-typo', '--limit: pattern !gw-typo matches no host or group'],
    ['eu,&nope,zz*', '--limit: pattern zz*, pattern &nope match no host or group'],
    ['empty', '--limit: --limit empty selects no hosts'],
    ['eu,&us,!gw02', '--limit: --limit eu,&us,!gw02 selects no hosts'],
    ['eu[7]', '--limit: no host at index 7 of eu (it has 3)'],
    [',', '--limit: empty pattern ","'],
  ])('%s', (pattern, expected) => {
    expect(message(pattern)).toBe(expected);
  });
});
