/**
 * Every iptables rule fleet writes says whose it is and what it is for: `-m comment --comment
 * "fleet: <task name>"`, the name of the task that made it. The comment is part of the one rule
 * spec, so the check (-C), the apply (-A), the undo (-D) and the boot scripts all carry it.
 */
import { describe, expect, it } from 'vitest';
import { loadRoleDefaults } from '../roles/defaults.js';
import { desiredState } from '../roles/tasks.js';
import { hostVarsSchema } from '../inventory/schema.js';
import { quote } from '../shell/sh.js';

const vars = hostVarsSchema.parse({
  ...loadRoleDefaults().vars,
  host: '203.0.113.10',
  wan_interface: 'ens5',
  wan_ip: '10.0.1.191',
  vpn_server_ip: '198.51.100.20',
  openvpn_config_file: '/etc/fleet/provider.ovpn',
}) as unknown as Record<string, unknown>;

const desired = desiredState(vars, undefined, undefined, { readSources: false });
const rules = desired.filter((d) => d.resource.module === 'iptables-rule' || d.resource.module === 'input-allow');

describe('the comment on every iptables rule', () => {
  it('there are rules to look at', () => {
    expect(rules.length).toBeGreaterThan(10);
  });

  it.each(rules.map((d) => [d.task, d] as const))('%s: fleet: <its task name>, in check, apply and undo', (task, d) => {
    const comment = `-m comment --comment ${quote(`fleet: ${task}`)}`;
    expect(d.resource.id).toContain(comment);
    expect(d.resource.check.text).toContain(comment);
    expect(d.resource.apply.text).toContain(comment);
    expect(d.resource.undo.text).toContain(comment);
  });

  it('the boot scripts carry the same rules, comment included', () => {
    const up = desired.find((d) => d.resource.id.endsWith('-up.sh'));
    const down = desired.find((d) => d.resource.id.endsWith('-down.sh'));
    expect(up && down).toBeTruthy();
    const text = (d: typeof up) => JSON.stringify(d!.resource);
    for (const d of rules) {
      const comment = quote(`fleet: ${d.task}`);
      expect(text(up)).toContain(JSON.stringify(comment).slice(1, -1));
      expect(text(down)).toContain(JSON.stringify(comment).slice(1, -1));
    }
  });
});
