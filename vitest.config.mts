import { defineConfig } from 'vitest/config';

// Tool configs are the one place a default export is required.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Integration tests share one lab; files run one at a time so they never race on it.
          fileParallelism: false,
        },
      },
    ],
  },
});
