/**
 * The remote scripts: one per round trip. Every script is POSIX sh (dash), runs the modules'
 * fragments in subshells, and reports through marker lines on stdout (the protocol:
 * protocol/markers.ts).
 */
import { planFacts, type Proof } from '../modules/facts.js';
import type { Resource } from '../modules/types.js';
import { raw, sh, Shell } from '../shell/sh.js';
import type { VaultedValue } from '../inventory/vaulted.js';
import { JOURNAL_PRELUDE } from './journal/shell.js';
import { journalEntry, SECRET_REVERT, type JournalEntry } from './journal/vaulted-steps.js';
import { DEFAULT_STATE_DIR, RUN_HISTORY, UNFINISHED_STATUSES } from './layout.js';
import { FAIL, REVERT_LATEST } from './rollback/shell.js';

export interface ScriptContext {
  token: string;
  /** On-host state directory (journal, lock). Tests point it at a temp dir. */
  stateDir?: string;
}

/**
 * The shell every script starts with: its token and state directory, then the marker emitters,
 * the host lock, the journal facts and revert (src/engine/journal/*.sh, src/engine/rollback/revert.sh).
 */
export function prelude(ctx: ScriptContext): Shell {
  return Shell.join([sh`T=${ctx.token}`, sh`J=${ctx.stateDir ?? DEFAULT_STATE_DIR}`, raw(JOURNAL_PRELUDE)]);
}

/**
 * The read-only plan: journal facts, then every resource's check, then any extra read-only
 * probes (status adds its health facts here, so status stays one round trip). Writes nothing but
 * a temp file.
 */
export function planScript(ctx: ScriptContext, resources: Resource[], extra: Shell = raw(':')): Shell {
  const facts = planFacts(resources.flatMap((r) => (r.proof ? [r.proof] : ([] as Proof[]))));
  const checks = resources.map((r, i) => {
    const full = Shell.join([
      // The trailing '.' keeps the output's final newlines, which $( ) would strip (exact diffs).
      raw(`out=$( (`),
      r.check,
      raw(`) 2>"$E"; r=$?; printf .; exit $r ); rc=$?; out=\${out%.}`),
      raw(`if [ $rc -gt 1 ]; then err=$(tail -c 2000 "$E" | fleet_field); else err=-; fi`),
      // Most checks print nothing: skip the base64 pipeline (two processes) for them.
      raw(`if [ -z "$out" ]; then f=-; else f=$(printf '%s' "$out" | fleet_field); fi`),
      raw(`fleet_mark check ${i} $rc "$f" "$err" -`),
    ]);
    if (!r.proof || !facts) return full;
    // Proved from the gathered facts: no process at all. Otherwise the full check decides.
    return Shell.join([sh`if ${facts.test(r.proof)}; then fleet_mark check ${i} 0 - - proved`, raw('else'), full, raw('fi')]);
  });
  return Shell.join([
    prelude(ctx),
    raw(`E=$(mktemp) || exit 3`),
    raw(`fleet_journal_facts`),
    facts?.gather ?? raw(':'),
    ...checks,
    extra,
    raw(`rm -f "$E"`),
    raw(`fleet_mark end`),
  ]);
}

export interface ApplyStep {
  /** Index of the resource in the host's desired state (the plan's numbering). */
  index: number;
  resource: Resource;
  /** Test-only fault injection: the step's apply runs, then the step fails. */
  injectFailure?: boolean;
  /** Test-only: sleep this long before the step's apply (to kill a connection mid-apply). */
  pauseSeconds?: number;
}

export interface RunMeta {
  runId: string;
  user: string;
  controller: string;
  roles: string[];
}

function metaLines(meta: RunMeta, kind: string): Shell {
  return sh`printf 'run=%s\nkind=%s\nuser=%s\ncontroller=%s\nroles=%s\nstarted=%s\n' ${meta.runId} ${kind} ${meta.user} ${meta.controller} ${meta.roles.join(',')} "$(fleet_now)" > "$RUN/meta"`;
}

/** Takes the host lock for this run (exits 4 with a lock marker when another run holds it). */
function takeLock(meta: RunMeta, breakLock: boolean): Shell {
  return Shell.join([
    sh`FLEET_USER=${meta.user} FLEET_CONTROLLER=${meta.controller} FLEET_BREAK_LOCK=${breakLock ? '1' : '0'}`,
    sh`fleet_lock ${meta.runId}`,
  ]);
}

