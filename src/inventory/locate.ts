/**
 * From a path in the data (['all', 'children', 'eu', 'vars', 'wg_port']) back to file:line:column,
 * so every message points at the text the operator wrote. Follows aliases to their anchor and `<<`
 * merge keys to the merged map, since that is where the value was written. When the path runs out
 * (a value that came from elsewhere, or a key that is missing), the deepest node found is used.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml';
import type { SourceLocation } from '../errors.js';
import type { YamlSource } from './yaml.js';

export type PathSeg = string | number | boolean | null;

/** Which end of a `key: value` pair to point at: an unknown variable is its key, a bad value is the value. */
export type LocateAt = 'key' | 'value';

/** Positions of a line-based source (INI): a path's JSON to its line and column. */
export type LineIndex = Map<string, { line: number; column: number }>;

export class Locator {
  private readonly sources = new Map<string, YamlSource>();
  private readonly lineSources = new Map<string, LineIndex>();

  add(source: YamlSource): void {
    this.sources.set(source.file, source);
  }

  /** A source whose paths start with a line number ([12, 'wg_port']). */
  addLines(file: string, index: LineIndex): void {
    this.lineSources.set(file, index);
  }

  has(file: string): boolean {
    return this.sources.has(file) || this.lineSources.has(file);
  }

  /** Location of `path` in `file`; just `{file}` for sources without positions (command-line -e). */
  locate(file: string, path: readonly PathSeg[], at: LocateAt = 'value'): SourceLocation {
    const lines = this.lineSources.get(file);
    if (lines) {
      for (let n = path.length; n > 0; n--) {
        const pos = lines.get(JSON.stringify(path.slice(0, n)));
        if (pos) return { file, line: pos.line, column: pos.column };
      }
      return { file };
    }
    const source = this.sources.get(file);
    if (!source) return { file };
    const node = findNode(source.doc, path, at);
    if (!node?.range) return { file, line: 1, column: 1 };
    const { line, col } = source.lineCounter.linePos(node.range[0]);
    return { file, line, column: col };
  }
}

type AnyNode = Node | Pair | null | undefined;

function deref(doc: Document, node: AnyNode): AnyNode {
  let n = node;
  for (let i = 0; i < 32 && isAlias(n); i++) n = n.resolve(doc);
  return n;
}

function keyMatches(key: unknown, seg: PathSeg): boolean {
  if (!isScalar(key)) return false;
  return key.value === seg || String(key.value) === String(seg);
}

/** The pair holding `seg` in a map, looking through `<<` merge keys (explicit keys win, as in YAML). */
function findPair(doc: Document, map: Node, seg: PathSeg, depth = 0): Pair | undefined {
  if (!isMap(map) || depth > 8) return undefined;
  const direct = map.items.find((p) => keyMatches(p.key, seg));
  if (direct) return direct;
  for (const p of map.items) {
    const k: unknown = isScalar(p.key) ? p.key.value : undefined;
    const isMerge = k === '<<' || (typeof k === 'symbol' && k.description === '<<');
    if (!isMerge) continue;
    const src = deref(doc, p.value as AnyNode);
    const sources = isSeq(src) ? src.items.map((it) => deref(doc, it as AnyNode)) : [src];
    for (const s of sources) {
      const found = s && !isPair(s) ? findPair(doc, s, seg, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

function isEmptyScalar(n: AnyNode): boolean {
  return isScalar(n) && n.value === null && !n.source;
}

function findNode(doc: Document, path: readonly PathSeg[], at: LocateAt): Node | undefined {
  let node = deref(doc, doc.contents as AnyNode) as Node | undefined;
  let best: Node | undefined = node ?? undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = findPair(doc, node, seg);
      if (!pair) return best;
      const keyNode = pair.key as Node;
      const value = pair.value as AnyNode;
      if (last && (at === 'key' || !value || isEmptyScalar(value))) return keyNode;
      // A pair whose value is missing still locates at its key.
      best = !value || isEmptyScalar(value) ? keyNode : (value as Node);
      if (last) return best;
      node = deref(doc, value) as Node | undefined;
      if (!node) return best;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as AnyNode;
      if (!item) return best;
      best = item as Node;
      if (last) return best;
      node = deref(doc, item) as Node | undefined;
    } else {
      return best;
    }
  }
  return best;
}
