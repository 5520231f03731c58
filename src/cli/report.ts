/** `fleet report merge`: the shards' --json outputs as one recap with one exit code. */
import type { Command } from 'commander';
import { readRegularText } from '../fs/read-regular-file.js';
import { mergeReports, parseReport, type MergedReport } from '../report/merge.js';
import { recapOf } from '../report/recap.js';
import { statusTable } from '../report/status.js';
import { EXIT_HELP, exitCodeForResults } from './exit-codes.js';
import { exitCodeForStatus } from './status.js';

/** A shard's --json of 1,000 full gateways is ~15 MB; this leaves room for 10,000 in one file. */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;

function exitCodeFor(m: MergedReport): number {
  if (m.kind === 'status') return exitCodeForStatus(m.doc.hosts);
  return exitCodeForResults(m.doc.hosts.map((h) => ({ host: h.host, status: h.status, roundTrips: h.roundTrips, seconds: h.seconds })));
}

export function registerReportCommand(program: Command): void {
  const report = program.command('report').description("work with fleet's --json outputs: merge the shards of a run into one recap");
  report
    .command('merge')
    .argument('<files...>', 'the --json outputs of deploy (or of status), one per shard')
    .description('merge the shards of one deploy (or one status) into the recap and exit code one unsharded run would give')
    .option('--json', 'print the merged document, in the shape of one run\'s --json')
    .option('-v, --verbose', 'status: list each peer and each drifted resource')
    .option('--allow-missing', 'merge even when a shard\'s file is missing (the recap then covers fewer hosts)')
    .addHelpText(
      'after',
      `
Each file is what 'fleet deploy --json' or 'fleet status --json' wrote, sharded (--shard K/N) or
not (e.g. one file per --limit group). The merge is refused (exit 4, naming the files) when the
files are of different kinds (deploy, deploy --check, status), a host is in two files, the shards
come from different splits (another N or another selection), or a shard of 1..N is missing
(unless --allow-missing). Hosts come out in the order one unsharded run lists them; a deploy's
time is its slowest shard's, a status is as old as its oldest shard.

Examples:
  fleet report merge shard-1.json shard-2.json shard-3.json
  fleet report merge status-*.json --json > status.json
  fleet report merge deploy-*.json --allow-missing      a shard's job never ran

Exit code: as one run of the same command would give (deploy: 2 when a host failed, 3 when one
was unreachable; status: 2 when a host drifted or is unhealthy, 3 when one is down).
${EXIT_HELP}`,
    )
    .action((files: string[], opts: { json?: boolean; verbose?: boolean; allowMissing?: boolean }) => {
      const reports = files.map((file) => parseReport(file, readRegularText(file, { what: 'report', maxBytes: MAX_REPORT_BYTES })));
      const merged = mergeReports(reports, { allowMissing: !!opts.allowMissing });
      if (opts.json) process.stdout.write(`${JSON.stringify(merged.doc, null, 2)}\n`);
      else if (merged.kind === 'status') process.stdout.write(`${statusTable(merged.doc.hosts, { verbose: !!opts.verbose })}\n`);
      else process.stdout.write(`\n${recapOf(merged.doc.hosts, { check: merged.kind === 'deploy --check' })}\n`);
      process.exitCode = exitCodeFor(merged);
    });
}
