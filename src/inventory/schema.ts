/**
 * The typed shape of one host's merged variables. Strict: an unknown key is an error (a misspelt
 * variable must not be silently ignored). Role defaults (roles/<role>/defaults.yaml) supply the
 * seed's values; only what has no safe default is required per host.
 */
import { z } from 'zod';
import { absPath, anyCidr, cidr, cidr6, fwmark, hostname, ifaceAddress, ifaceAddress6, ifname, ipv4, netnsName, port, tableId, userName, wgKey } from '../types/net.js';

export const peerSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a peer name (letters, digits, _ . -)').describe('peer name'),
    public_key: wgKey,
    allowed_ips: z.array(z.string().refine((s) => /^(\d+\.\d+\.\d+\.\d+|[0-9a-f:]*:[0-9a-f:]*)\/\d+$/.test(s), 'expected address/prefix')).min(1).describe('peer allowed IPs'),
  })
  .describe('WireGuard peer');

/** One of `provider_endpoints`: a provider config of either protocol, tried in the list's order. */
export const providerEndpointSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, 'expected an endpoint name (letters, digits, _ . -, up to 32)')
      .describe('the endpoint\'s name (in status, the switch log and `fleet provider use`)'),
    protocol: z.enum(['openvpn', 'wireguard']).describe("the endpoint's tunnel"),
    config_file: absPath.describe('its config on the controller: an OpenVPN client config, or a wg-quick file (linted as provider_config_file)'),
    server_ip: ipv4
      .optional()
      .describe("OpenVPN: the server's address, routed around the tunnel (default: the config's remote, when that is an address)"),
  })
  .describe('provider endpoint');

/** Endpoint names are unique: they are what the gateway records and `fleet provider use` takes. */
const providerEndpoints = z
  .array(providerEndpointSchema)
  .min(1)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `endpoint name ${e.name} is used twice` });
      seen.add(e.name);
    });
  });

export const dnsEntrySchema = z.strictObject({ name: hostname, ip: ipv4 }).describe('DNS override');

/** One ProxyJump hop: `[user@]host[:port]`, an IPv6 address in brackets (checked again when connecting). */
const JUMP_HOP = '(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,63}@)?(?:\\[[0-9A-Fa-f:.]{2,45}\\]|[A-Za-z0-9_][A-Za-z0-9_.-]{0,252})(?::\\d{1,5})?';
const jumpHop = z.string().regex(new RegExp(`^${JUMP_HOP}$`), 'expected a bastion as [user@]host[:port]');
const jumpList = z.string().regex(new RegExp(`^\\s*${JUMP_HOP}(?:\\s*,\\s*${JUMP_HOP})*\\s*$`), 'expected bastions as [user@]host[:port], separated by commas');

/** Connection settings: fleet's names, with Ansible's accepted as aliases (see normalize). */
export const connectionSchema = z.strictObject({
  // An address or DNS name, nothing else: the value goes to DNS and into known_hosts lines (a
  // newline there would be a second known_hosts entry), so shell-looking text is refused here.
  host: z
    .string()
    .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/, 'expected an IP address or DNS name')
    .max(253)
    .describe('address or DNS name to SSH to'),
  port: port.default(22),
  user: userName.default('root'),
  key_file: absPath.optional().describe('SSH private key file'),
  known_hosts_file: absPath.optional().describe('known_hosts file to verify host keys against'),
  become: z.boolean().default(false).describe('run remote commands through sudo -n'),
  connect_timeout: z.number().int().min(1).max(300).default(10).describe('seconds to wait for SSH to connect'),
  proxy_jump: z.union([jumpList, z.array(jumpHop).min(1)]).optional().describe('bastions to reach the host through, in order (OpenSSH ProxyJump)'),
});

