// vitest globalSetup of the `integration` project: ONE local AWS environment (moto + the Lambda
// handler host) on free ports for the whole run. Test files reach it through `inject(...)` — use
// `useLocalAws()` from test/integration/support, which also sets AWS_ENDPOINT_URL etc. in the worker.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type LocalAws, REPO_ROOT, startLocalAws } from '../../local/env';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
    awsRegion: string;
    handlerHostUrl: string;
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

let aws: LocalAws | undefined;

export default async function setup(project: TestProject) {
  aws = await startLocalAws({ extraHandlerDirs: fixtureHandlerDirs() });
  console.log(
    `[global-setup] local AWS up in ${aws.startupMs} ms: moto ${aws.endpoint}, handler host ${aws.handlerHostUrl} ` +
      `(logs: ${aws.logs.moto}, ${aws.logs.handlerHost})`,
  );
  project.provide('awsEndpoint', aws.endpoint);
  project.provide('awsRegion', aws.region);
  project.provide('handlerHostUrl', aws.handlerHostUrl);
  return async () => {
    await aws?.stop();
    aws = undefined;
  };
}
