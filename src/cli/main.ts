import { Command, CommanderError } from 'commander';
import { FleetError } from '../errors.js';
import { EXIT, EXIT_HELP, exitCodeForError } from './exit-codes.js';

type Register = (program: Command) => void;

/**
 * Every command, in the order `fleet --help` lists them, each behind a dynamic import: a command
 * line loads the module of the command it runs and nothing else (no SSH, templates or schemas for
 * `fleet --version` or `fleet inventory`).
 */
export const COMMANDS: Record<string, () => Promise<Register>> = {
  deploy: async () => (await import('./deploy.js')).registerDeployCommand,
  rollback: async () => (await import('./rollback.js')).registerRollbackCommand,
  status: async () => (await import('./status.js')).registerStatusCommand,
  verify: async () => (await import('./verify.js')).registerVerifyCommand,
  inventory: async () => (await import('./inventory.js')).registerInventoryCommand,
  lab: async () => (await import('./lab.js')).registerLabCommand,
  peer: async () => (await import('./peer.js')).registerPeerCommand,
  report: async () => (await import('./report.js')).registerReportCommand,
  provider: async () => (await import('./provider.js')).registerProviderCommand,
};

const VERSION_FLAGS = new Set(['-V', '--version']);

/**
 * The commands a command line needs registered: the one it names (also as `fleet help NAME`);
 * none for a bare `--version`; all of them for the top-level help, or for a name commander must
 * reject (its message suggests the closest command).
 */
export function commandsFor(args: readonly string[]): string[] {
  const all = Object.keys(COMMANDS);
  const at = args.findIndex((a) => !a.startsWith('-'));
  if (at < 0) return args.length > 0 && args.every((a) => VERSION_FLAGS.has(a)) ? [] : all;
  const name = args[at] === 'help' ? args[at + 1] : args[at];
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : all;
}

/** The program with the named commands (default: all). */
export async function buildProgram(names: readonly string[] = Object.keys(COMMANDS)): Promise<Command> {
  const program = new Command('fleet');
  program
    .description('Configure a fleet of WireGuard split-tunnel VPN gateways over SSH: check-then-apply, in parallel, with real rollback.')
    .version('0.1.0')
    // Before any command is added: subcommands copy these settings when they are created, so a
    // subcommand's usage error (a missing subcommand, a bad argument) reaches main, not process.exit.
    .exitOverride()
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
  const registers = await Promise.all(Object.keys(COMMANDS).filter((n) => names.includes(n)).map((n) => COMMANDS[n]!()));
  for (const register of registers) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
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
    const program = await buildProgram(commandsFor(argv.slice(2)));
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version exit 0; every usage error commander rejects (its message and the
      // usage are already on stderr) is bad input.
      process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.BAD_INPUT;
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
