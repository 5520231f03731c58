/**
 * The remote protocol: what the on-host scripts tell fleet. Every marker is one stdout line,
 *
 *   <token> <kind> <field> <field> ...
 *
 * written by `fleet_mark` (journal/marker.sh). The token is random per script, so nothing a
 * fragment prints can pass for a marker. A `text` field is base64 (`fleet_field`), a `word` or
 * `int` field is plain; '-' is an empty field. MARKERS below is the one definition of every kind
 * and its fields: the parsers read fields by these names, and a test runs the real scripts and
 * checks every marker they print against it (protocol/markers.test.ts).
 */
import { randomBytes } from 'node:crypto';

export type FieldCodec = 'word' | 'int' | 'text';

type Spec = readonly (readonly [name: string, codec: FieldCodec])[];

export const MARKERS = {
  // The journal facts every script prints first (journal/journal.sh, journal/lock.sh).
  /** The host is locked: live (its owner runs) or stale; owner is the lock's key=value record. */
  lock: [['state', 'word'], ['owner', 'text']],
  /** The newest run, its status and its meta record. */
  journal: [['run', 'word'], ['status', 'word'], ['meta', 'text']],
  /** The last good deploy's record. */
  lastsuccess: [['record', 'text']],
  /** A confirmed deploy's watchdog: armed (process live/gone, timeout, deadline) or fired (at). */
  watchdog: [['run', 'word'], ['state', 'word'], ['process', 'word'], ['timeout', 'int'], ['when', 'word']],
  /** How many runs' journals the host keeps. */
  runs: [['count', 'int']],
  /** --break-lock broke a lock whose owner was dead; owner is its record. */
  brokelock: [['owner', 'text']],
  /** The script could not write its state (then exits 3). */
  error: [['message', 'text']],

  // The plan (script.ts planScript).
  /** Resource `index`'s check: exit code, its output, its stderr on a probe error; `proved` from facts. */
  check: [['index', 'int'], ['code', 'int'], ['output', 'text'], ['stderr', 'text'], ['proved', 'word']],
  /** The host records what fleet applied in this role (journal/applied.sh), with the record's digest. */
  applied: [['role', 'word'], ['digest', 'word']],
  /**
   * A resource an earlier deploy applied in `role` that the run no longer wants: its removal's
   * check (code, output, stderr) and the removal itself (check, apply, revert: removal.ts).
   */
  removal: [
    ['role', 'word'],
    ['id', 'text'],
    ['task', 'text'],
    ['title', 'text'],
    ['flags', 'word'],
    ['code', 'int'],
    ['output', 'text'],
    ['stderr', 'text'],
    ['check', 'text'],
    ['apply', 'text'],
    ['revert', 'text'],
  ],
  /** The plan script ran to its end. */
  end: [],

  // The apply (script.ts applyScript, rollback/fail.sh, rollback/arm.sh).
  /** The host holds an unfinished run: nothing was changed. */
  unfinished: [['run', 'word'], ['status', 'word']],
  /** The confirmed deploy's watchdog is armed, with its pid. */
  armed: [['pid', 'int']],
  /** Test-only: the apply pauses before step `index`. */
  pause: [['index', 'int']],
  /** Step `index` is done: ok (applied and verified) or skip (already in state). */
  step: [['index', 'int'], ['outcome', 'word']],
  /** Step `index` failed in a phase (apply, verify, probe) with an exit code and its output. */
  fail: [['index', 'int'], ['phase', 'word'], ['code', 'int'], ['output', 'text']],
  /** Every step ran: the run is complete (teardown: every undo succeeded). */
  complete: [],

  // Revert (rollback/revert.sh, rollback/revert-latest.sh).
  /** Step `step` was reverted. */
  reverted: [['step', 'word']],
  /** Step `step`'s revert (or the deferred work, `defer`) failed, with its output. */
  revertfail: [['step', 'word'], ['output', 'text']],
  /** Step `step` was left as deployed: its secret backup was purged once the run was confirmed. */
  kept: [['step', 'word']],
  /** The run's revert as a whole: ok or failed. */
  rolledback: [['result', 'word']],
  /** A watchdog was stopped before it fired. */
  disarmed: [['run', 'word']],
  /** rollback --last/--previous: the host has no journal. */
  norun: [],
  /** rollback: the newest run is not in a state this kind of rollback undoes. */
  notapplicable: [['run', 'word'], ['status', 'word']],
  /** rollback: reverting this run, which had this status. */
  reverting: [['run', 'word'], ['status', 'word']],

  // Teardown (script.ts teardownScript).
  /** Resource `index`'s undo: ok, or fail with its output. */
  undo: [['index', 'int'], ['result', 'word'], ['output', 'text']],
  /** Some undo failed. */
  incomplete: [],

  // Confirm (rollback/confirm.sh).
  /** fleet won the rename: the watchdog will not fire. */
  confirmed: [],
  /** The watchdog fired first. */
  fired: [],
  /** No watchdog for this run. */
  nowatchdog: [],

  // Health probes (status.ts).
  /** wg is up: its listen port and per-peer tables, `@what` headed sections. */
  wgshow: [['tables', 'text']],
  /** The WireGuard upstream's per-peer tables (endpoints, latest-handshakes, transfer), as wgshow. */
  wgupstream: [['tables', 'text']],
  /** OpenVPN's pid (when running), tun address, and its latest handshake (epoch seconds, when known). */
  openvpn: [['pid', 'int'], ['address', 'text'], ['handshake', 'int']],
  /** provider_endpoints: the active endpoint's name (or -), and the last switches (`time from to reason` lines). */
  failover: [['active', 'text'], ['switches', 'text']],
  /** dnsmasq's pid (when running), whether it answers: yes, no or unknown. */
  dnsmasq: [['pid', 'int'], ['answering', 'word']],
  /** Where systemd runs: a unit a health slot's resource runs under, its ActiveState, and its last journal lines when it is not active. */
  unit: [['name', 'word'], ['state', 'word'], ['journal', 'text']],
  /** systemd runs the metrics timer: its ActiveState, its last run (epoch seconds), the run's Result. */
  metricstimer: [['state', 'word'], ['last', 'int'], ['result', 'word']],
} as const satisfies Record<string, Spec>;

