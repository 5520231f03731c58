import { defineConfig } from 'vitest/config';

// Two projects. Lab tests share one lab (one 198.51.100.1 controller address per machine), so the
// lab project runs its files one at a time; unit tests need no lab and run side by side.
// `vitest run` runs the unit project first, then the lab (sequence.groupOrder); `npm test`
// (test/run-suites.sh) runs both at once, each its own vitest, which cuts the wall time.
const LAB = 'test/lab/**/*.test.ts';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: [LAB, 'node_modules/**'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'lab', include: [LAB], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
