import { defineConfig } from 'vitest/config';

// Two projects. Lab tests share one lab (one 198.51.100.1 controller address per machine), so the
// lab project runs its files one at a time; unit tests need no lab (one at a time too, for now:
// some start real daemons in throwaway namespaces, never tried side by side).
// `vitest run` runs the unit project first, then the lab (sequence.groupOrder).
const LAB = 'test/lab/**/*.test.ts';

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
    ],
  },
});