export type MarkerKind = keyof typeof MARKERS;

type Value<C extends FieldCodec> = C extends 'int' ? number | undefined : string;

/** A marker's fields by name, decoded. */
export type MarkerFields<K extends MarkerKind> = { [F in (typeof MARKERS)[K][number] as F[0]]: Value<F[1]> };

/** A marker as printed: its kind and raw fields. */
export interface Marker {
  kind: string;
  fields: string[];
}

export function newToken(): string {
  return `@@fleet-${randomBytes(6).toString('hex')}`;
}

export function parseMarkers(token: string, stdout: string): Marker[] {
  const out: Marker[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(`${token} `)) continue;
    const [, kind, ...fields] = line.split(' ');
    if (kind) out.push({ kind, fields });
  }
  return out;
}

/** A text field's content ('' for '-' or a missing field). */
export function decodeField(f: string | undefined): string {
  if (!f || f === '-') return '';
  return Buffer.from(f, 'base64').toString('utf8');
}

function decodeValue(codec: FieldCodec, raw: string | undefined): string | number | undefined {
  if (codec === 'text') return decodeField(raw);
  const v = raw === undefined || raw === '-' ? '' : raw;
  if (codec === 'word') return v;
  return v === '' || !/^-?\d+$/.test(v) ? undefined : Number(v);
}

/** The marker's fields by name. */
export function fieldsOf<K extends MarkerKind>(kind: K, m: Marker): MarkerFields<K> {
  const out: Record<string, string | number | undefined> = {};
  (MARKERS[kind] as Spec).forEach(([name, codec], i) => {
    out[name] = decodeValue(codec, m.fields[i]);
  });
  return out as MarkerFields<K>;
}

/** Every marker of `kind`, decoded, in order. */
export function markersOf<K extends MarkerKind>(markers: Marker[], kind: K): MarkerFields<K>[] {
  return markers.filter((m) => m.kind === kind).map((m) => fieldsOf(kind, m));
}

/** The first marker of `kind`, decoded. */
export function markerOf<K extends MarkerKind>(markers: Marker[], kind: K): MarkerFields<K> | undefined {
  const m = markers.find((x) => x.kind === kind);
  return m ? fieldsOf(kind, m) : undefined;
}

export function hasMarker(markers: Marker[], kind: MarkerKind): boolean {
  return markers.some((m) => m.kind === kind);
}

/** Why a marker does not fit the table (an unknown kind, a wrong field count), or undefined. */
export function markerProblem(m: Marker): string | undefined {
  if (!Object.hasOwn(MARKERS, m.kind)) return `unknown marker kind '${m.kind}'`;
  const spec = MARKERS[m.kind as MarkerKind] as Spec;
  if (m.fields.length !== spec.length) return `marker '${m.kind}' has ${m.fields.length} field(s), the protocol says ${spec.length}`;
  for (const [i, [name, codec]] of spec.entries()) {
    const f = m.fields[i];
    if (f === undefined) continue;
    if (f === '') return `marker '${m.kind}' field ${name} is empty (use '-')`;
    if (codec === 'int' && f !== '-' && !/^-?\d+$/.test(f)) return `marker '${m.kind}' field ${name} is not a number: ${f}`;
  }
  return undefined;
}

/**
 * Markers as a script's stdout streams in (progress while it runs): each complete line is parsed
 * once, handed to `onMarker`, and kept; `end` returns them all.
 */
export class MarkerStream {
  private buffered = '';
  private streamed = false;
  private readonly markers: Marker[] = [];

  constructor(
    private readonly token: string,
    private readonly onMarker: (m: Marker) => void = () => undefined,
  ) {}

  push(chunk: string): void {
    this.streamed = true;
    this.buffered += chunk;
    const cut = this.buffered.lastIndexOf('\n');
    if (cut < 0) return;
    this.take(this.buffered.slice(0, cut));
    this.buffered = this.buffered.slice(cut + 1);
  }

  /** Every marker, given the script's whole stdout (read from it when nothing streamed). */
  end(stdout: string): Marker[] {
    this.take(this.streamed ? this.buffered : stdout);
    this.buffered = '';
    return this.markers;
  }

  private take(text: string): void {
    for (const m of parseMarkers(this.token, text)) {
      this.markers.push(m);
      this.onMarker(m);
    }
  }
}
