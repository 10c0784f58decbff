/**
 * Integration files run this many at a time, each against a local AWS environment of its own (moto +
 * the handler host, started by global-setup.ts): a file's `resetLocalAws()` must never empty another
 * running file's moto. Two matches the machine's two cores; vitest.config.ts reads the same number.
 */
export const INTEGRATION_WORKERS = 2;
