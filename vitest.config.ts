import { defineConfig } from 'vitest/config';

// Lab tests share one lab (one 198.51.100.1 controller address per machine), so test files run
// one at a time. Unit tests are fast enough that this costs little.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
