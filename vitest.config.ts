import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every test's temporary files under one folder, removed at the end of the run.
    globalSetup: ['test/support/scratchDir.setup.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'functions/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Checks each function's DynamoDB requests against the stack's per-function grants.
          setupFiles: ['test/support/tableAccessCheck.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          // Each file starts its own runner and chain; two at once on 2 cores only slow each other.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          // The runner is started directly, not through npm start: build the page it serves first.
          globalSetup: ['test/browser/buildAdminPage.setup.ts'],
          // A whole runner, a chain and Chromium: seconds per step.
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          // Synthesis bundles every function with esbuild: seconds, not milliseconds.
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
