import { describe, expect, it } from 'vitest';
import { selectShard } from '../cli/shard.js';
import { InputFileError } from '../errors.js';
import type { Host } from '../inventory/index.js';
import { deployDocument, type DeployDocument, type HostJson } from './json.js';
import { mergeReports, parseReport, type ParsedReport } from './merge.js';
import { recapOf } from './recap.js';
import { statusDocument, type StatusDocument } from './status.js';
import type { HostStatusReport } from '../engine/status.js';

const names = ['edge-b', 'gw10', 'gw2', 'gw1', 'core', 'gw7', 'gw3', 'z9'];

function deployHost(host: string, i: number): HostJson {
  if (i === 2) {
    return {
      host, status: 'failed', label: 'failed, rolled back', ok: 40, changed: 0, failed: 1, roundTrips: 2, seconds: 1.5,
      failure: { index: 7, id: 'iptables-rule:x', phase: 'apply', exitCode: 1, output: 'iptables: No chain' }, rollback: 'ok', revertFailures: [],
      resources: [{ id: 'iptables-rule:x', role: 'firewall', task: 't', planned: 'change', applied: 'fail' }],
    };
  }
  if (i === 5) return { host, status: 'unreachable', label: 'unreachable', ok: 0, changed: 0, failed: 0, roundTrips: 0, seconds: 3, error: { code: 'TRANSPORT_FAILED', title: 'cannot reach host', message: `${host}: no SSH answer`, hint: 'is it up?' } };
  return { host, status: 'changed', label: 'changed', ok: 30, changed: 12 + i, failed: 0, roundTrips: 2, seconds: 1 + i / 10, resources: [{ id: 'file:/etc/a', role: 'dnsmasq', task: 'cfg', planned: 'change', applied: 'ok' }] };
}

const unsharded = deployDocument(names.map(deployHost), { seconds: 9 });

/** What `fleet deploy --shard K/3 --json` writes for these hosts, through the real split. */
function shardDocs(count: number): DeployDocument[] {
  const hosts = names.map((name) => ({ name }) as Host);
  return Array.from({ length: count }, (_, index) => {
    const { hosts: picked, record } = selectShard(hosts, { index, count });
    return deployDocument(picked.map((h) => unsharded.hosts.find((x) => x.host === h.name)!), { seconds: 3 + index, shard: record });
  });
}

