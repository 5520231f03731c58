/**
 * `fleet report merge`: the --json outputs of shards (deploy's, or status's) as the one document
 * an unsharded run over the same hosts would have printed: the same shape, the hosts in the same
 * order (a sharded output records each host's position in the selection), the summary counted
 * again. It refuses what cannot be one run: mixed kinds, a host in two files, shards of different
 * splits, a missing shard. Each refusal is an InputFileError (bad input: exit 4) naming the files.
 */
import type { z } from 'zod';
import { InputFileError } from '../errors.js';
import { deployDocument, type DeployDocument, type HostJson, type ShardRecord } from './json.js';
import { deploySchema, statusSchema } from './merge-schema.js';
import { statusDocument, type StatusDocument, type StatusHostJson } from './status.js';

export type ReportKind = 'deploy' | 'deploy --check' | 'status';

export type ParsedReport =
  | { file: string; kind: 'deploy' | 'deploy --check'; doc: DeployDocument }
  | { file: string; kind: 'status'; doc: StatusDocument };

export type MergedReport = { kind: 'deploy' | 'deploy --check'; doc: DeployDocument } | { kind: 'status'; doc: StatusDocument };

function issuePath(doc: unknown, path: readonly PropertyKey[]): string {
  let out = '';
  let at: unknown = doc;
  for (const seg of path) {
    at = (at as Record<PropertyKey, unknown> | undefined)?.[seg];
    if (typeof seg === 'number') {
      const host = (at as { host?: unknown } | undefined)?.host;
      out += `[${seg}]${typeof host === 'string' ? ` (${host})` : ''}`;
    } else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(top level)';
}

function checked<T>(file: string, data: unknown, schema: z.ZodType<T>): T {
  const r = schema.safeParse(data);
  if (r.success) return data as T; // the document as written: every field kept, in its order
  const issue = r.error.issues[0]!;
  throw new InputFileError('report', file, `${issuePath(data, issue.path)}: ${issue.message}`, {
    hint: 'give the files that fleet deploy --json or fleet status --json wrote, unedited',
  });
}

/** ` at line L, column C` of JSON.parse's "at position N", when it says one. */
function jsonErrorAt(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return text.trim() ? '' : ' (the file is empty)';
  const before = text.slice(0, Number(m[1])).split('\n');
  return ` at line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** A file's text as a report; InputFileError naming the file and the field when it is not one. */
export function parseReport(file: string, text: string): ParsedReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputFileError('report', file, `not JSON${jsonErrorAt(text, (err as Error).message)}: ${(err as Error).message}`, { hint: 'give the files that fleet deploy --json or fleet status --json wrote' });
  }
  const command = (data as { command?: unknown } | null)?.command;
  if (command === 'deploy') {
    const doc = checked(file, data, deploySchema) as unknown as DeployDocument;
    return { file, kind: doc.check ? 'deploy --check' : 'deploy', doc };
  }
  if (command === 'status') return { file, kind: 'status', doc: checked(file, data, statusSchema) as unknown as StatusDocument };
  const what = typeof command === 'string' ? `the output of fleet ${command}` : "not a fleet --json output (no 'command' field)";
  throw new InputFileError('report', file, `${what}: merge reads the --json of deploy and of status`, { hint: 'give the files that fleet deploy --json or fleet status --json wrote' });
}

function describeShard(s: ShardRecord | undefined): string {
  return s ? `shard ${s.index}/${s.count}` : 'not sharded';
}

/** Every file of one kind, and all sharded alike (same N, same selection) or none. */
function checkAlike(reports: readonly ParsedReport[]): void {
  const first = reports[0]!;
  for (const r of reports.slice(1)) {
    if (r.kind !== first.kind) {
      throw new InputFileError('report', r.file, `is ${r.kind}'s output, ${first.file} is ${first.kind}'s: merge one kind at a time`, { hint: 'merge the deploy outputs and the status outputs separately' });
    }
    const a = first.doc.shard;
    const b = r.doc.shard;
    if (!a !== !b || (a && b && (a.count !== b.count || a.selected !== b.selected))) {
      const why = a && b && a.count === b.count ? `its shard was cut from ${b.selected} selected hosts, ${first.file}'s from ${a.selected}` : `is ${describeShard(b)}, ${first.file} is ${describeShard(a)}`;
      throw new InputFileError('report', r.file, `${why}: these are not shards of one run`, { hint: 'merge the outputs of one set of shards, run with the same inventory, --limit and N' });
    }
  }
}

