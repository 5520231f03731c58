import { defineConfig } from 'vitest/config';

// Three projects. Lab tests share one lab (one 198.51.100.1 controller address per machine), so the
// lab projects run their files one at a time; unit tests need no lab (one at a time too, for now:
// some start real daemons in throwaway namespaces, never tried side by side).
// `vitest run` runs the three one after another (sequence.groupOrder keeps them apart; in the
// clean-clone runs vitest ran lab, then lab-systemd, then unit, not the order the numbers
// suggest). lab-systemd is the lab files about daemons, the kill switch, boot and the watchdog
// again, on booted Debian gateways (FLEET_LAB_SYSTEMD=1). Rollback and faults on systemd gateways
// have their own file (systemd-units.test.ts), as does failover (systemd-failover.test.ts).
const LAB = 'test/lab/**/*.test.ts';
const ON_SYSTEMD_TOO = ['test/lab/deploy.test.ts', 'test/lab/boot.test.ts', 'test/lab/safety-watchdog.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: [LAB, 'node_modules/**'], fileParallelism: false, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'lab', include: [LAB], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: { name: 'lab-systemd', include: ON_SYSTEMD_TOO, env: { FLEET_LAB_SYSTEMD: '1' }, fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
