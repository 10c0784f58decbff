import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { tableDefinitions } from '../../../../domain/tables';
import { definedTable } from '../../../../infra/private/table';

describe('definedTable', () => {
  const stack = new Stack(new App(), 'Tables');
  const table = definedTable(stack, 'Pooled', { definition: tableDefinitions.pooled, tableName: 'pooled' });
  const template = Template.fromStack(stack);

  it('builds the keys and indexes of the shared definition, on demand, with point-in-time recovery, retained', () => {
    const pooled = tableDefinitions.pooled;
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        TableName: 'pooled',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: pooled.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: pooled.sortKey.name, KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        GlobalSecondaryIndexes: (pooled.globalSecondaryIndexes ?? []).map((index) =>
          Match.objectLike({ IndexName: index.indexName }),
        ),
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('acknowledges the no-AWS-Backup finding (AwsSolutions-DDB4) on every table it builds', () => {
    const acknowledged = table.node.metadata
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .map((entry) => Object.keys(entry.data as Record<string, string>));
    expect(acknowledged.flat()).toContain('Annotation::AwsSolutions-DDB4');
  });
});
