/**
 * With `provider_protocol: wireguard`, the roles need what the provider's file says (its endpoint
 * to route around the tunnel, its addresses, DNS and MTU, the config `wg setconf` reads): the file
 * is parsed and linted once per host, before any host is contacted, and its values are given to
 * the templates as `provider_wg`. Only the renderer sees them: they are not inventory variables,
 * and the private key they hold reaches the gateway only in a secret file.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ModuleArgsError } from '../errors.js';
import { parseWireguardConfig, wgSetconfText, wireguardOutline, type WireguardProviderConfig } from './wireguard-config.js';
import { failoverVars } from './provider-endpoints.js';

export interface ProviderWgVars {
  /** `ip:port`, as `wg show endpoints` prints it. */
  endpoint: string;
  endpoint_ip: string;
  endpoint_port: number;
  /** The endpoint as a host route destination (/32 or /128). */
  endpoint_route: string;
  address4: string[];
  address6: string[];
  dns: string[];
  /** The provider's MTU, else WireGuard's usual 1420. */
  mtu: number;
  /** The tunnel's own public key (from the private key), and the provider's. */
  public_key: string;
  peer_public_key: string;
  /** The wg(8) config for `wg setconf` (holds the private key). */
  setconf: string;
  /** Its keys with the secret values masked, for the plan. */
  outline: string[];
}

/** PKCS#8 DER of an X25519 private key: this prefix, then the 32 key bytes. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** `wg pubkey` on the controller: the X25519 public key of a base64 private key. */
export function wireguardPublicKey(privateKey: string): string {
  const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, Buffer.from(privateKey, 'base64')]), format: 'der', type: 'pkcs8' });
  // SPKI DER ends with the 32 public key bytes
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
}

function toVars(c: WireguardProviderConfig): ProviderWgVars {
  const e = c.peer.endpoint;
  return {
    endpoint: `${e.ip}:${e.port}`,
    endpoint_ip: e.ip,
    endpoint_port: e.port,
    endpoint_route: `${e.ip}/${e.family === 4 ? 32 : 128}`,
    address4: c.addresses4,
    address6: c.addresses6,
    dns: c.dns,
    mtu: c.mtu ?? 1420,
    public_key: wireguardPublicKey(c.privateKey),
    peer_public_key: c.peer.publicKey,
    setconf: wgSetconfText(c),
    outline: wireguardOutline(c),
  };
}

/**
 * A teardown runs only undo and may run from a controller without the provider's file: undo of
 * the routes and files inside the namespace does not need their exact values (the namespace goes
 * with them), so a file it cannot read gives these stand-ins.
 */
const STANDIN_KEY = Buffer.alloc(32).toString('base64');
const TEARDOWN_STANDIN: ProviderWgVars = {
  endpoint: '0.0.0.0:51820',
  endpoint_ip: '0.0.0.0',
  endpoint_port: 51820,
  endpoint_route: '0.0.0.0/32',
  address4: [],
  address6: [],
  dns: [],
  mtu: 1420,
  public_key: STANDIN_KEY,
  peer_public_key: STANDIN_KEY,
  setconf: '',
  outline: [],
};

/** The WireGuard provider file's values, or the teardown stand-ins when a teardown cannot read it. */
function wireguardVars(file: string, field: string, readSources: boolean): ProviderWgVars {
  try {
    return toVars(parseWireguardConfig(readFileSync(file, 'latin1'), file));
  } catch (err) {
    if (!readSources) return TEARDOWN_STANDIN;
    if (err instanceof ModuleArgsError) throw err;
    throw new ModuleArgsError(`${field}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The host's vars, with `provider_wg` when its provider speaks WireGuard, and the failover's (provider-endpoints.ts). */
export function providerVars(vars: Record<string, unknown>, readSources: boolean): Record<string, unknown> {
  if (Array.isArray(vars.provider_endpoints)) return failoverVars(vars, readSources, wireguardVars);
  const plain = { ...vars, provider_failover: false, provider_tunnel: vars.provider_protocol === 'wireguard' ? vars.provider_interface : vars.openvpn_tun };
  if (vars.provider_protocol !== 'wireguard') return plain;
  const file = vars.provider_config_file;
  if (typeof file !== 'string') throw new ModuleArgsError('provider_protocol is wireguard but provider_config_file is not set');
  return { ...plain, provider_wg: wireguardVars(file, 'provider_config_file', readSources) };
}
