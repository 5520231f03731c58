/** A fault injected at every step of a deploy (FLEET_TEST_FAIL_STEP), for the rollback tests. */
import { fleetCli } from './cli.js';
import { snapshotGateway, type LabState } from './harness.js';

/**
 * Deploys with a failure injected at each of steps 1..`steps`, the positions spread over the
 * gateways `before` names (identical ones, so they run side by side). Each deploy must fail at
 * its step and roll back, leaving the gateway's snapshot equal to `before[gw]`. Returns each
 * deploy that did not, saying how.
 */
export async function faultAtEveryStep(lab: LabState, inventory: string, steps: number, before: Readonly<Record<string, string>>): Promise<string[]> {
  const gateways = Object.keys(before);
  const failures: string[] = [];
  await Promise.all(
    gateways.map(async (gw, g) => {
      for (let k = g + 1; k <= steps; k += gateways.length) {
        const r = await fleetCli(['deploy', inventory, '--json', '--limit', gw], { env: { FLEET_TEST_FAIL_STEP: String(k) } });
        const h = r.json?.hosts?.[0];
        if (r.code !== 2 || h?.label !== 'failed, rolled back' || h?.failure?.exitCode !== 97)
          failures.push(`${gw} step ${k}: exit ${r.code} ${h?.label} ${JSON.stringify(h?.failure)} reverts that failed: ${JSON.stringify(h?.revertFailures)}`);
        if ((await snapshotGateway(lab, gw)) !== before[gw]) failures.push(`${gw} step ${k} (${h?.failure?.id}): state differs from the pre-deploy snapshot`);
      }
    }),
  );
  return failures;
}
