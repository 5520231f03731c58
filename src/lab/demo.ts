/**
 * `npm run demo`: the whole system on one machine. Installs what is missing, brings up a lab of
 * three bare gateways, deploys them with the live view, shows `fleet status`, then proves each
 * client's path with real traffic. Exits non-zero when any proof fails.
 *
 * `npm run demo -- --systemd [--systemd-variant V]` does the same on gateways that boot Debian 12
 * with systemd under systemd-nspawn (the image is built first when it is not cached).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { connectClients } from './clients.js';
import { labUp } from './up.js';
import { proofTable, provePaths } from './proof.js';
import { repoRoot } from './state.js';
import { SYSTEMD_VARIANTS, isSystemdVariant, type SystemdVariant } from './image.js';

const root = repoRoot();
const fleet = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin', 'fleet.js'), ...args], { stdio: 'inherit' });
const say = (s: string) => process.stdout.write(`\n\x1b[1m== ${s}\x1b[0m\n`);

/** `--systemd` and `--systemd-variant V` from the command line (npm run demo -- --systemd). */
function systemdOption(argv: string[]): SystemdVariant | undefined | Error {
  const i = argv.indexOf('--systemd-variant');
  if (i >= 0) {
    const v = argv[i + 1] ?? '';
    return isSystemdVariant(v) ? v : new Error(`--systemd-variant: expected one of ${SYSTEMD_VARIANTS.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return argv.includes('--systemd') ? 'default' : undefined;
}

async function main(): Promise<number> {
  const variant = systemdOption(process.argv.slice(2));
  if (variant instanceof Error) {
    process.stderr.write(`${variant.message}\n`);
    return 4;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('the demo builds network namespaces: run it as root (sudo npm run demo)\n');
    return 4;
  }
  say('installing the Debian packages the lab needs (if any are missing)');
  const deps = spawnSync('sh', [path.join(root, 'src', 'lab', 'install-deps.sh')], { stdio: 'inherit' });
  if (deps.status !== 0) return 4;

  const kind = variant ? `3 gateways booting Debian 12 with systemd (systemd-nspawn, image ${variant})` : '3 bare gateways';
  say(`bringing up the lab: ${kind}, an OpenVPN provider, an internet, 6 WireGuard clients`);
  const lab = await labUp({ hosts: 3, fresh: true, systemd: !!variant, variant, log: (m) => process.stdout.write(`  ${m}\n`) });

  say(`fleet deploy ${path.relative(process.cwd(), lab.inventory)}`);
  const deploy = fleet(['deploy', lab.inventory]);
  if (deploy.status !== 0) return deploy.status ?? 1;

  say('pointing each client at its gateway (the gateway made its own key: only now is its public key known)');
  for (const c of await connectClients(lab)) process.stdout.write(`  ${c.gateway}: ${c.error ?? `${c.clients.join(', ')} -> ${c.publicKey}`}\n`);

  say(`fleet status -i ${path.relative(process.cwd(), lab.inventory)}`);
  fleet(['status', '-i', lab.inventory]);

  say('proving the paths: who the echo service sees, what the gateway DNS answers');
  const proofs = await provePaths(lab);
  process.stdout.write(`${proofTable(proofs)}\n`);
  const ok = proofs.every((p) => p.ok);
  process.stdout.write(
    `\n${ok ? 'All paths proven: the direct half leaves from each gateway\'s WAN address, the VPN half from the provider, and DNS resolves the internal names and leaves through the VPN.' : 'SOME PATHS FAILED: see the table above.'}

Look around:
  node bin/fleet.js status -i inventory/lab.yaml --verbose
  node bin/fleet.js deploy inventory/lab.yaml --check --diff
  node bin/fleet.js lab status
  ip netns exec fl-c1v curl -s ${lab.internet!.echoUrl}        (a VPN-half client)
  ssh -i ${lab.ssh.keyPath} -o UserKnownHostsFile=${lab.ssh.knownHostsPath} root@${lab.gateways[0]!.wanIp}
  node bin/fleet.js rollback gw2 -i inventory/lab.yaml --yes   (tear one gateway down)
${variant ? '  node bin/fleet.js lab reboot gw1                              (a real systemctl reboot)\n' : ''}Take the lab down:
  node bin/fleet.js lab down
`,
  );
  return ok ? 0 : 2;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`demo failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
