/**
 * The host-key decision, apart from any connection: given what known_hosts says about host:port
 * and the key the server presented, trust it, record it (first contact with
 * --accept-new-host-keys), or refuse it with the reason an operator needs. It runs before any
 * authentication, so a refused server never sees a login, a key or a script.
 *
 * The rules, in order (OpenSSH's, without host certificates):
 * 1. a key marked @revoked is refused, whichever host presents it, and the message says "revoked";
 * 2. a plain key on file for the host that equals the presented one is trusted;
 * 3. a host with plain keys on file (none equal) is a HOST KEY MISMATCH;
 * 4. a host covered by a @cert-authority line is known: it must present a certificate, which fleet
 *    cannot verify, so it is refused, and nothing is ever recorded for it;
 * 5. otherwise the host is new: recorded with --accept-new-host-keys, refused without.
 * Revoked lines do not make a host known: `@revoked * <key>` stops only the host presenting <key>.
 */
import type { TransportFailure } from '../errors.js';
import { hostPatternFor, type HostKeyLookup } from './known-hosts.js';

export interface PresentedKey {
  type: string;
  /** base64 of the key blob. */
  key: string;
}

export type HostKeyVerdict =
  | { verdict: 'trusted' }
  | { verdict: 'record' }
  | { verdict: 'refuse'; reason: TransportFailure; message: string; hint: string };

export interface HostKeySubject {
  /** What to call the server in messages: `198.51.100.11:22`, `bastion ops@jump.example:22`. */
  label: string;
  host: string;
  port: number;
  knownHostsFile: string;
}

export function checkHostKey(known: HostKeyLookup, presented: PresentedKey, subject: HostKeySubject, acceptNew: boolean): HostKeyVerdict {
  const { label, knownHostsFile: file } = subject;
  const revoked = known.revoked.find((k) => k.type === presented.type && k.key === presented.key);
  if (revoked) {
    return {
      verdict: 'refuse',
      reason: 'host-key-mismatch',
      message: `REVOKED HOST KEY: the ${presented.type} key ${label} presents is marked @revoked in ${file}:${revoked.line}`,
      hint: 'the key was revoked on purpose: do not connect until the host has a new key, checked out of band and added to known_hosts',
    };
  }
  if (known.keys.some((k) => k.type === presented.type && k.key === presented.key)) return { verdict: 'trusted' };
  if (known.keys.length) {
    return {
      verdict: 'refuse',
      reason: 'host-key-mismatch',
      message: `HOST KEY MISMATCH for ${label}: the ${presented.type} key offered does not match ${file}:${known.keys.map((k) => k.line).join(',')}`,
      hint: 'someone may be intercepting the connection, or the host was rebuilt; fix known_hosts only after checking the new key out of band',
    };
  }
  if (known.certAuthorities.length) {
    return {
      verdict: 'refuse',
      reason: 'host-key-unknown',
      message: `${label} is known by a @cert-authority line (${file}:${known.certAuthorities.map((k) => k.line).join(',')}): it must present a host certificate, and fleet cannot verify host certificates`,
      hint: `add the host's own key for ${hostPatternFor(subject.host, subject.port)} to ${file} after checking it out of band (ssh-keyscan, then compare fingerprints); --accept-new-host-keys never records a key for a host a CA covers`,
    };
  }
  if (acceptNew) return { verdict: 'record' };
  return {
    verdict: 'refuse',
    reason: 'host-key-unknown',
    message: `no host key for ${hostPatternFor(subject.host, subject.port)} (${label}) in ${file}`,
    hint: 'verify the host key out of band, then add it (ssh-keyscan) or run once with --accept-new-host-keys',
  };
}
