/**
 * Removals: what a deploy takes away. A removal is a Resource like every other step, so the plan,
 * --check, the journal, the in-script rollback, `rollback --previous` and the watchdog treat it the
 * same way:
 *
 *   check   holds (0) when the resource is gone; 1 while it is there ("still there"; Resource.present
 *           says what there means where the check alone cannot)
 *   apply   backs up what its undo deletes (Resource.keeps), then undoes it
 *   revert  puts it back: the kept files copied back, or the resource's own apply (guarded by its
 *           check, so a second revert adds nothing twice)
 *
 * Two kinds: a role's task declared `absent: true` (a legacy path, a rule an older fleet wrote),
 * and a resource an earlier deploy applied that the run's roles no longer want (manifest.ts).
 */
import type { Resource } from '../modules/types.js';
import { raw, sh, Shell } from '../shell/sh.js';

/** A removal's check, apply and revert, as the manifest stores them (no secret in any). */
export interface RemovalFragments {
  check: Shell;
  apply: Shell;
  revert: Shell;
}

function keptPresent(paths: readonly string[]): Shell {
  return Shell.join(
    paths.map((p) => sh`[ -e ${p} ] || [ -L ${p} ]`),
    ' || ',
  );
}

/** Exit 0 gone, 1 there (printing so), the probe's own status when it broke. */
function goneCheck(present: Shell): Shell {
  return Shell.join([
    raw('fleet_present() {\n:'),
    present,
    raw('}'),
    raw('fleet_rc=0; ( fleet_present ) >/dev/null </dev/null || fleet_rc=$?'),
    raw("case $fleet_rc in 0) echo 'still there'; fleet_rc=1 ;; 1) fleet_rc=0 ;; esac"),
    raw('(exit $fleet_rc)'),
  ]);
}

function keptApply(paths: readonly string[]): Shell {
  return Shell.join([
    raw(': > "$FLEET_STATE/removed"'),
    ...paths.map((p, n) => sh`if [ -e ${p} ] || [ -L ${p} ]; then cp -pP ${p} "$FLEET_STATE/kept.${String(n)}" && rm -f ${p}; fi`),
  ]);
}

function keptRevert(paths: readonly string[]): Shell {
  return Shell.join([
    raw('[ -f "$FLEET_STATE/removed" ] || exit 0'),
    ...paths.map(
      (p, n) =>
        sh`if [ -e "$FLEET_STATE/kept.${String(n)}" ] || [ -L "$FLEET_STATE/kept.${String(n)}" ]; then mkdir -p "$(dirname ${p})" && cp -pP "$FLEET_STATE/kept.${String(n)}" ${`${p}.fleet-restore`} && mv -f ${`${p}.fleet-restore`} ${p} || exit 1; fi`,
    ),
  ]);
}

/** Undo, with any work it defers (a packaged unit's restart) done right after it. */
function undoNow(r: Resource): Shell {
  return Shell.join([
    raw(': > "$FLEET_STATE/removed"'),
    raw('( export FLEET_DEFER="$FLEET_STATE/undo.defer"; rm -f "$FLEET_DEFER"'),
    r.undo,
    raw(') || exit 1'),
    raw('if [ -f "$FLEET_STATE/undo.defer" ]; then ( . "$FLEET_STATE/undo.defer" ) || exit 1; fi'),
  ]);
}

function reapply(r: Resource): Shell {
  return Shell.join([
    raw('[ -f "$FLEET_STATE/removed" ] || exit 0'),
    raw('if ! ('),
    r.check,
    raw(') >/dev/null 2>&1 </dev/null; then'),
    raw('mkdir -p -m 700 "$FLEET_STATE/restore" && export FLEET_STATE="$FLEET_STATE/restore" && ('),
    r.apply,
    raw(') || exit 1'),
    raw('fi'),
  ]);
}

function holdsSecret(s: Shell): boolean {
  return s.text !== s.masked;
}

/**
 * The fragments that remove `r`, or undefined when a deploy never removes it on its own
 * (Resource.prunable, teardown false) or when they would hold a secret (they are kept on the host
 * and in the journal).
 */
export function removalFragments(r: Resource): RemovalFragments | undefined {
  if (r.prunable === false || r.teardown === false) return undefined;
  // Each piece runs in its own subshell (the journal's revert.sh is sourced): `exit` ends only it.
  const wrap = (s: Shell): Shell => Shell.join([raw('('), s, raw(')')]);
  const f: RemovalFragments = r.keeps?.length
    ? { check: goneCheck(keptPresent(r.keeps)), apply: wrap(keptApply(r.keeps)), revert: wrap(keptRevert(r.keeps)) }
    : { check: goneCheck(r.present ?? r.check), apply: wrap(undoNow(r)), revert: wrap(reapply(r)) };
  if (holdsSecret(f.check) || holdsSecret(f.apply) || holdsSecret(f.revert)) return undefined;
  return f;
}

/** The removal of `r` as a step: gone when its check holds. */
export function removalResource(r: Pick<Resource, 'id' | 'module' | 'title' | 'secret' | 'reachability'>, f: RemovalFragments): Resource {
  const out: Resource = {
    id: r.id,
    module: r.module,
    title: `absent: ${r.title}`,
    check: f.check,
    apply: f.apply,
    revert: f.revert,
    undo: raw('true'),
    teardown: false,
  };
  // A secret file's backup is purged with the run's other secret backups (journal.sh).
  if (r.secret) out.secret = true;
  if (r.reachability) out.reachability = true;
  return out;
}
