/**
 * --serial's batches equal Ansible's: the same inventory and serial lists run by the real
 * ansible-playbook (local connection, one debug task per batch printing ansible_play_batch).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSerial, splitBatches } from '../../src/engine/batches.js';
import { skipWithoutAnsible } from './oracle.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fleet-serial-oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPECS = ['1,50%', '1,30%', '10%', '1,10%,100%', '3', '2,40%'];

function ansibleBatches(hostCount: number): string[][][] {
  const names = Array.from({ length: hostCount }, (_, i) => `gw${i + 1}`);
  writeFileSync(path.join(dir, 'inv.ini'), `[gateways]\n${names.map((n) => `${n} ansible_connection=local`).join('\n')}\n`);
  const plays = SPECS.map((s, i) => `- name: spec${i}\n  hosts: all\n  gather_facts: false\n  serial: ${JSON.stringify(s.split(',').map((x) => (x.endsWith('%') ? x : Number(x))))}\n  tasks:\n    - debug: msg="{{ ansible_play_batch | join(',') }}"\n      run_once: true\n`);
  writeFileSync(path.join(dir, 'play.yml'), plays.join('\n'));
  const r = spawnSync('ansible-playbook', ['-i', 'inv.ini', 'play.yml'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, HOME: dir, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_NOCOLOR: '1' },
  });
  if (r.status !== 0) throw new Error(`ansible-playbook failed (${r.status}): ${r.stderr}`);
  // The json callback reports each batch as a play of its own, under the play's name.
  const doc = JSON.parse(r.stdout) as { plays: { play: { name: string }; tasks: { hosts: Record<string, { msg: string }> }[] }[] };
  return SPECS.map((_, i) => doc.plays.filter((p) => p.play.name === `spec${i}`).map((p) => Object.values(p.tasks[0]?.hosts ?? {})[0]?.msg.split(',') ?? []));
}

describe('--serial batches equal ansible-playbook serial batches', () => {
  for (const count of [4, 7, 10]) {
    it.skipIf(skipWithoutAnsible)(`${count} hosts, serial ${SPECS.join(' | ')}`, () => {
      const hosts = Array.from({ length: count }, (_, i) => `gw${i + 1}`);
      const ours = SPECS.map((s) => splitBatches(hosts, parseSerial(s)));
      expect(ours).toEqual(ansibleBatches(count));
    });
  }
});
