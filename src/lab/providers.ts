/**
 * The lab's two providers, A and B (src/lab/names.ts, PROVIDERS): their files at `lab up`, their
 * servers (OpenVPN and WireGuard each), their description in `lab status`, and `lab provider
 * stop|start`, which takes a provider off the lab's network and back (its namespace's link down:
 * its servers keep running and keep their keys, as a provider's outage looks from a gateway).
 */
import path from 'node:path';
import { LabError } from './errors.js';
import { OPENVPN_PORT, PROVIDERS, PROVIDER_WG_PORT, providerPlan, type ProviderPlan } from './names.js';
import type { Pki } from './pki.js';
import { providerNetwork, startProvider, writeClientConfig } from './provider.js';
import { startWgProvider, writeWgProviderFiles, type WgProviderFiles } from './provider-wireguard.js';
import { runOk } from './run.js';
import type { LabProvider, LabProviderEntry, LabState, ProcRecord } from './state.js';
import type { GatewayPlan } from './names.js';

const A = PROVIDERS[0]!;

export interface ProviderFiles {
  /** Each provider's OpenVPN client config, by provider name. */
  openvpn: Record<string, string>;
  wireguard: WgProviderFiles[];
}

/** The gateways' configs for every provider (A's OpenVPN config is `clientConfigA`, also in a bare lab). */
export function writeProviderFiles(dir: string, pki: Pki, gateways: readonly GatewayPlan[], clientConfigA: string): ProviderFiles {
  const openvpn: Record<string, string> = {};
  for (const plan of PROVIDERS) {
    const file = plan === A ? clientConfigA : path.join(dir, `client-${plan.name}.ovpn`);
    writeClientConfig(pki, file, plan);
    openvpn[plan.name] = file;
  }
  return { openvpn, wireguard: PROVIDERS.map((plan) => writeWgProviderFiles(dir, gateways, plan)) };
}

/** Every provider's OpenVPN and WireGuard servers; each pid recorded as it starts. */
export async function startProviders(pki: Pki, files: ProviderFiles, logs: string, addProc: (p: ProcRecord) => void): Promise<void> {
  const tag = (plan: ProviderPlan) => (plan === A ? '' : `-${plan.name}`);
  // Each namespace's network is set up by its OpenVPN start, before its WireGuard server's.
  await Promise.all(
    PROVIDERS.map(async (plan, i) => {
      const ovpn = await startProvider(pki, { plan, logPath: path.join(logs, `openvpn-server${tag(plan)}.log`) });
      addProc({ role: `openvpn${tag(plan)}`, pid: ovpn.pid, start: ovpn.start });
      const wg = await startWgProvider(files.wireguard[i]!, { logPath: path.join(logs, `wireguard-server${tag(plan)}.log`) });
      addProc({ role: `wireguard-provider${tag(plan)}`, pid: wg.pid, start: wg.start });
    }),
  );
}

/** Provider A as `lab status` always showed it: ip is its OpenVPN server's (and WireGuard endpoint's) address. */
export function labProvider(files: ProviderFiles, protocol: 'openvpn' | 'wireguard'): LabProvider {
  const wg = files.wireguard[0]!;
  return {
    netns: A.netns,
    ip: A.ip,
    ip6: A.ip6,
    port: OPENVPN_PORT,
    clientConfig: files.openvpn[A.name]!,
    protocol,
    exitIp: protocol === 'wireguard' ? A.wgExitIp : A.openvpnExitIp,
    wireguard: { interface: A.wgInterface, port: PROVIDER_WG_PORT, exitIp: A.wgExitIp, serverConfig: wg.serverConfig, gatewayConfigs: wg.gatewayConfigs },
  };
}

export function labProviders(files: ProviderFiles, protocol: 'openvpn' | 'wireguard'): LabProviderEntry[] {
  return PROVIDERS.map((plan, i) => {
    const wg = files.wireguard[i]!;
    return {
      name: plan.name,
      netns: plan.netns,
      ip: plan.ip,
      exit: protocol === 'wireguard' ? plan.wgExitIp : plan.openvpnExitIp,
      openvpn: { port: OPENVPN_PORT, exitIp: plan.openvpnExitIp, clientConfig: files.openvpn[plan.name]! },
      wireguard: { interface: plan.wgInterface, port: PROVIDER_WG_PORT, exitIp: plan.wgExitIp, serverConfig: wg.serverConfig, gatewayConfigs: wg.gatewayConfigs },
    };
  });
}

/** `lab provider stop|start NAME`: the provider's namespace off the lab's switch, or back on it. */
export async function setProviderRunning(lab: LabState, name: string, running: boolean): Promise<ProviderPlan> {
  const plan = providerPlan(name);
  if (!plan) throw new LabError(`no provider ${name} in the lab`, { hint: `one of ${PROVIDERS.map((p) => p.name).join(', ')}` });
  if (!lab.up || !lab.provider) throw new LabError('the lab is not up with its providers', { hint: 'fleet lab up (not --bare)' });
  if (running) await providerNetwork(plan);
  else await runOk(['ip', '-n', plan.netns, 'link', 'set', 'eth0', 'down'], { what: `provider ${plan.name} stop` });
  return plan;
}
