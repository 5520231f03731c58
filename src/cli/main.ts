import { Command, CommanderError } from 'commander';
import { FleetError } from '../errors.js';
import { registerDeployCommand } from './deploy.js';
import { EXIT, EXIT_HELP, exitCodeForError } from './exit-codes.js';
import { registerInventoryCommand } from './inventory.js';
import { registerLabCommand } from './lab.js';
import { registerPeerCommand } from './peer.js';
import { registerReportCommand } from './report.js';
import { registerRollbackCommand } from './rollback.js';
import { registerStatusCommand } from './status.js';

export function buildProgram(): Command {
  const program = new Command('fleet');
  program
    .description('Configure a fleet of WireGuard split-tunnel VPN gateways over SSH: check-then-apply, in parallel, with real rollback.')
    .version('0.1.0')
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Quick start (on the built-in lab, as root):
  fleet lab up --hosts 3
  fleet deploy inventory/lab.yaml
  fleet status -i inventory/lab.yaml
  fleet rollback gw2 -i inventory/lab.yaml --yes
  fleet lab down

${EXIT_HELP}`,
    );
  registerDeployCommand(program);
  registerRollbackCommand(program);
  registerStatusCommand(program);
  registerInventoryCommand(program);
  registerLabCommand(program);
  registerPeerCommand(program);
  registerReportCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  // `fleet status | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  process.on('SIGINT', () => {
    process.stderr.write('\ninterrupted: hosts mid-apply keep their journal; run `fleet rollback <host> --last` if one is left unfinished\n');
    process.exit(EXIT.INTERRUPTED);
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT.BAD_INPUT;
      return;
    }
    if (err instanceof FleetError) {
      process.stderr.write(`fleet: ${err.title}: ${err.full()}\n`);
    } else {
      process.stderr.write(`fleet: internal error (a bug in fleet): ${(err as Error)?.stack ?? String(err)}\n`);
    }
    process.exitCode = exitCodeForError(err);
  }
}
