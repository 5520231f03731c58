/**
 * Editing the operator's inventory file in place: a peer is added to (or removed from) the
 * gateway's own `wg_peers` through the yaml library's Document API, so every comment, the key
 * order, blank lines, quoting and anchors elsewhere in the file stay as the operator wrote them.
 * Only the host's entry changes.
 */
import { renameSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Peer } from '../inventory/index.js';
import { PeerError } from './allocate.js';

type Key = string | number;

/** Where a host is written: every `...hosts: { NAME: ... }` entry, in file order. */
export function hostEntries(doc: Document, host: string): Key[][] {
  const out: Key[][] = [];
  const walkGroup = (node: unknown, at: Key[], depth: number): void => {
    if (!isMap(node) || depth > 64) return;
    const hosts = node.get('hosts', true);
    if (isMap(hosts)) {
      for (const item of hosts.items) {
        const k = isScalar(item.key) ? item.key.value : item.key;
        if (String(k) === host) out.push([...at, 'hosts', String(k)]);
      }
    }
    const children = node.get('children', true);
    if (isMap(children)) {
      for (const item of children.items) {
        const k = isScalar(item.key) ? item.key.value : item.key;
        walkGroup(item.value, [...at, 'children', String(k)], depth + 1);
      }
    }
  };
  const root = doc.contents;
  if (!isMap(root)) return out;
  for (const item of root.items) {
    const k = isScalar(item.key) ? item.key.value : item.key;
    walkGroup(item.value, [String(k)], 0);
  }
  return out;
}

function parse(text: string, file: string): Document {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length) throw new PeerError(`${file}: ${doc.errors[0]!.message}`);
  return doc;
}

function peersAt(doc: Document, at: Key[]): { seq: unknown; present: boolean } {
  const entry = doc.getIn(at, true);
  if (!isMap(entry)) return { seq: undefined, present: false };
  return { seq: (entry as YAMLMap).get('wg_peers', true), present: (entry as YAMLMap).has('wg_peers') };
}

/** Start of the line holding `pos`. */
function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

/** Just past the newline ending the line that holds `pos` (or the text's end). */
function lineEnd(text: string, pos: number): number {
  const nl = text.indexOf('\n', pos);
  return nl === -1 ? text.length : nl + 1;
}

function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

/** A block-style list item for `p`, its dash at `dash` and its keys at `keys`. */
function itemText(p: Peer, dash: number, keys: number): string {
  const d = ' '.repeat(dash);
  const k = ' '.repeat(keys);
  return [
    `${d}-${' '.repeat(Math.max(1, keys - dash - 1))}name: ${p.name}`,
    `${k}public_key: ${p.public_key}`,
    `${k}allowed_ips:`,
    ...p.allowed_ips.map((a) => `${k}  - ${a}`),
  ].join('\n');
}

/** Whether `text` parses and gives the host exactly `want` as its wg_peers. */
function sameList(text: string, file: string, at: Key[], want: Peer[]): boolean {
  try {
    const got = parse(text, file).getIn([...at, 'wg_peers'], true);
    return isSeq(got) && JSON.stringify(got.toJSON()) === JSON.stringify(want);
  } catch {
    return false;
  }
}

/**
 * Text surgery where the file's layout allows it (a block list to append to, a block map to add
 * the key to): the rest of the file stays byte for byte. Undefined when the layout is unusual.
 */
function spliceAdd(text: string, doc: Document, at: Key[], peer: Peer): string | undefined {
  const entry = doc.getIn(at, true);
  if (!isMap(entry) || entry.flow || !entry.range) return undefined;
  const seq = entry.get('wg_peers', true);
  if (seq !== undefined) {
    if (!isSeq(seq) || seq.flow || !seq.items.length) return undefined;
    const last = seq.items[seq.items.length - 1] as { range?: [number, number, number] } | undefined;
    const first = seq.items[0] as { range?: [number, number, number] } | undefined;
    if (!last?.range || !first?.range || !isMap(first)) return undefined;
    const firstLine = text.slice(lineStart(text, first.range[0]), first.range[0]);
    const dash = firstLine.indexOf('-');
    if (dash < 0 || firstLine.slice(0, dash).trim() !== '') return undefined;
    const at2 = lineEnd(text, Math.max(last.range[0], last.range[1] - 1));
    const sep = at2 > 0 && text[at2 - 1] !== '\n' ? '\n' : '';
    return `${text.slice(0, at2)}${sep}${itemText(peer, dash, column(text, first.range[0]))}\n${text.slice(at2)}`;
  }
  const col = column(text, entry.range[0]);
  const lastPair = entry.items[entry.items.length - 1];
  const endNode = (lastPair?.value ?? lastPair?.key) as { range?: [number, number, number] } | undefined;
  if (!endNode?.range) return undefined;
  const at2 = lineEnd(text, Math.max(endNode.range[0], endNode.range[1] - 1));
  const sep = at2 > 0 && text[at2 - 1] !== '\n' ? '\n' : '';
  return `${text.slice(0, at2)}${sep}${' '.repeat(col)}wg_peers:\n${itemText(peer, col + 2, col + 4)}\n${text.slice(at2)}`;
}