function lockAndRun(meta: RunMeta, kind: string, breakLock: boolean): Shell {
  return Shell.join([takeLock(meta, breakLock), newRun(meta, kind)]);
}

function newRun(meta: RunMeta, kind: string): Shell {
  return Shell.join([
    sh`fleet_settle_runs ${String(RUN_HISTORY - 1)}`,
    sh`RUN="$J/runs/"${meta.runId}`,
    raw(`mkdir -p "$RUN/steps" && chmod 700 "$J/runs" "$RUN" && echo running > "$RUN/status" && : > "$RUN/log" || { fleet_mark error "$(echo cannot write journal | fleet_field)"; exit 3; }`),
    metaLines(meta, kind),
  ]);
}

export interface ApplyScriptOptions {
  breakLock?: boolean;
  watchdog?: Shell;
  /** Written last: what this run applied in each role (applied.ts). */
  record?: Shell;
  /** The host's vaulted values: kept out of the journal (journal/vaulted-steps.ts). */
  vaulted?: readonly VaultedValue[];
}

/**
 * The step's revert as journaled. printf is a builtin: the revert goes to the journal without a
 * process. One that holds a vaulted value goes into the state directory, 0600, and is purged with it.
 */
function journalRevert(r: Resource, entry: JournalEntry): Shell {
  if (!entry.revertInState) return sh`printf '%s\n' ${r.revert.text} > "$S/revert.sh"`;
  return Shell.join([
    sh`(umask 077 && printf '%s\n' ${r.revert.text} > "$S/state/"${SECRET_REVERT})`,
    sh`printf '%s\n' ${`. "$FLEET_STATE/${SECRET_REVERT}"`} > "$S/revert.sh"`,
  ]);
}

/**
 * Applies the steps in order. Before each step the journal records it (revert first, then
 * "start K"), so a lost connection leaves a journal that says exactly how far the run got. Each
 * step re-runs its check in the same shell (plan drift cannot apply a step twice) and re-checks
 * after applying (verify). On the first failure every started step is reverted in reverse.
 */
export function applyScript(ctx: ScriptContext, meta: RunMeta, steps: ApplyStep[], opts: ApplyScriptOptions = {}): Shell {
  const body = steps.map(({ index: k, resource: r, injectFailure, pauseSeconds }) => {
    const entry = journalEntry(r, opts.vaulted ?? []);
    return Shell.join([
      raw(`S="$RUN/steps/${k}"; mkdir -p -m 700 "$S/state"`),
      sh`printf '%s\n' ${entry.id} > "$S/id"`,
      // A secret step's backup is purged once no revert can need it (journal/journal.sh).
      raw(entry.secret ? `: > "$S/secret"` : ':'),
      journalRevert(r, entry),
      raw(`echo "start ${k}" >> "$RUN/log"`),
      raw(`export FLEET_STATE="$S/state" FLEET_DEFER="$RUN/defer"`),
      // The check runs twice (before and to verify): sent once, as a function.
      raw(`fleet_step_check() {\n:`),
      r.check,
      raw(`}`),
      raw(`( fleet_step_check ) >/dev/null 2>"$S/check.err"; c=$?`),
      raw(
        injectFailure
          ? `if [ $c -eq 0 ]; then echo 'fleet: injected failure (FLEET_TEST_FAIL_STEP)' > "$S/out"; fleet_fail ${k} apply 97 "$S/out"`
          : `if [ $c -eq 0 ]; then echo "skip ${k}" >> "$RUN/log"; fleet_mark step ${k} skip`,
      ),
      raw(`elif [ $c -eq 1 ]; then`),
      raw(pauseSeconds ? `  fleet_mark pause ${k}; sleep ${Math.floor(pauseSeconds)}` : ':'),
      raw(`  ( `),
      r.apply,
      raw(`  ) >"$S/out" 2>&1; a=$?`),
      raw(injectFailure ? `  [ $a -eq 0 ] && { echo 'fleet: injected failure (FLEET_TEST_FAIL_STEP)' >> "$S/out"; a=97; }` : ':'),
      raw(`  if [ $a -ne 0 ]; then fleet_fail ${k} apply $a "$S/out"; fi`),
      raw(`  ( fleet_step_check ) >"$S/verify.out" 2>&1; v=$?`),
      raw(`  if [ $v -ne 0 ]; then fleet_fail ${k} verify $v "$S/verify.out"; fi`),
      raw(`  echo "ok ${k}" >> "$RUN/log"; fleet_mark step ${k} ok`),
      raw(`else fleet_fail ${k} probe $c "$S/check.err"; fi`),
    ]);
  });
  return Shell.join([
    prelude(ctx),
    raw(FAIL),
    takeLock(meta, opts.breakLock ?? false),
    // An unfinished run must be rolled back (or finished) before anything else touches the host.
    sh`fleet_refuse_unfinished ${UNFINISHED_STATUSES.join(' ')}`,
    newRun(meta, 'deploy'),
    // Commit-confirmed (watchdog.ts): armed before the first change, in this same round trip.
    opts.watchdog ?? raw(':'),
    ...body,
    // What the host now holds, for the next plan's removals (applied.ts).
    opts.record ?? raw(':'),
    raw(`echo complete > "$RUN/status"`),
    sh`printf 'run=%s\nuser=%s\ncontroller=%s\nfinished=%s\n' ${meta.runId} ${meta.user} ${meta.controller} "$(fleet_now)" > "$J/last-success"`,
    // Complete and, without a watchdog, confirmed: the confirm purges a watched run's backups.
    raw(opts.watchdog ? ':' : `fleet_purge_secrets "$RUN"`),
    raw(`fleet_mark complete`),
  ]);
}