export const gatewaySchema = z.strictObject({
  wan_interface: ifname.describe('WAN interface (the seed: ens5)'),
  wan_ip: ipv4.describe("the gateway's public/WAN address (SNAT source)"),

  wg_interface: ifname,
  wg_address: ifaceAddress.describe('WireGuard interface address with prefix (10.4.0.1/24)'),
  wg_subnet: cidr,
  wg_direct_range: cidr.describe('client half that exits directly'),
  wg_vpn_range: cidr.describe('client half that exits through OpenVPN'),
  wg_address6: ifaceAddress6.describe('WireGuard interface IPv6 address with prefix (fd00:10:4::1/64)'),
  wg_subnet6: cidr6.describe('the WireGuard IPv6 prefix (a ULA, fd00:10:4::/64)'),
  wg_direct_range6: cidr6.describe('IPv6 client half that exits directly (masqueraded to the WAN IPv6)'),
  wg_vpn_range6: cidr6.describe('IPv6 client half that exits through the provider, or is refused'),
  wg_port: port,
  wg_mtu: z.number().int().min(1280).max(9000).describe('WireGuard MTU'),
  wg_peers: z.array(peerSchema),

  vpn_namespace: netnsName,
  veth_host: ifname,
  veth_ns: ifname,
  veth_host_address: ifaceAddress,
  veth_ns_address: ifaceAddress,
  veth_host_address6: ifaceAddress6.describe("the host end's IPv6 address with prefix (fd00:200:1::1/64)"),
  veth_ns_address6: ifaceAddress6.describe("the namespace end's IPv6 address with prefix, in the host end's subnet (fd00:200:1::2/64)"),
  // Which of the two is required depends on provider_protocol (validate.ts, PROTOCOL_REQUIRED).
  provider_protocol: z.enum(['openvpn', 'wireguard']).describe("the provider's tunnel: openvpn (the seed's) or wireguard"),
  vpn_server_ip: ipv4.optional().describe('OpenVPN provider server address (routed around the tunnel); required with openvpn'),
  openvpn_config_file: absPath.optional().describe('OpenVPN client config on the controller; uploaded 0600; required with openvpn'),
  provider_config_file: absPath
    .optional()
    .describe("the WireGuard provider's wg-quick config on the controller (linted; its key uploaded 0600); required with wireguard"),
  provider_interface: ifname.describe("the WireGuard upstream's interface inside the namespace; with provider_endpoints, the active endpoint's tunnel, either protocol"),
  provider_endpoints: providerEndpoints
    .optional()
    .describe('provider configs in failover order; when set, it replaces provider_protocol and its config variables'),
  provider_dead_after: z.number().int().min(5).max(3600).describe('seconds without a sign of life from the active endpoint before failing over to the next'),
  provider_probe_address: ipv4.optional().describe('with provider_endpoints: an address that answers ping through the tunnel (default: the first netns_nameservers)'),
  openvpn_tun: ifname,
  openvpn_allow_scripts: z.boolean().describe('let the provider config run programs as root (script hooks, plugins, management)'),
  netns_nameservers: z.array(ipv4).min(1),

  dns_entries: z.array(dnsEntrySchema),
  dns_upstreams: z.array(ipv4).min(1),
  dnsmasq_user: userName,

  local_networks: z.array(anyCidr),
  vpn_destinations: z.array(anyCidr).describe('destinations the gateway reaches through the VPN (ip rules to the VPN table)'),
  allow_broad_local_networks: z.boolean().describe('accept local_networks / vpn_destinations shorter than /8 (never the default route)'),
  vpn_mark: fwmark,
  dns_mark: fwmark,
  vpn_table: tableId,
  vpn_unreachable_table: tableId.describe('the table behind vpn_table: only an unreachable default, so VPN-half traffic never falls to main'),
  rule_priority: z.number().int().min(1).max(32000).describe('first ip rule priority; rules take consecutive slots'),

  // fleet verify and metrics (src/verify, src/metrics): optional, none changes the gateway.
  verify_echo_url: z
    .string()
    .regex(/^https?:\/\/[A-Za-z0-9._~%[\]:-]+(?:\/[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?$/, 'expected an http:// or https:// URL')
    .optional()
    .describe("fleet verify: a URL that answers with the caller's address"),
  verify_names: z.array(dnsEntrySchema).optional().describe('fleet verify: names and the answers they must get (default: dns_entries)'),
  verify_probe_direct: ipv4.optional().describe("fleet verify: the direct half's reserved probe address (default: its last address)"),
  verify_probe_vpn: ipv4.optional().describe("fleet verify: the VPN half's reserved probe address (default: its last usable address)"),
  wan_public_ip: ipv4.optional().describe('the address the internet sees the direct half at (default: wan_ip)'),
  provider_exit_ip: ipv4.optional().describe('the address the internet sees the VPN half at, when known'),
  metrics_textfile: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]*[A-Za-z0-9_-]\.prom$/, "expected an absolute path ending in .prom (node_exporter's textfile collector reads *.prom)")
    .refine((s) => !s.split('/').includes('..'), { message: 'a path must not contain ..' })
    .optional()
    .describe("a .prom file for node_exporter's textfile collector, rewritten periodically (off by default)"),
  metrics_interval_seconds: z.number().int().min(5).max(3600).describe('how often the metrics textfile is rewritten'),
});

export const hostVarsSchema = connectionSchema.extend(gatewaySchema.shape);

export type HostVars = z.output<typeof hostVarsSchema>;
export type GatewayVars = z.output<typeof gatewaySchema>;
export type Peer = z.output<typeof peerSchema>;
