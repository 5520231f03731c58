/**
 * The error catalogue: every code a FleetError can carry, with what happened, why, what to do and
 * the exit code it gives. docs/errors.md is generated from it (src/errors/docs.ts); operators and
 * scripts rely on the codes, so a code never changes meaning.
 */

/** Exit codes (documented in `fleet --help`, src/cli/exit-codes.ts). */
export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  HOSTS_FAILED: 2,
  HOSTS_UNREACHABLE: 3,
  BAD_INPUT: 4,
  INTERRUPTED: 130,
} as const;

export interface CatalogueEntry {
  title: string;
  /** What happened, as the operator sees it. */
  what: string;
  /** Why it happens. */
  why: string;
  /** What to do about it. */
  todo: string;
  /** The exit code of a command that stops on this error (a host's failure counts per host). */
  exit: keyof typeof EXIT;
}

export const CATALOGUE = {
  INVENTORY_INVALID: {
    title: 'invalid inventory',
    what: 'The inventory, a group or host variable or an -e value is not valid. Every issue is listed with file:line:column, host and field.',
    why: 'A value has the wrong type or form, a required variable is missing, or a name is reserved.',
    todo: 'Fix the named fields and run again. Nothing was run on any host.',
    exit: 'BAD_INPUT',
  },
  INPUT_FILE_UNUSABLE: {
    title: 'cannot use an input file',
    what: 'A file the inventory or the command line names cannot be read.',
    why: 'It is missing, unreadable, not a regular file (a device, a directory) or larger than fleet reads.',
    todo: 'Point the named variable or option at a regular file. Nothing was run on any host.',
    exit: 'BAD_INPUT',
  },
  VAULT_PASSWORD_MISSING: {
    title: 'vault password needed',
    what: 'A value or vars file is encrypted with Ansible Vault and no vault password was given.',
    why: 'fleet decrypts every vaulted value on the controller before it works on any host, and needs the password for that.',
    todo: 'Give --vault-password-file FILE, --ask-vault-pass or --vault-id LABEL@FILE (or set ANSIBLE_VAULT_PASSWORD_FILE). Nothing was run on any host.',
    exit: 'BAD_INPUT',
  },
  VAULT_DECRYPT_FAILED: {
    title: 'cannot decrypt a vault value',
    what: 'No vault password given decrypts the value at the named file and line (its HMAC does not match).',
    why: 'The password is wrong, or the value was encrypted with another vault id\'s password.',
    todo: 'Give the right password (--vault-id LABEL@FILE for each vault id the inventory uses). Nothing was run on any host.',
    exit: 'BAD_INPUT',
  },
  VAULT_FORMAT_INVALID: {
    title: 'damaged vault text',
    what: 'A value or file starts like an Ansible Vault text but cannot be read as one.',
    why: 'The text was cut, re-indented or edited by hand, or uses a vault format other than 1.1 and 1.2.',
    todo: 'Encrypt the value again with ansible-vault encrypt_string (or the file with ansible-vault encrypt). Nothing was run on any host.',
    exit: 'BAD_INPUT',
  },
  VAULT_PASSWORD_UNUSABLE: {
    title: 'cannot read the vault password',
    what: 'A vault password file cannot be read, a password script failed, or the password is empty.',
    why: 'The path is wrong or unreadable, or the script exited non-zero or printed nothing.',
    todo: 'Point --vault-password-file / --vault-id / ANSIBLE_VAULT_PASSWORD_FILE at a readable file holding the password, or at an executable script that prints it. Nothing was run on any host.',
    exit: 'BAD_INPUT',
  },
  MODULE_ARGS_INVALID: {
    title: 'invalid module arguments',
    what: "A role's task rendered to arguments its module rejects.",
    why: 'A variable the task uses holds a value the module cannot apply.',
    todo: 'Fix the variable the message names. Nothing was run on any host.',
    exit: 'BAD_INPUT',
  },
  USAGE: {
    title: 'bad command line',
    what: 'The command line is incomplete or contradicts itself.',
    why: 'A required confirmation or argument is missing, or two options conflict.',
    todo: 'See the command\'s --help. Nothing was run on any host.',
    exit: 'BAD_INPUT',
  },
  TRANSPORT_FAILED: {
    title: 'cannot reach host',
    what: 'fleet could not connect to a host or lost the connection.',
    why: 'The host is down or unreachable, refused SSH, rejected the key, presented an unknown or different host key, or sudo needs a password.',
    todo: 'The message says which: check the address, the key, known_hosts or sudo. A connection lost mid-apply leaves the journal on the host: `fleet rollback HOST --last`.',
    exit: 'HOSTS_FAILED',
  },
  PROBE_FAILED: {
    title: 'check failed to run',
    what: "A resource's check exited outside its contract (0: holds, 1: does not).",
    why: 'A tool the check uses is missing or the host is unhealthy; the state is unknown, not absent.',
    todo: 'Look at the check\'s output in the message; install the tool or repair the host, then deploy again.',
    exit: 'HOSTS_FAILED',
  },
  REMOTE_COMMAND_FAILED: {
    title: 'remote command failed',
    what: "A step of the apply failed: its apply exited non-zero, its verify still saw the old state, or its check broke.",
    why: 'The host refused the change (a missing tool, a full disk, a conflicting setting).',
    todo: 'The recap shows the step and its output; every started step was reverted. Fix the cause and deploy again.',
    exit: 'HOSTS_FAILED',
  },
  HOST_LOCKED: {
    title: 'host is locked by another run',
    what: 'Another deploy, rollback or the watchdog holds the host\'s lock.',
    why: 'Two runs must not change one host at once. A lock whose owner died (same pid and start time no longer running) is stale.',
    todo: 'Wait for the other run. A stale lock: re-run with --break-lock, which breaks only a lock whose owner is dead.',
    exit: 'HOSTS_FAILED',
  },
  RUN_UNFINISHED: {
    title: 'unfinished run on the host',
    what: 'The newest run on the host stopped part-way (running, interrupted or rollback-failed).',
    why: 'A connection or the controller died mid-apply, or a revert failed: the host may be half-configured.',
    todo: 'Run `fleet rollback HOST --last` to undo it (from any controller: the journal is on the host), then deploy again.',
    exit: 'HOSTS_FAILED',
  },
  AWAITING_CONFIRMATION: {
    title: 'an earlier deploy awaits confirmation',
    what: "A confirmed deploy's watchdog is armed on the host and will revert that run.",
    why: 'The controller of that deploy lost access or was killed before it confirmed.',
    todo: 'Deploy again once the watchdog has fired (`fleet status` shows when).',
    exit: 'HOSTS_FAILED',
  },
  LOST_ACCESS: {
    title: 'lost access after a deploy',
    what: 'After the apply, fleet could not reach the host over a new connection: the watchdog reverts the run.',
    why: 'A routing, firewall, namespace or WireGuard change cut the controller off.',
    todo: 'Check those variables against the address fleet connects from. The message says whether the host came back equal to its pre-deploy state.',
    exit: 'HOSTS_FAILED',
  },
  WATCHDOG_PENDING: {
    title: 'the watchdog has not fired yet',
    what: 'fleet waited for a watchdog to revert a run and it has not done so yet.',
    why: 'The host is slow, or its watchdog is still waiting for the run\'s lock.',
    todo: 'Run `fleet status HOST` later; if the watchdog is gone (a reboot), `fleet rollback HOST --last`.',
    exit: 'HOSTS_FAILED',
  },
  ROLLBACK_FAILED: {
    title: 'rollback incomplete',
    what: 'Some revert or undo steps failed.',
    why: 'The host changed under fleet, or a tool a revert needs failed.',
    todo: 'Inspect the host, then run `fleet rollback HOST --last` again.',
    exit: 'HOSTS_FAILED',
  },
  HOST_FAILED: {
    title: 'host failed',
    what: 'Working on a host failed with an error fleet does not classify.',
    why: 'The message carries the underlying error.',
    todo: 'Read the message; if it looks like a bug in fleet, report it.',
    exit: 'HOSTS_FAILED',
  },
  VERIFY_FAILED: {
    title: 'path proof failed',
    what: "A gateway's traffic paths did not pass fleet verify's proof.",
    why: 'A half leaves by the wrong address, DNS leaks or does not answer, or the tunnel is down.',
    todo: 'The message names the path that failed; with deploy --verify that host was rolled back.',
    exit: 'HOSTS_FAILED',
  },
  PEER: {
    title: 'peer',
    what: 'A peer request cannot be met.',
    why: 'A bad address, a full half of the address plan, or an unknown peer.',
    todo: 'Fix the peer\'s name, half or address as the message says.',
    exit: 'HOSTS_FAILED',
  },
  PEER_NOT_APPLIED: {
    title: 'peer change not applied',
    what: 'fleet peer add or remove could not apply the change to the gateway.',
    why: 'The deploy of the wireguard role failed (the gateway was rolled back) or the gateway was unreachable.',
    todo: 'The inventory file was not changed. Read the message, fix the cause, run the same peer command again.',
    exit: 'HOSTS_FAILED',
  },
  PEER_INVENTORY_CHANGED: {
    title: 'inventory changed during a peer change',
    what: 'The gateway took the peer change, but the inventory file changed on disk meanwhile, so fleet did not write it.',
    why: 'Someone or something edited the inventory file while fleet was updating the gateway.',
    todo: 'Make the same change to the file by hand; otherwise the next deploy from it undoes the peer change.',
    exit: 'HOSTS_FAILED',
  },
  CONTROLLER_TOOL_FAILED: {
    title: 'a tool on this machine failed',
    what: 'A program fleet runs on the controller itself (wg, to make a client key pair) is missing or failed.',
    why: 'The WireGuard tools are not installed here, or printed something unexpected.',
    todo: "Install wireguard-tools on this machine, or give the client's own --public-key. Nothing was changed on any host.",
    exit: 'BAD_INPUT',
  },
  LAB_FAILED: {
    title: 'lab failed',
    what: 'The test lab could not be built or torn down.',
    why: 'A namespace, link or process of the lab failed; the message says which.',
    todo: 'Run `fleet lab down`, then `fleet lab up` again.',
    exit: 'HOSTS_FAILED',
  },
  LAB_PREREQ_MISSING: {
    title: 'lab prerequisites missing',
    what: 'Something `fleet lab up` needs is missing.',
    why: 'The lab needs root, /dev/net/tun and a few Debian packages.',
    todo: 'Run src/lab/install-deps.sh as root (CI does), or follow the list in the message.',
    exit: 'HOSTS_FAILED',
  },
  LAB_BUSY: {
    title: 'another lab is running',
    what: 'Another lab owns the lab network on this machine.',
    why: 'One lab per machine: another checkout\'s lab is up.',
    todo: 'Run `fleet lab down` (it also clears a lab another checkout left behind).',
    exit: 'HOSTS_FAILED',
  },
  BATCH_GATE_FAILED: {
    title: 'health gate failed',
    what: 'A rolling deploy (--serial) applied a batch, but a host of it was not healthy with 0 drift afterwards (or, with --verify, its proof failed), so later batches were not started.',
    why: 'The deploy left the host drifted or unhealthy, or something changed it right after.',
    todo: 'Look at the host with `fleet status --limit HOST --verbose`, fix it, then deploy again; the later batches are untouched.',
    exit: 'HOSTS_FAILED',
  },
  SERIAL_STOPPED: {
    title: 'not started: the rolling deploy stopped',
    what: 'A rolling deploy (--serial) stopped after an earlier batch, so this host was not touched.',
    why: "An earlier batch failed its health gate or had more failures than --max-fail-percent (or --fail-fast) allows, or every host of it failed.",
    todo: 'Read why the earlier batch stopped (the recap says), fix it, then deploy again.',
    exit: 'HOSTS_FAILED',
  },
  FLEET_ERROR: {
    title: 'fleet error',
    what: 'An operation failed that has no code of its own (fleet itself always raises a catalogued one).',
    why: 'The message says what failed.',
    todo: 'Follow the hint in the message.',
    exit: 'HOSTS_FAILED',
  },
  INTERNAL: {
    title: 'internal error (a bug in fleet)',
    what: 'fleet reached a state it should never reach.',
    why: 'A bug in fleet.',
    todo: 'Report it with the message and the command line.',
    exit: 'INTERNAL',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof CATALOGUE;
