/**
 * Command lines commander rejects are bad input (exit 4) with the usage on stderr, never exit 1
 * (which `fleet --help` reserves for a bug in fleet); help and --version exit 0. Runs the built
 * CLI; nothing here contacts a host.
 */
import { describe, expect, it } from 'vitest';
import { commandsFor, COMMANDS } from '../src/cli/main.js';
import { fleetCli } from './lab/cli.js';

describe('a command line commander rejects', () => {
  it.each([
    [['lab'], /Usage: fleet lab \[options\] \[command\]/],
    [['peer'], /Usage: fleet peer \[options\] \[command\]/],
    [['report'], /Usage: fleet report \[options\] \[command\]/],
  ])('fleet %j (a missing subcommand): exit 4 and the usage', async (args, usage) => {
    const r = await fleetCli(args);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(usage);
    expect(r.stdout).toBe('');
  });

  it.each([
    [['lab', 'up', '--hosts', '0'], /option '-n, --hosts <n>' argument '0' is invalid[\s\S]*Usage: fleet lab up/],
    [['deploy', '--no-such-flag'], /unknown option '--no-such-flag'[\s\S]*Usage: fleet deploy/],
    [['peer', 'add', 'gw1'], /missing required argument 'name'[\s\S]*Usage: fleet peer add/],
    [['report', 'merge'], /missing required argument 'files'/],
    [['depoly'], /unknown command 'depoly'[\s\S]*Did you mean deploy\?/],
    [['--no-such-flag'], /unknown option '--no-such-flag'/],
  ])('fleet %j: exit 4 and the message', async (args, message) => {
    const r = await fleetCli(args);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(message);
  });

  it('help and --version still exit 0, on stdout', async () => {
    const version = await fleetCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await fleetCli(['help', 'lab']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: fleet lab/);
    const top = await fleetCli(['--help']);
    expect(top.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(top.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });
});

describe('commandsFor: which command modules a command line loads', () => {
  const all = Object.keys(COMMANDS);
  it('only the command it runs, or none for --version', () => {
    expect(commandsFor(['deploy', 'inventory/lab.yaml', '--check'])).toEqual(['deploy']);
    expect(commandsFor(['lab', 'up', '--hosts', '1'])).toEqual(['lab']);
    expect(commandsFor(['help', 'status'])).toEqual(['status']);
    expect(commandsFor(['--version'])).toEqual([]);
    expect(commandsFor(['-V'])).toEqual([]);
  });

  it('all of them for the top-level help and for a name commander must reject', () => {
    expect(commandsFor([])).toEqual(all);
    expect(commandsFor(['--help'])).toEqual(all);
    expect(commandsFor(['help'])).toEqual(all);
    expect(commandsFor(['depoly'])).toEqual(all);
    expect(commandsFor(['constructor'])).toEqual(all);
    expect(commandsFor(['--version', '--help'])).toEqual(all);
  });
});
