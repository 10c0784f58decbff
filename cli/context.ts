/**
 * What every command runs against: the configuration, the target environment (the local one by
 * default, AWS with the usual AWS_PROFILE / AWS_REGION), the resource names the deployment uses
 * (derived from the configuration exactly as CDK and the local deployment derive them) and the output.
 */

import { paginateListStateMachines, SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { baseClientConfig, documentClient } from '../domain/aws/clients';
import { CatalogRepository } from '../domain/catalog/repository';
import type { TenantryConfig } from '../domain/config';
import { type TableKey, tableDefinitions, tableName } from '../domain/tables';
import { LOCAL_ACCOUNT } from '../local/lifecycle';
import { readLocalState } from '../local/session';
import { stateMachineName, type WorkflowName } from '../workflows/index';
import { EnvironmentUnavailableError } from './errors';

export const targets = ['local', 'aws'] as const;
export type Target = (typeof targets)[number];

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Progress rewrites one line in place on a terminal; elsewhere it prints one line per change. */
  readonly interactive: boolean;
}

export interface CliContext {
  readonly config: TenantryConfig;
  readonly target: Target;
  readonly json: boolean;
  readonly io: CliIo;
  readonly tables: Readonly<Record<TableKey, string>>;
  catalog(): CatalogRepository;
  sfn(): SFNClient;
  stateMachineArn(workflow: WorkflowName): Promise<string>;
  account(): Promise<string>;
}

/**
 * Points this process's SDK clients at the target. Local: the endpoint already in AWS_ENDPOINT_URL, else
 * the one `tenantry local up` recorded; AWS: the SDK's default credential chain and region.
 */
function useTarget(target: Target): void {
  if (target === 'aws' || process.env.AWS_ENDPOINT_URL) return;
  const state = readLocalState();
  if (state === undefined)
    throw new EnvironmentUnavailableError(
      'the local environment is not running: start it with `tenantry local up`, or pass --target aws',
    );
  Object.assign(process.env, state.env);
}

export function createContext(options: {
  config: TenantryConfig;
  target: Target;
  json: boolean;
  io: CliIo;
}): CliContext {
  useTarget(options.target);
  const { config } = options;
  const tables = Object.fromEntries(
    (Object.keys(tableDefinitions) as TableKey[]).map((key) => [key, tableName(config, key)]),
  ) as Record<TableKey, string>;
  let catalog: CatalogRepository | undefined;
  let sfn: SFNClient | undefined;
  return {
    ...options,
    tables,
    catalog: () => {
      catalog ??= new CatalogRepository({ client: documentClient(), tableName: tables.catalog });
      return catalog;
    },
    sfn: () => {
      sfn ??= new SFNClient(baseClientConfig());
      return sfn;
    },
    async stateMachineArn(workflow) {
      const name = stateMachineName(config, workflow);
      for await (const page of paginateListStateMachines({ client: this.sfn() }, {}))
        for (const machine of page.stateMachines ?? [])
          if (machine.name === name && machine.stateMachineArn) return machine.stateMachineArn;
      throw new EnvironmentUnavailableError(
        `state machine ${name} is not deployed on the ${options.target} target`,
        {
          stateMachine: name,
        },
      );
    },
    async account() {
      if (options.target === 'local') return LOCAL_ACCOUNT;
      const identity = await new STSClient(baseClientConfig()).send(new GetCallerIdentityCommand({}));
      return identity.Account as string;
    },
  };
}
