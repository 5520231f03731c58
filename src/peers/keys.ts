/**
 * The client's key pair, made on this machine with the WireGuard tools (`wg genkey`, `wg pubkey`):
 * the private key goes into the client config printed once to the operator and is stored nowhere
 * by fleet (never in the inventory, never on the gateway, never in a file unless --out asks).
 */
import { spawnSync } from 'node:child_process';
import { ControllerToolError } from '../errors.js';

const KEY_RE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export interface ClientKeys {
  privateKey: string;
  publicKey: string;
}

function wg(args: string[], input?: string): string {
  const r = spawnSync('wg', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ControllerToolError(missing ? "the WireGuard tools ('wg') are not installed on this machine" : `wg ${args.join(' ')}: ${r.error.message}`, {
      hint: missing ? 'install wireguard-tools (apt-get install wireguard-tools), or pass the client\'s own --public-key' : undefined,
    });
  }
  if (r.status !== 0) throw new ControllerToolError(`wg ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

export function isWgKey(s: string): boolean {
  return KEY_RE.test(s);
}

/** A fresh key pair from `wg genkey | wg pubkey`. */
export function generateKeys(): ClientKeys {
  const privateKey = wg(['genkey']);
  const publicKey = wg(['pubkey'], `${privateKey}\n`);
  if (!isWgKey(privateKey) || !isWgKey(publicKey)) throw new ControllerToolError('wg genkey/pubkey printed something that is not a key');
  return { privateKey, publicKey };
}
