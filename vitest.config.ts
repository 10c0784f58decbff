import { defineConfig } from 'vitest/config';
import { INTEGRATION_WORKERS } from './test/integration/local-environments';

// Two projects: `unit` (pure code and aws-sdk-client-mock, parallel) and `integration`
// (real engines: moto server, Flink MiniCluster, PGlite). Integration files run INTEGRATION_WORKERS
// at a time, each worker against a local AWS environment of its own that
// test/integration/global-setup.ts starts; each file resets its moto. The pool ids VITEST_POOL_ID
// pick the environment, so no more workers than environments run at once (`maxWorkers`).
export default defineConfig({
  test: {
    maxWorkers: INTEGRATION_WORKERS,
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
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
