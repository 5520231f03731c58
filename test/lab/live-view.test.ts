/**
 * The live view as an operator sees it (issue 21): the real `fleet deploy` on a real terminal of
 * a fixed size (tmux), against a bare lab of 100 gateways. Each apply is held at one step
 * (FLEET_TEST_PAUSE_STEP) so the screen can be read while every host is mid-apply.
 *   - 3 gateways: one line per host with its step count and the step's role and task;
 *   - 100 gateways on 40 rows: the summary line, the bar, failures listed as they happen; a resize
 *     mid-run repaints cleanly; the scrollback holds no stale frames;
 *   - off a terminal, the plain timestamped lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/lab/state.js';
import { fleetCli } from './cli.js';
import { findGateway, gatewayExec, teardownLab, useLab, type LabState } from './harness.js';
import { TmuxTerminal } from './tmux.js';

let lab: LabState;
let term: TmuxTerminal | undefined;
const UNREACHABLE = ['gw47', 'gw86'];

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 100, bare: true, fresh: true }, suite);
});
afterAll(async () => {
  await term?.stop();
  await teardownLab();
});

/** The plan's changes for one fresh gateway, in apply order: [role, task]. */
async function changesOf(gw: string, roleArgs: string[]): Promise<[string, string][]> {
  const r = await fleetCli(['deploy', lab.inventory, '--check', '--json', '--limit', gw, ...roleArgs]);
  expect(r.json, r.stderr).toBeDefined();
  return r.json.hosts[0].resources.filter((x: { planned: string }) => x.planned === 'change').map((x: { role: string; task: string }) => [x.role, x.task]);
}

const fleet = (...args: string[]) => [process.execPath, 'bin/fleet.js', ...args];
const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;
const SPIN = '[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]';