/**
 * Undoes a journaled run: `last` picks the newest run if it is unfinished; `previous` the newest
 * if it completed (reverting a good deploy to the state before it).
 */
export function revertRunScript(ctx: ScriptContext, meta: RunMeta, which: 'last' | 'previous', opts: { breakLock?: boolean } = {}): Shell {
  const wanted = which === 'last' ? UNFINISHED_STATUSES.join(' ') : 'complete';
  return Shell.join([
    prelude(ctx),
    takeLock(meta, opts.breakLock ?? false),
    sh`WANTED=${wanted}`,
    raw(REVERT_LATEST),
    which === 'previous' ? raw(`rm -f "$J/last-success"`) : raw(':'),
  ]);
}

/**
 * Full teardown: what an earlier deploy applied in the run's roles that is no longer desired
 * (applied.ts), then every resource's undo in reverse order, each guarded by its own check.
 */
export function teardownScript(ctx: ScriptContext, meta: RunMeta, resources: Resource[], opts: { breakLock?: boolean } = {}): Shell {
  const ids = resources.map((r) => Buffer.from(r.id, 'utf8').toString('base64')).join(' ');
  const steps = resources
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.teardown !== false)
    .reverse()
    .map(({ r, i }) =>
      Shell.join([
        raw(`if ( `),
        r.undo,
        raw(` ) >"$E" 2>&1; then fleet_mark undo ${i} ok -; else fails=1; fleet_mark undo ${i} fail "$(tail -c 2000 "$E" | fleet_field)"; fi`),
      ]),
    );
  return Shell.join([
    prelude(ctx),
    lockAndRun(meta, 'teardown', opts.breakLock ?? false),
    raw(`fleet_disarm`),
    // Work an undo leaves for the end (a packaged unit restarted once fleet's files are gone).
    raw(`E=$(mktemp) || exit 3; fails=0; export FLEET_DEFER="$RUN/defer"`),
    sh`fleet_undo_recorded ${meta.roles.join(' ')} ${ids}`,
    ...steps,
    raw(`if [ -f "$FLEET_DEFER" ]; then if ( . "$FLEET_DEFER" ) >"$E" 2>&1; then rm -f "$FLEET_DEFER"; else fails=1; fleet_mark undo defer fail "$(tail -c 2000 "$E" | fleet_field)"; fi; fi`),
    raw(`rm -f "$E" "$J/last-success"`),
    sh`if [ $fails -eq 0 ]; then fleet_forget_recorded ${meta.roles.join(' ')}; fi`,
    raw(`if [ $fails -eq 0 ]; then echo teardown > "$RUN/status"; fleet_forget_runs; fleet_mark complete; else echo rollback-failed > "$RUN/status"; fleet_mark incomplete; fi`),
  ]);
}

export { decodeField, newToken, parseMarkers, type Marker } from './protocol/markers.js';