function spliceRemove(text: string, seq: unknown, index: number): string | undefined {
  if (!isSeq(seq) || seq.flow || seq.items.length < 2) return undefined;
  const item = seq.items[index] as { range?: [number, number, number] } | undefined;
  if (!item?.range) return undefined;
  const from = lineStart(text, item.range[0]);
  const to = lineEnd(text, Math.max(item.range[0], item.range[1] - 1));
  return text.slice(0, from) + text.slice(to);
}

/**
 * The file's text with `peer` appended to `host`'s wg_peers. `inherited` is the host's current
 * list when it comes from a group or the defaults (the host gets its own list: them plus the new one).
 */
export function addPeerText(text: string, file: string, host: string, peer: Peer, inherited: Peer[] = []): string {
  const doc = parse(text, file);
  const entries = hostEntries(doc, host);
  if (!entries.length) throw new PeerError(`${file} does not list host ${host}`);
  const at = entries.find((e) => peersAt(doc, e).present) ?? entries[0]!;
  const { seq, present } = peersAt(doc, at);
  if (present && !isSeq(seq)) throw new PeerError(`${host}'s wg_peers in ${file} is not a plain list (an alias or a scalar): add the peer by hand`);
  const want = [...(present ? ((seq as { toJSON: () => Peer[] }).toJSON() ?? []) : inherited), peer];
  if (present || inherited.length === 0) {
    const spliced = spliceAdd(text, doc, at, peer);
    if (spliced !== undefined && sameList(spliced, file, at, want)) return spliced;
  }
  // Unusual layout (flow style, empty list, a null host entry): the Document API, which keeps
  // comments and order but may normalise spacing.
  if (present) {
    const s = seq as YAMLSeq;
    if (s.flow && s.items.length === 0) s.flow = false;
    s.items.push(doc.createNode({ name: peer.name, public_key: peer.public_key, allowed_ips: [...peer.allowed_ips] }));
  } else {
    const list = doc.createNode(want.map((p) => ({ name: p.name, public_key: p.public_key, allowed_ips: [...p.allowed_ips] })));
    const entry = doc.getIn(at, true);
    if (isMap(entry)) entry.set('wg_peers', list);
    else doc.setIn(at, doc.createNode({ wg_peers: want }));
  }
  return doc.toString({ lineWidth: 0 });
}

/** The file's text without `host`'s peer `name`. */
export function removePeerText(text: string, file: string, host: string, name: string): string {
  const doc = parse(text, file);
  const entries = hostEntries(doc, host);
  if (!entries.length) throw new PeerError(`${file} does not list host ${host}`);
  for (const at of entries) {
    const { seq } = peersAt(doc, at);
    if (!isSeq(seq)) continue;
    const i = seq.items.findIndex((it) => isMap(it) && String(it.get('name')) === name);
    if (i < 0) continue;
    const want = (seq.toJSON() as Peer[]).filter((_, n) => n !== i);
    const spliced = spliceRemove(text, seq, i);
    if (spliced !== undefined && sameList(spliced, file, at, want)) return spliced;
    seq.items.splice(i, 1);
    if (seq.items.length === 0) seq.flow = true;
    return doc.toString({ lineWidth: 0 });
  }
  throw new PeerError(`${host} has no peer ${name} of its own in ${file}`, { hint: `fleet peer list ${host} -i ${file} shows its peers; a peer set for a whole group is removed by editing the group` });
}

/** Writes the file atomically (temp file in the same directory, then rename), keeping its mode. */
export function writeInventory(file: string, text: string): void {
  const mode = statSync(file).mode & 0o7777;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.fleet-${process.pid}`);
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

export function readInventoryText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new PeerError(`cannot read ${file}: ${(err as Error).message}`);
  }
}
