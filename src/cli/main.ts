import { Command } from 'commander';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('fleet');
  program.description('Configure a fleet of WireGuard split-tunnel VPN gateways over SSH');
  await program.parseAsync(argv);
}
