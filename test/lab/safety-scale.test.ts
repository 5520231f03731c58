/**
 * 10% of 50 gateways unreachable or dying mid-run (issue 10), on a bare lab (no provider, so the
 * openvpn role is skipped): three gateways drop SSH before the run (iptables DROP on their own
 * port, inside their own namespace), two lose their SSH sessions mid-apply. The run ends within
 * the connect timeout plus the others' time, the 45 others are deployed and confirmed, the dead
 * ones are reported with their reason, and the two that died mid-apply keep a journal that
 * `rollback --last` completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../src/lab/run.js';
import { fleetCli } from './cli.js';
import { findGateway, gatewayExec, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
const UNREACHABLE = ['gw5', 'gw15', 'gw25'];
const DYING = ['gw35', 'gw45'];
const CONNECT_TIMEOUT = 5;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 50, bare: true, fresh: true }, suite);
});
afterAll(() => teardownLab());

async function startedSteps(gw: string): Promise<number> {
  const r = await gatewayExec(lab, gw, 'r=$(ls -1 /var/lib/fleet/runs 2>/dev/null | tail -n 1); [ -n "$r" ] && grep -c "^start " "/var/lib/fleet/runs/$r/log"');
  return Number(r.stdout.trim()) || 0;
}

describe('50 gateways, 10% dead', () => {
  it('the others succeed, the dead are reported with their reason, the dying keep a journal rollback --last completes', async () => {
    for (const gw of UNREACHABLE) {
      const g = findGateway(lab, gw);
      const r = await gatewayExec(lab, gw, `iptables -I INPUT -p tcp --dport ${g.sshPort} -j DROP`);
      expect(r.code, r.stderr).toBe(0);
    }
    const started = Date.now();
    const deploy = fleetCli(['deploy', lab.inventory, '--json', '--skip-roles', 'openvpn', '-T', String(CONNECT_TIMEOUT)], {
      env: { FLEET_TEST_PAUSE_STEP: '3:4' },
      timeoutMs: 120_000,
    });
    // Kill the dying gateways' SSH sessions while their apply pauses before step 3.
    await Promise.all(
      DYING.map(async (gw) => {
        for (const end = Date.now() + 30_000; Date.now() < end && (await startedSteps(gw)) < 3; ) await sleep(100);
        const k = await gatewayExec(lab, gw, `for p in $(pgrep -x sshd); do [ "$p" = 1 ] || kill -9 "$p"; done`);
        expect(k.code).toBe(0);
      }),
    );
    const r = await deploy;
    const wall = (Date.now() - started) / 1000;
    expect(r.json, r.stderr).toBeDefined();
    const hosts: any[] = r.json.hosts;
    const by = (names: string[]) => hosts.filter((h) => names.includes(h.host));
    const others = hosts.filter((h) => !UNREACHABLE.includes(h.host) && !DYING.includes(h.host));
    expect(others).toHaveLength(45);
    expect(others.filter((h) => h.status !== 'changed').map((h) => `${h.host}: ${h.status} ${h.error?.message}`)).toEqual([]);
    for (const h of others) expect(h.confirm?.result).toBe('confirmed');
    for (const h of by(UNREACHABLE)) {
      expect(h.status).toBe('unreachable');
      expect(h.error.message).toMatch(new RegExp(`no SSH answer from root@198\\.51\\.100\\.\\d+:\\d+ within ${CONNECT_TIMEOUT}s`));
    }
    for (const h of by(DYING)) {
      expect(h.status).toBe('failed');
      expect(h.error.message).toMatch(/connection was lost mid-apply|connection lost/);
      expect(h.error.hint).toMatch(/rollback .* --last/);
    }
    expect(r.code).toBe(2); // failed hosts outrank unreachable ones in the exit code
    // Bounded: the connect timeout plus the slowest other host, plus the CLI's own start (generous).
    const slowest = Math.max(...others.map((h) => h.seconds));
    expect(wall).toBeLessThan(CONNECT_TIMEOUT + slowest + 10);
    process.stderr.write(`50 gateways: ${wall.toFixed(1)}s wall, slowest good host ${slowest.toFixed(1)}s, connect timeout ${CONNECT_TIMEOUT}s\n`);

    for (const gw of DYING) {
      // the journal says how far it got, and any controller can finish the rollback
      let unfinished = false;
      for (let i = 0; i < 40 && !unfinished; i++) {
        const s = await fleetCli(['status', '-i', lab.inventory, '--json', '--limit', gw, '--skip-roles', 'openvpn']);
        unfinished = !!s.json?.hosts?.[0]?.journal?.unfinished;
        if (!unfinished) await sleep(250);
      }
      expect(unfinished, `${gw} has an unfinished run`).toBe(true);
      const rb = await fleetCli(['rollback', gw, '-i', lab.inventory, '--last', '--yes', '--json']);
      expect(rb.code, rb.stdout + rb.stderr).toBe(0);
      const after = await gatewayExec(lab, gw, 'r=$(ls -1 /var/lib/fleet/runs | tail -n 1); cat /var/lib/fleet/runs/$r/status; ls /var/lib/fleet/watchdog 2>/dev/null | wc -l');
      expect(after.stdout.trim().split('\n')).toEqual(['rolled-back', '0']);
    }
    for (const gw of UNREACHABLE) {
      const g = findGateway(lab, gw);
      await gatewayExec(lab, gw, `iptables -D INPUT -p tcp --dport ${g.sshPort} -j DROP`);
    }
  }, 180_000);
});
