// vitest globalSetup of the `integration` project: one local AWS environment (moto + the Lambda
// handler host) per integration worker, on free ports, for the whole run. Test files reach theirs
// through `inject(...)` — use `useLocalAws()` from test/integration/support, which picks the worker's
// environment and sets AWS_ENDPOINT_URL etc. in the worker.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type LocalAws, REPO_ROOT, startLocalAws } from '../../local/env';
import { INTEGRATION_WORKERS } from './local-environments';

declare module 'vitest' {
  export interface ProvidedContext {
    /** One per integration worker, indexed by VITEST_POOL_ID − 1. */
    localEnvironments: {
      awsEndpoint: string;
      awsRegion: string;
      handlerHostUrl: string;
      postgresUrl: string;
    }[];
  }
}

/** Test-only handlers: every `test/integration/<area>/fixtures` folder (each `<folder>/handler.ts` is a function). */
function fixtureHandlerDirs(): string[] {
  const root = join(REPO_ROOT, 'test', 'integration');
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(root, d.name, 'fixtures'))
    .filter((dir) => existsSync(dir));
}

export default async function setup(project: TestProject) {
  const started = await Promise.all(
    Array.from({ length: INTEGRATION_WORKERS }, () =>
      startLocalAws({ extraHandlerDirs: fixtureHandlerDirs() }),
    ),
  );
  for (const aws of started) {
    console.log(
      `[global-setup] local AWS up in ${aws.startupMs} ms: moto ${aws.endpoint}, handler host ${aws.handlerHostUrl}, ` +
        `PostgreSQL ${aws.postgresUrl} ` +
        `(logs: ${aws.logs.moto}, ${aws.logs.handlerHost})`,
    );
  }
  project.provide(
    'localEnvironments',
    started.map((aws) => ({
      awsEndpoint: aws.endpoint,
      awsRegion: aws.region,
      handlerHostUrl: aws.handlerHostUrl,
      postgresUrl: aws.postgresUrl,
    })),
  );
  return async () => {
    await Promise.all(started.map((aws: LocalAws) => aws.stop()));
  };
}
