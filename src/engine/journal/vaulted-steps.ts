/**
 * How a step that carries a vaulted value (src/inventory/vaulted.ts) is journaled on the host, so
 * that fleet's run state never holds a decrypted value:
 *
 * - its id (steps/K/id) names the variable instead of the value: `ip-route:vpn:<vault:vpn_server_ip>/32 table main`,
 *   stable across runs and no digest to guess a low-entropy value (an address) from;
 * - it is a secret step (steps/K/secret): its backups and outputs go once no revert can need them
 *   (journal.sh fleet_purge_secrets: the run completed without a watchdog, was confirmed, or rolled
 *   back), as a secret file's backup does;
 * - a revert that needs the value (a route deleted by its destination) is kept in the step's state
 *   directory (0700, the file 0600), purged with it; steps/K/revert.sh only sources it. A purged
 *   step is left as deployed by a later revert (`kept`), as a secret file is.
 *
 * What fleet records a run applied (applied.ts, $J/applied/) leaves such a step out, as it does a
 * step holding a Secret: a later deploy does not remove it by itself once no role wants it.
 *
 * A step carries a value when any of its rendered text (id, title, check, apply, revert, undo, the
 * file content) holds it, as it is or shell-quoted. That covers the value as a role uses it
 * (`{{ vpn_server_ip }}/32`), not a value a template transforms (`{{ secret | upper }}`).
 */
import type { VaultedValue } from '../../inventory/vaulted.js';
import type { Resource } from '../../modules/types.js';
import { quote } from '../../shell/sh.js';

/** The step's full revert, in its state directory, when the revert itself holds a vaulted value. */
export const SECRET_REVERT = '.fleet-revert.sh';

export interface JournalEntry {
  /** The id written to steps/K/id. */
  id: string;
  /** Backups and outputs purged once no revert can need them. */
  secret: boolean;
  /** The revert goes into the state directory (SECRET_REVERT), not steps/K/revert.sh. */
  revertInState: boolean;
}

function holds(text: string | undefined, v: VaultedValue): boolean {
  if (!text) return false;
  if (text.includes(v.text)) return true;
  const quoted = quote(v.text);
  return quoted !== v.text && text.includes(quoted);
}

/** `text` with every vaulted value replaced by `<vault:NAME>`. */
export function hideVaulted(text: string, vaulted: readonly VaultedValue[]): string {
  let out = text;
  for (const v of vaulted) out = out.replaceAll(v.text, `<vault:${v.name}>`);
  return out;
}

/** The vaulted values any of the resource's rendered text holds. */
export function carriedVaulted(r: Resource, vaulted: readonly VaultedValue[]): VaultedValue[] {
  const texts = [r.id, r.title, r.check.text, r.apply.text, r.revert.text, r.undo.text, r.desiredContent];
  return vaulted.filter((v) => texts.some((t) => holds(t, v)));
}

export function journalEntry(r: Resource, vaulted: readonly VaultedValue[]): JournalEntry {
  const carried = carriedVaulted(r, vaulted);
  if (!carried.length) return { id: r.id, secret: r.secret === true, revertInState: false };
  return {
    id: hideVaulted(r.id, carried),
    secret: true,
    revertInState: carried.some((v) => holds(r.revert.text, v)),
  };
}
