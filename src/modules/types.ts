/**
 * The resource contract every module renders to. A module is a pure function from typed arguments
 * to a Resource; it never runs anything itself. The engine batches many resources' fragments into
 * one remote script per round trip, so fragments must be POSIX sh, must not `exit` (they run
 * inside a subshell, so `exit` ends only the fragment), and must not read stdin.
 */
import type { z } from 'zod';
import type { Shell } from '../shell/sh.js';
import type { Proof } from './facts.js';

export interface Resource {
  /** `<module>:<identity>`, stable across runs: shared by plan, journal and report. */
  id: string;
  module: string;
  /** One line saying what should hold, for the plan and the recap (masked: no secrets). */
  title: string;
  /**
   * Read-only probe. Exit 0: holds. Exit 1: does not hold. Any other exit: the probe itself failed
   * (a ProbeError, never "absent"). On exit 1 it may print what is there instead (one short line,
   * or for files the current content, which the engine uses for --diff unless `secret`).
   */
  check: Shell;
  /**
   * Optional fast path for the plan (src/modules/facts.ts): lines of the facts a plan gathers once
   * per host that prove `check` would exit 0. It only ever proves "holds": without every line,
   * `check` runs. Apply, revert and teardown never use it.
   */
  proof?: Proof;
  /**
   * Makes the resource hold. Runs only after `check` said 1, in the same shell. It may save what it
   * replaces into the directory "$FLEET_STATE" (created fresh for this step, on the host, 0700) so
   * that `revert` can put it back. Failure semantics: a non-zero exit fails the step; the engine then
   * runs this step's `revert` too (apply may have half-run), then the earlier steps' in reverse.
   */
  apply: Shell;
  /**
   * Returns the host to the state before this run's `apply`, using "$FLEET_STATE". Idempotent (it
   * may run after a half-done apply, or twice after a crash). Must not contain secrets: it is
   * stored in the on-host journal. Work that must wait until every other step is reverted (restart a
   * daemon once its old config is back) is appended as shell lines to the file "$FLEET_DEFER".
   */
  revert: Shell;
  /**
   * Teardown (the wg0-down step): removes the resource whatever its state. Idempotent: removing
   * what is already gone succeeds. Checks before it acts, so a partly deployed host tears down.
   */
  undo: Shell;
  /**
   * True for what a reboot loses (links, addresses, routes, rules, iptables, sysctls, namespaces,
   * daemons, the WireGuard interface): the boot scripts (src/boot) re-apply exactly these, in
   * order. Files, keys and packages persist on disk and are not in them. Default false.
   */
  runtime?: boolean;
  /**
   * Where systemd runs, the unit that runs it (a daemon's, wg-quick@wg0 for the interface): the
   * boot script leaves it to that unit (enabled, it starts by itself), and `fleet status` reads
   * the unit's state.
   */
  unit?: string;
  /** False for things teardown must leave (packages). Default true. */
  teardown?: boolean;
  /**
   * The files its undo deletes (a file, a key pair): a removal (src/engine/removal.ts) backs them
   * up and its revert copies them back; it is "there" while any of them exists. Absent: a removal
   * is undo, and its revert re-runs apply (what the check says holds).
   */
  keeps?: string[];
  /**
   * False for what a deploy never removes on its own: nothing of its own to remove (interface-ready
   * waits for a daemon's interface) or an undo that leaves it holding (a sysctl without undoValue).
   * Default true (when `teardown` is not false).
   */
  prunable?: false;
  /**
   * For a removal: exits 0 while the thing is there, in the host's own terms. Needed where the
   * check holds without it (systemd-unit-enabled's onlyWithSystemd on a host without systemd).
   * Absent: it is there while its check holds.
   */
  present?: Shell;
  /** Check output and diffs are never shown (file content with keys). */
  secret?: boolean;
  /** For --diff: the desired content of a file (absent when secret). */
  desiredContent?: string;
  /**
   * For the plan of a secret file whose format fleet can read: what it holds, with every value
   * masked (an OpenVPN config's directive names), one entry a line.
   */
  outline?: string[];
  /** Ids of resources whose change forces this one to re-apply (a daemon watching its config). */
  watches?: string[];
  /**
   * A change to it can cut the controller off from the host (links, addresses, routes, rules,
   * iptables, namespaces, sysctls, the WireGuard interface): a deploy that changes one arms the
   * on-host watchdog and confirms over a new connection. Default false.
   */
  reachability?: boolean;
  /**
   * Read-only liveness for `fleet status`: prints one line when the thing is live (a daemon's pid,
   * an interface's address) and nothing when it is not. It reads the same way `check` does, so
   * status and drift never disagree about it. Runs in its own subshell.
   */
  live?: Shell;
}

export interface Module<A> {
  name: string;
  /** Strict zod schema; each field has `.describe()`. */
  schema: z.ZodType<A>;
  /** The part of the id after `<module>:`: what makes two resources the same object. */
  identity(args: A): string;
  /** Render the resource. Args are already validated by `schema`. */
  render(args: A): Resource;
  /**
   * For --diff: how a resource of this module that does not hold differs, read from what its
   * check printed. Absent: the plan shows the check's output as it is.
   */
  change?(r: Resource, current: string): ChangeView;
}

/** What --diff shows for one resource: a line after its id, and content to diff (never a secret's). */
export interface ChangeView {
  /** `+` something new, `~` something changed. */
  sign: '+' | '~';
  /** Follows the id on the same line, e.g. `: content same; now mode 0600 owner root:root`. */
  head: string;
  /** Lines shown under it, indented (an outline of a secret file). */
  lines?: string[];
  content?: { before: string; after: string };
}
