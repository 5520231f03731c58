import { describe, expect, it } from 'vitest';
import { BASTION_IP, CONTROLLER_IP, INET_IP, MAX_HOSTS, PROVIDERS, gatewayPlan, providerPlan } from './names.js';

describe('the lab providers', () => {
  it('A keeps the addresses the lab always had; B has its own, used by nothing else', () => {
    const [a, b] = PROVIDERS;
    expect(a).toMatchObject({ name: 'A', netns: 'fl-prov', ip: '198.51.100.2', openvpnExitIp: '198.51.100.2', wgExitIp: '198.51.100.5' });
    expect(b!.name).toBe('B');
    const taken = new Set([CONTROLLER_IP, INET_IP, BASTION_IP, a!.ip, a!.wgExitIp, ...Array.from({ length: MAX_HOSTS }, (_, i) => gatewayPlan(i + 1).wanIp)]);
    for (const ip of new Set([b!.ip, b!.openvpnExitIp, b!.wgExitIp])) expect(taken.has(ip), ip).toBe(false);
    expect(b!.openvpnExitIp).toBe(b!.wgExitIp);
    expect(new Set(PROVIDERS.map((p) => p.netns)).size).toBe(2);
    expect(new Set(PROVIDERS.map((p) => p.wgInterface)).size).toBe(2);
    expect(new Set(PROVIDERS.flatMap((p) => [p.openvpnNet, `${p.wgNetPrefix}.0`])).size).toBe(4);
    expect(new Set(PROVIDERS.flatMap((p) => [p.openvpnNet6, `${p.wgNet6Prefix}/64`])).size).toBe(4);
    expect(new Set(PROVIDERS.map((p) => p.ip6)).size).toBe(2);
  });

  it('finds a provider by name, in either case', () => {
    expect(providerPlan('b')?.name).toBe('B');
    expect(providerPlan('C')).toBeUndefined();
  });
});