describe('fleet deploy live view on a terminal', () => {
  it('3 gateways: a line per host with its step count, role and task, repainted in place', async () => {
    const roles = ['--skip-roles', 'openvpn'];
    const todo = await changesOf('gw1', roles);
    expect(todo.length).toBeGreaterThan(20);
    const [role5, task5] = todo[4]!;
    term = new TmuxTerminal();
    await term.start(fleet('deploy', lab.inventory, '--limit', 'gw1,gw2,gw3', ...roles), { cols: 160, rows: 40, cwd: repoRoot(), env: { FLEET_TEST_PAUSE_STEP: '5:4' } });
    const step = (gw: string) => new RegExp(`^${SPIN} ${gw}  applying 5/${todo.length} ${role5}: ${escape(task5)}$`);
    const held = await term.waitFor('all three hosts at step 5', (s) => ['gw1', 'gw2', 'gw3'].every((gw) => s.some((l) => step(gw).test(l))));
    expect(count(held, /^3 hosts: 3 applying {2}\d+\.\ds$/), held.join('\n')).toBe(1);

    expect(await term.exitCode()).toBe(0);
    const history = await term.history();
    for (const gw of ['gw1', 'gw2', 'gw3']) {
      // one line per host in the whole scrollback: every repaint replaced it in place
      const lines = history.filter((l) => new RegExp(`^(${SPIN}|✓|✗|·) ${gw} `).test(l));
      expect(lines, history.join('\n')).toHaveLength(1);
      // and it ends as the recap says: CHANGED of all the host's resources
      const row = history.find((l) => new RegExp(`^${gw} +changed +\\d+ +\\d+ +0 `).test(l))!.split(/\s+/);
      expect(lines[0]).toBe(`✓ ${gw}  changed — ${row[3]} of ${Number(row[2]) + Number(row[3])} changed`);
    }
    expect(count(history, /^3 hosts: /)).toBe(1);
    expect(history.filter((l) => /^3 hosts: /.test(l))[0]).toMatch(/^3 hosts: 3 changed {2}/);
    // then the recap
    expect(history.some((l) => /^HOST +STATUS +OK +CHANGED/.test(l))).toBe(true);
    expect(history.at(-2)).toBe('3 host(s): 0 ok, 3 changed, 0 failed, 0 unreachable');
    await term.stop();
    term = undefined;
  });

  it('100 gateways on 40 rows: summary line, bar, failures as they happen; a resize repaints cleanly', async () => {
    for (const gw of UNREACHABLE) {
      const r = await gatewayExec(lab, gw, `iptables -I INPUT -p tcp --dport ${findGateway(lab, gw).sshPort} -j DROP`);
      expect(r.code, r.stderr).toBe(0);
    }
    const roles = ['--roles', 'namespace'];
    const todo = await changesOf('gw10', roles);
    const [role2, task2] = todo[1]!;
    term = new TmuxTerminal();
    // A terminal in use: earlier output fills the screen, the frame sits at the bottom. (On an
    // empty screen tmux keeps the blank rows below the cursor when it rewraps at a resize, and
    // moves the rows above into the scrollback: the top of the frame would be left there.)
    const earlier = Array.from({ length: 60 }, (_, i) => `earlier output ${i + 1}`);
    await term.start(fleet('deploy', lab.inventory, ...roles, '--forks', '100', '-T', '10'), { cols: 120, rows: 40, cwd: repoRoot(), env: { FLEET_TEST_PAUSE_STEP: '2:25' }, before: earlier });
    // gw1-3 are converged (the test before): 3 ok; the 95 others are held before step 2
    const summary = /^100 hosts: 3 ok, 2 unreachable, 95 applying {2}\d+\.\ds$/;
    const bar = /^all +▕█+░+▏ +5\/100 +5%$/;
    const failure = (gw: string) => new RegExp(`^✗ ${gw}: unreachable — no SSH answer from root@198\\.51\\.100\\.\\d+:\\d+ within 10s$`);
    const active = new RegExp(`^  ${SPIN} gw\\d+  applying 2/${todo.length} ${role2}: ${escape(task2)}  \\d+\\.\\ds$`);
    /**
     * The whole screen, wrapped rows joined: failure lines (`failures` of them at least: a resize
     * may push the top of the screen into the scrollback), then the frame, and nothing else.
     */
    const expectFrame = (screen: string[], activeLine: RegExp, failures: number) => {
      const lines = screen.filter((l) => l && !l.startsWith('earlier output '));
      const text = screen.join('\n');
      const at = lines.findIndex((l) => summary.test(l));
      expect(at, text).toBeGreaterThanOrEqual(failures);
      for (const l of lines.slice(0, at)) expect(UNREACHABLE.some((gw) => failure(gw).test(l)), text).toBe(true);
      expect(new Set(lines.slice(0, at)).size, text).toBe(at);
      expect(lines[at + 1], text).toMatch(bar);
      expect(lines.slice(at + 2), text).toEqual(Array(5).fill(expect.stringMatching(activeLine)));
    };
    const held = await term.waitFor('every host held at step 2, the dead ones failed', (s) => s.some((l) => summary.test(l)) && s.filter((l) => active.test(l)).length === 5, 90_000, { joined: true });
    expectFrame(held, active, 2);
    for (const l of await term.screen()) expect(l.length).toBeLessThan(120);

    // Narrower than the frame's lines: the terminal rewraps them, the repaint must cover every row
    await term.resize(54, 30);
    const cut = new RegExp(`^  ${SPIN} gw\\d+  applying 2/${todo.length} .*…$`);
    const after = await term.waitFor('the frame repainted at 54 columns', (s) => s.filter((l) => cut.test(l)).length === 5 && s.some((l) => bar.test(l)), 10_000, { joined: true });
    expectFrame(after, cut, 0);
    for (const l of after.slice(after.findIndex((x) => summary.test(x)))) expect(l.length).toBeLessThan(54);

    expect(await term.exitCode()).toBe(3); // unreachable hosts, none failed
    const history = await term.history();
    const all = history.join('\n');
    expect(history.slice(0, 60), all).toEqual(earlier);
    // no stale frame in the scrollback: the summary and the bar are there once, as they ended
    expect(history.filter((l) => /^100 hosts: /.test(l)), all).toEqual([expect.stringMatching(/^100 hosts: 95 changed, 3 ok, 2 unreachable {2}\d+\.\ds$/)]);
    expect(history.filter((l) => /^all +▕/.test(l)), all).toEqual([expect.stringMatching(/^all +▕█+▏ 100\/100 {2}100%$/)]);
    for (const gw of UNREACHABLE) expect(count(history, failure(gw)), all).toBe(1);
    expect(history.at(-2)).toBe('100 host(s): 3 ok, 95 changed, 0 failed, 2 unreachable');
    await term.stop();
    term = undefined;
  });

  it('off a terminal: plain timestamped lines, no frame', async () => {
    const r = await fleetCli(['deploy', lab.inventory, '--limit', 'gw1,gw2', '--skip-roles', 'openvpn']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d gw1: connecting$/m);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d gw2: ok \(1 round trips, \d+\.\d\ds\)$/m);
    expect(r.stdout).not.toContain('\x1b[');
    expect(r.stdout).not.toMatch(/hosts: .*applying/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
