import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure code and aws-sdk-client-mock, parallel) and `integration`
// (real engines: moto server, Flink MiniCluster, PGlite). Integration files run one at a time
// against one moto server that test/integration/setup starts; each file resets moto state.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // CDK synth and esbuild bundling in the infra tests take seconds on a loaded 2-core machine.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