/** No host in two files (nor twice in one). */
function checkDisjoint(reports: readonly ParsedReport[]): void {
  const seen = new Map<string, string>();
  for (const r of reports) {
    const clash = new Map<string, string[]>();
    for (const h of r.doc.hosts) {
      const other = seen.get(h.host);
      if (other !== undefined) clash.set(other, [...(clash.get(other) ?? []), h.host]);
      else seen.set(h.host, r.file);
    }
    for (const [other, hosts] of clash) {
      const names = hosts.length > 10 ? `${hosts.slice(0, 10).join(', ')} and ${hosts.length - 10} more` : hosts.join(', ');
      const where = other === r.file ? 'more than once in it' : `also in ${other}`;
      throw new InputFileError('report', r.file, `host${hosts.length > 1 ? 's' : ''} ${names} ${hosts.length > 1 ? 'are' : 'is'} ${where}`, {
        hint: 'each host must be in exactly one of the files: were two shards run with different N, or one file given twice?',
      });
    }
  }
}

/** Every shard of 1..N present once (or --allow-missing); returns whether all are. */
function checkShards(reports: readonly ParsedReport[], allowMissing: boolean): boolean {
  const byIndex = new Map<number, string>();
  for (const r of reports) {
    const s = r.doc.shard!;
    if (s.positions.length !== r.doc.hosts.length) throw new InputFileError('report', r.file, `its shard lists ${s.positions.length} positions for ${r.doc.hosts.length} hosts`);
    const dup = byIndex.get(s.index);
    if (dup !== undefined) throw new InputFileError('report', r.file, `is shard ${s.index}/${s.count}, and so is ${dup}`, { hint: 'give each shard once' });
    byIndex.set(s.index, r.file);
  }
  const { count } = reports[0]!.doc.shard!;
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length && !allowMissing) {
    throw new InputFileError('report', reports.map((r) => r.file).join(', '), `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing`, {
      hint: "give every shard's file (a failed CI job may not have written one), or --allow-missing to merge only these",
    });
  }
  return !missing.length;
}

/** All the shards together hold exactly the hosts they were cut from. */
function checkWhole(reports: readonly ParsedReport[]): void {
  const { selected } = reports[0]!.doc.shard!;
  const hosts = reports.reduce((n, r) => n + r.doc.hosts.length, 0);
  if (hosts !== selected) {
    throw new InputFileError('report', reports.map((r) => r.file).join(', '), `the shards hold ${hosts} hosts, but they were cut from ${selected}`, {
      hint: 'the shards were run with different inventories or --limit',
    });
  }
}

/** Hosts in the order one unsharded run lists them: by position in the selection, else file by file. */
function orderedHosts<H>(reports: readonly ParsedReport[], hostsOf: (r: ParsedReport) => readonly H[]): H[] {
  if (!reports[0]!.doc.shard) return reports.flatMap((r) => [...hostsOf(r)]);
  const placed = reports.flatMap((r) => hostsOf(r).map((h, i) => ({ h, at: r.doc.shard!.positions[i]! })));
  return placed.sort((a, b) => a.at - b.at).map((p) => p.h);
}

export function mergeReports(reports: readonly ParsedReport[], opts: { allowMissing?: boolean } = {}): MergedReport {
  if (!reports.length) throw new InputFileError('report', '(none)', 'no files given', { hint: 'fleet report merge shard-1.json shard-2.json ...' });
  const twice = reports.find((r, i) => reports.findIndex((o) => o.file === r.file) !== i);
  if (twice) throw new InputFileError('report', twice.file, 'is given more than once', { hint: "give each shard's file once" });
  checkAlike(reports);
  const complete = reports[0]!.doc.shard ? checkShards(reports, !!opts.allowMissing) : false;
  checkDisjoint(reports);
  if (complete) checkWhole(reports);
  const first = reports[0]!;
  if (first.kind === 'status') {
    const docs = reports.map((r) => r.doc as StatusDocument);
    const hosts = orderedHosts<StatusHostJson>(reports, (r) => (r.doc as StatusDocument).hosts);
    // The oldest reading: the merged status is no fresher than its oldest shard.
    const at = docs.map((d) => d.at).sort()[0]!;
    return { kind: 'status', doc: statusDocument(hosts, { at }) };
  }
  const hosts = orderedHosts<HostJson>(reports, (r) => (r.doc as DeployDocument).hosts);
  // Shards run side by side: the run took as long as its slowest shard.
  const seconds = Math.max(...reports.map((r) => (r.doc as DeployDocument).seconds));
  return { kind: first.kind, doc: deployDocument(hosts, { check: first.kind === 'deploy --check', seconds }) };
}
