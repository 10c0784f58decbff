// Creates the control plane's resources on the local environment from the same definitions the
// CDK stacks use (domain/tables.ts, domain/config): the tables and the event bus.
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-eventbridge';
import { baseClientConfig } from '../domain/aws/clients';
import { resourceName, type TenantryConfig } from '../domain/config';
import { createTableInput, type TableKey, tableDefinitions, tableName } from '../domain/tables';

export interface LocalControlPlane {
  readonly tables: Record<TableKey, string>;
  readonly eventBusName: string;
}

/** Idempotent: existing tables and buses are left as they are. */
export async function provisionLocalControlPlane(config: TenantryConfig): Promise<LocalControlPlane> {
  const dynamo = new DynamoDBClient(baseClientConfig());
  const tables = {} as Record<TableKey, string>;
  for (const key of Object.keys(tableDefinitions) as TableKey[]) {
    const name = tableName(config, key);
    tables[key] = name;
    try {
      await dynamo.send(new CreateTableCommand(createTableInput(tableDefinitions[key], name)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilTableExists({ client: dynamo, maxWaitTime: 30 }, { TableName: name });
  }
  const eventBusName = resourceName(config, 'bus');
  try {
    await new EventBridgeClient(baseClientConfig()).send(new CreateEventBusCommand({ Name: eventBusName }));
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }
  return { tables, eventBusName };
}