const parsed = (docs: unknown[], prefix = 'shard'): ParsedReport[] => docs.map((d, i) => parseReport(`${prefix}-${i + 1}.json`, JSON.stringify(d)));

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputFileError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('fleet report merge: deploy', () => {
  it('gives back the unsharded document: same hosts, same order, same summary, the slowest shard\'s time', () => {
    const docs = shardDocs(3);
    expect(docs.map((d) => d.hosts.length).every((n) => n > 0)).toBe(true);
    const merged = mergeReports(parsed([docs[2], docs[0], docs[1]]));
    expect(merged.kind).toBe('deploy');
    expect(merged.doc).toEqual({ ...JSON.parse(JSON.stringify(unsharded)), seconds: 5 });
    expect(recapOf(merged.doc.hosts as HostJson[])).toBe(recapOf(unsharded.hosts));
  });

  it('keeps each host entry as written, fields it does not know included', () => {
    const docs = shardDocs(2);
    (docs[0]!.hosts[0] as unknown as Record<string, unknown>).batch = 2;
    const merged = mergeReports(parsed(docs));
    expect(merged.doc.hosts.find((h) => h.host === docs[0]!.hosts[0]!.host)).toMatchObject({ batch: 2 });
  });

  it('merges unsharded outputs of disjoint --limit runs file by file', () => {
    const a = deployDocument(unsharded.hosts.slice(0, 3), { seconds: 1 });
    const b = deployDocument(unsharded.hosts.slice(3), { seconds: 2 });
    const merged = mergeReports(parsed([a, b], 'limit'));
    expect(merged.doc.hosts.map((h) => h.host)).toEqual(names);
    expect(merged.doc.summary).toEqual(unsharded.summary);
  });

  it('refuses a host in two files and names them', () => {
    const a = deployDocument(unsharded.hosts.slice(0, 4), { seconds: 1 });
    const b = deployDocument(unsharded.hosts.slice(2), { seconds: 1 });
    expect(refusal(() => mergeReports(parsed([a, b], 'x')))).toBe('report x-2.json: hosts gw2, gw1 are also in x-1.json');
  });

  it('refuses a missing shard unless told, and a shard given twice', () => {
    const docs = shardDocs(3);
    expect(refusal(() => mergeReports(parsed([docs[0], docs[2]])))).toMatch(/shard 2\/3 missing/);
    expect(mergeReports(parsed([docs[0], docs[2]]), { allowMissing: true }).doc.hosts).toHaveLength(docs[0]!.hosts.length + docs[2]!.hosts.length);
    expect(refusal(() => mergeReports(parsed([docs[0], docs[0]])))).toMatch(/shard-2\.json: is shard 1\/3, and so is shard-1\.json/);
  });

  it('refuses shards of different splits and sharded with unsharded', () => {
    const three = shardDocs(3);
    const two = shardDocs(2);
    expect(refusal(() => mergeReports(parsed([three[0], two[1]])))).toMatch(/is shard 2\/2, shard-1\.json is shard 1\/3: these are not shards of one run/);
    expect(refusal(() => mergeReports(parsed([three[0], deployDocument([], { seconds: 0 })])))).toMatch(/is not sharded, shard-1\.json is shard 1\/3/);
    const other = structuredClone(three[1]!);
    other.shard!.selected = 9;
    expect(refusal(() => mergeReports(parsed([three[0], other, three[2]])))).toMatch(/cut from 9 selected hosts, shard-1\.json's from 8/);
  });

  it('refuses deploy with deploy --check, and deploy with status', () => {
    const check = deployDocument(unsharded.hosts.slice(0, 1), { check: true, seconds: 1 });
    const run = deployDocument(unsharded.hosts.slice(1, 2), { seconds: 1 });
    expect(refusal(() => mergeReports(parsed([run, check], 'k')))).toBe("report k-2.json: is deploy --check's output, k-1.json is deploy's: merge one kind at a time");
    const status = statusDocument([], { at: '2025-01-01T00:00:00.000Z' });
    expect(refusal(() => mergeReports(parsed([run, status], 'k')))).toMatch(/k-2\.json: is status's output, k-1\.json is deploy's/);
  });
});

describe('fleet report merge: reading the files', () => {
  it.each([
    ['', /not JSON \(the file is empty\)/],
    ['{"command": "deploy",\n "hosts": [}', /not JSON/],
    ['{"command": "deploy",\n "hosts": [] ] }', /not JSON( at line 2, column 14)?:/],
    ['{"command":"rollback","hosts":[]}', /the output of fleet rollback: merge reads the --json of deploy and of status/],
    ['[1,2]', /not a fleet --json output \(no 'command' field\)/],
    ['{"command":"deploy","check":false,"seconds":1,"summary":{},"hosts":[{"host":"gw1","status":"fine"}]}', /hosts\[0\] \(gw1\)\.status: /],
    ['{"command":"deploy","check":false,"seconds":1,"summary":{},"hosts":[],"shard":{"index":4,"count":3,"selected":0,"positions":[]}}', /shard\.index: index is past count/],
    ['{"command":"status","at":"x","summary":{},"hosts":[{"host":"gw1","reachable":true,"healthy":true,"inSync":true,"roundTrips":1,"seconds":1}]}', /hosts\[0\] \(gw1\): a reachable host needs health, drift and journal/],
  ])('%j is refused with the file and the place', (text, message) => {
    expect(refusal(() => parseReport('in.json', text))).toMatch(new RegExp(`^report in\\.json: ${message.source}`));
  });
});

describe('fleet report merge: status', () => {
  const report = (host: string, i: number): HostStatusReport =>
    i === 1
      ? { host, reachable: false, unreachableReason: 'timeout: no SSH answer', healthy: false, inSync: false, roundTrips: 0, seconds: 3 }
      : {
          host,
          reachable: true,
          healthy: true,
          inSync: i !== 3,
          roundTrips: 1,
          seconds: 0.5,
          health: { wg: { up: true, listenPort: 51820, peers: [] }, openvpn: { running: true, tun: { up: true, address: '10.8.0.6/24' } }, dnsmasq: { running: true, answering: true } },
          drift: { count: i === 3 ? 1 : 0, items: i === 3 ? [{ id: 'file:/etc/x', role: 'dnsmasq', state: 'change' }] : [] },
          journal: { unfinished: false, lastSuccess: { finished: '2025-01-01T00:00:00Z', user: 'root' } },
        };

  it('gives back the unsharded document, as old as its oldest shard', () => {
    const all = names.map(report);
    const whole = statusDocument(all, { at: '2025-01-01T00:00:09.000Z' });
    const hosts = names.map((name) => ({ name }) as Host);
    const docs = [0, 1, 2].map((index) => {
      const { hosts: picked, record } = selectShard(hosts, { index, count: 3 });
      return statusDocument(picked.map((h) => all.find((r) => r.host === h.name)!), { at: `2025-01-01T00:00:0${5 + index}.000Z`, shard: record });
    });
    const merged = mergeReports(parsed(docs));
    expect(merged.kind).toBe('status');
    expect(merged.doc).toEqual({ ...JSON.parse(JSON.stringify(whole)), at: '2025-01-01T00:00:05.000Z' });
    expect((merged.doc as StatusDocument).summary).toEqual({ hosts: 8, healthy: 6, drifted: 1, unhealthy: 0, down: 1 });
  });
});
