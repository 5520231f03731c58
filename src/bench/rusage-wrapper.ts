/**
 * Runs the fleet CLI and, when the process exits, writes its own resource usage (user and system
 * CPU, peak RSS) as JSON to the file named by FLEET_BENCH_RUSAGE. The benchmark runs every fleet
 * command through this wrapper so that it measures the controller process exactly as a user runs it.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.FLEET_BENCH_RUSAGE;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ userS: u.userCPUTime / 1e6, sysS: u.systemCPUTime / 1e6, maxRssKb: u.maxRSS }));
  });
}
// The same launcher a user runs (the bundle, the compile cache where Node has it), so the figures
// include fleet's real start-up. A URL, not a literal path: bin/ is plain JavaScript outside src/.
await import(new URL('../../../bin/fleet.js', import.meta.url).href);
