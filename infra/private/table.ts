import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { KeyAttribute, TableDefinition } from '../../domain/tables';

export interface DefinedTableProps {
  /** The shared definition (domain/tables.ts) — the only source of keys, indexes and TTL. */
  readonly definition: TableDefinition;
  readonly tableName: string;
  /** Customer-managed key; default: AWS-owned encryption. */
  readonly encryptionKey?: kms.IKey;
  /** Default: RETAIN — tenant data is never deleted by a stack update by accident. */
  readonly removalPolicy?: RemovalPolicy;
}

const attributeType = (a: KeyAttribute) =>
  a.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER;
const attribute = (a: KeyAttribute) => ({ name: a.name, type: attributeType(a) });

/**
 * A DynamoDB table built from a shared definition: on-demand, point-in-time recovery on.
 * `dynamodb.Table` rather than `TableV2` so the same template also deploys on the local
 * emulator (moto has no `AWS::DynamoDB::GlobalTable`). The cdk-nag finding every such table raises
 * (no AWS Backup plan) is acknowledged here, once, for all of them.
 */
export function definedTable(scope: Construct, id: string, props: DefinedTableProps): dynamodb.Table {
  const { definition } = props;
  const table = new dynamodb.Table(scope, id, {
    tableName: props.tableName,
    partitionKey: attribute(definition.partitionKey),
    ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
    ...(props.encryptionKey
      ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
      : {}),
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  Validations.of(table).acknowledge({
    id: 'AwsSolutions-DDB4',
    reason: 'Point-in-time recovery is on; AWS Backup plans are an organisation-level choice.',
  });
  for (const index of definition.globalSecondaryIndexes ?? []) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
    });
  }
  return table;
}
