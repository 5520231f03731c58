/**
 * With `provider_endpoints`, the gateway holds every endpoint's config and fails over between them
 * on its own (roles/provider-failover): the roles get, per endpoint, the file it is uploaded to, the
 * server address routed around the tunnel and (WireGuard) the parsed provider file, all checked
 * here before any host is contacted, each error naming the file and line (as provider_config_file).
 * `provider_failover_list` is the endpoint table the gateway's script reads, in failover order.
 */
import { readFileSync } from 'node:fs';
import { ModuleArgsError } from '../errors.js';
import { isIPv4 } from '../types/net.js';
import { openvpnDirectives } from './openvpn-config.js';
import type { ProviderWgVars } from './provider-vars.js';

interface EndpointInput {
  name: string;
  protocol: 'openvpn' | 'wireguard';
  config_file: string;
  server_ip?: string;
}

export interface FailoverEndpoint {
  name: string;
  protocol: 'openvpn' | 'wireguard';
  config_file: string;
  /** Where the gateway keeps its config (0600: it holds the endpoint's key). */
  path: string;
  /** The server, as a host route destination around the tunnel. */
  route: string;
  /** WireGuard: the parsed provider file. */
  wg?: ProviderWgVars;
}

/** Where the gateway keeps the endpoints' configs; the script reads NAME.conf there. */
export const ENDPOINTS_DIR = '/etc/fleet/providers';
/** The health check's own files (roles/provider-failover/tasks.yaml). */
const FAILOVER_FILES = [
  '/usr/local/lib/fleet/provider-failover.sh',
  '/etc/fleet/provider-failover.conf',
  '/etc/fleet/provider-endpoints',
  '/etc/systemd/system/fleet-provider-health.service',
  '/etc/systemd/system/fleet-provider-tunnel.service',
  '/etc/systemd/system/fleet-provider-health.timer',
];

/** How often the health check runs: five times per provider_dead_after, between 1 and 10 s. */
export function checkIntervalS(deadAfter: number): number {
  return Math.max(1, Math.min(10, Math.floor(deadAfter / 5)));
}

/** The OpenVPN config's first `remote`, when it is an IPv4 address. */
function openvpnServer(e: EndpointInput, i: number, readSources: boolean): string {
  if (e.server_ip) return e.server_ip;
  let text: string;
  try {
    text = readFileSync(e.config_file, 'latin1');
  } catch (err) {
    if (!readSources) return '0.0.0.0';
    throw new ModuleArgsError(`provider_endpoints[${i}].config_file: cannot read ${e.config_file}: ${(err as Error).message}`);
  }
  const remote = openvpnDirectives(text).find((d) => d.name === 'remote');
  if (!remote) throw new ModuleArgsError(`${e.config_file}: no remote line: set provider_endpoints[${i}].server_ip for endpoint ${e.name}`);
  const host = remote.args[0] ?? '';
  if (!isIPv4(host)) throw new ModuleArgsError(`${e.config_file}:${remote.line}: remote ${host} is not an IPv4 address: set provider_endpoints[${i}].server_ip for endpoint ${e.name}`);
  return host;
}

export function failoverVars(
  vars: Record<string, unknown>,
  readSources: boolean,
  wireguardVars: (file: string, field: string, readSources: boolean) => ProviderWgVars,
): Record<string, unknown> {
  const input = vars.provider_endpoints as EndpointInput[];
  const endpoints: FailoverEndpoint[] = input.map((e, i) => {
    const base = { name: e.name, protocol: e.protocol, config_file: e.config_file, path: `${ENDPOINTS_DIR}/${e.name}.conf` };
    if (e.protocol === 'openvpn') return { ...base, route: `${openvpnServer(e, i, readSources)}/32` };
    const wg = wireguardVars(e.config_file, `provider_endpoints[${i}].config_file`, readSources);
    return { ...base, route: wg.endpoint_route, wg };
  });
  const list = endpoints.map((e) => [e.name, e.protocol, e.route, [...(e.wg?.address4 ?? []), ...(e.wg?.address6 ?? [])].join(',') || '-', e.wg?.mtu ?? '-'].join(' '));
  const nameservers = vars.netns_nameservers as string[] | undefined;
  return {
    ...vars,
    provider_failover: true,
    provider_tunnel: vars.provider_interface,
    provider_failover_endpoints: endpoints,
    // By protocol, for the roles' loops (nunjucks' selectattr tests truthiness only).
    provider_failover_openvpn: endpoints.filter((e) => e.protocol === 'openvpn'),
    provider_failover_wireguard: endpoints.filter((e) => e.protocol === 'wireguard'),
    provider_failover_routes: [...new Set(endpoints.map((e) => e.route))],
    provider_failover_list: `${list.join('\n')}\n`,
    provider_failover_probe: vars.provider_probe_address ?? nameservers?.[0],
    provider_failover_interval: checkIntervalS(Number(vars.provider_dead_after ?? 30)),
    // What the health check runs with: a change restarts it (roles/provider-failover).
    provider_failover_config_files: [...FAILOVER_FILES, ...endpoints.map((e) => e.path)],
  };
}
