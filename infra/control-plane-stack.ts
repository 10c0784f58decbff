import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { tableDefinitions, tableName } from '../domain/tables';
import { admitTenantAccounts } from './private/resource-policy';
import { definedTable } from './private/table';

export interface ControlPlaneStackProps extends StackProps {
  readonly config: TenantryConfig;
}

/**
 * The shared control plane: the tenant catalog (system of record) and the event bus every
 * lifecycle transition, signup and usage alert is published on.
 */
export class ControlPlaneStack extends Stack {
  public readonly catalogTable: dynamodb.Table;
  public readonly eventBus: events.EventBus;

  public constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.catalogTable = definedTable(this, 'Catalog', {
      definition: tableDefinitions.catalog,
      tableName: tableName(config, 'catalog'),
    });
    admitTenantAccounts(config, { catalogTable: this.catalogTable });

    this.eventBus = new events.EventBus(this, 'Bus', { eventBusName: resourceName(config, 'bus') });
    // Every event is kept for replay (audit and recovery of downstream consumers), for a bounded time:
    // signup events carry personal data (the admin e-mail).
    this.eventBus.archive('Archive', {
      archiveName: resourceName(config, 'bus-archive'),
      eventPattern: { account: [this.account] },
      retention: Duration.days(config.lifecycle.eventArchiveRetentionDays),
    });
  }
}
