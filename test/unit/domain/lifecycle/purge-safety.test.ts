import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { PurgeRefusedError } from '../../../../domain/lifecycle/errors';
import {
  pooledTable,
  purgeVerifiedTenantChunk,
  restoreTenantChunk,
  siloTable,
} from '../../../../domain/lifecycle/tenant-items';
import { writeFreezeSeconds } from '../../../../domain/lifecycle/write-freeze';

const item = (sk: string, body: string) => ({
  pk: { S: 'TENANT#acme#docs' },
  sk: { S: sk },
  tenantId: { S: 'acme' },
  body: { S: body },
});
const key = (sk: string) => ({ pk: { S: 'TENANT#acme#docs' }, sk: { S: sk } });

describe('purgeVerifiedTenantChunk (promotion purge)', () => {
  const dynamo = mockClient(DynamoDBClient);
  const client = new DynamoDBClient({ region: 'us-east-1' });
  beforeEach(() => dynamo.reset());

  function tables(pool: ReturnType<typeof item>[], silo: ReturnType<typeof item>[]) {
    dynamo.on(QueryCommand).resolves({ Items: pool });
    dynamo.on(BatchGetItemCommand).callsFake((input) => {
      const table = Object.keys(input.RequestItems)[0] as string;
      const source = table === 'pooled' ? pool : silo;
      const wanted = new Set(input.RequestItems[table].Keys.map((k: ReturnType<typeof key>) => k.sk.S));
      return { Responses: { [table]: source.filter((i) => wanted.has(i.sk.S)) } };
    });
    dynamo.on(BatchWriteItemCommand).resolves({});
  }

  it('deletes items whose silo copy is identical', async () => {
    tables([item('a', '1'), item('b', '2')], [item('a', '1'), item('b', '2')]);
    const result = await purgeVerifiedTenantChunk(client, pooledTable('pooled'), 'silo', 'acme', null);
    expect(result).toEqual({ handled: 2, foreign: 0, nextKey: null });
    const deletes = dynamo.commandCalls(BatchWriteItemCommand)[0]?.args[0].input.RequestItems?.pooled;
    expect(deletes).toEqual([{ DeleteRequest: { Key: key('a') } }, { DeleteRequest: { Key: key('b') } }]);
  });

  it('an item written after the copy (no silo copy) or changed since: nothing of the page is deleted', async () => {
    tables([item('a', '1'), item('late', 'new'), item('b', 'changed')], [item('a', '1'), item('b', '2')]);
    const purge = purgeVerifiedTenantChunk(client, pooledTable('pooled'), 'silo', 'acme', null);
    await expect(purge).rejects.toThrow(PurgeRefusedError);
    await expect(
      purgeVerifiedTenantChunk(client, pooledTable('pooled'), 'silo', 'acme', null),
    ).rejects.toThrow('1 items have no silo copy and 1 differ from it');
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('compares the consistent base-table value, not the index projection', async () => {
    // the index still shows the old value; the base table has a newer one the silo does not
    dynamo.on(QueryCommand).resolves({ Items: [item('a', 'old')] });
    dynamo
      .on(BatchGetItemCommand, { RequestItems: { pooled: { Keys: [key('a')], ConsistentRead: true } } })
      .resolves({ Responses: { pooled: [item('a', 'newer')] } });
    dynamo
      .on(BatchGetItemCommand, { RequestItems: { silo: { Keys: [key('a')], ConsistentRead: true } } })
      .resolves({ Responses: { silo: [item('a', 'old')] } });
    await expect(
      purgeVerifiedTenantChunk(client, pooledTable('pooled'), 'silo', 'acme', null),
    ).rejects.toThrow(PurgeRefusedError);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });
});

describe('restoreTenantChunk (rollback restore)', () => {
  const dynamo = mockClient(DynamoDBClient);
  const client = new DynamoDBClient({ region: 'us-east-1' });
  beforeEach(() => dynamo.reset());

  it('puts back the purged items and never overwrites an item the pool still holds', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [item('a', '1'), item('b', 'old')] });
    dynamo.on(PutItemCommand).resolves({});
    dynamo
      .on(PutItemCommand, { Item: item('b', 'old') })
      .rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const result = await restoreTenantChunk(client, siloTable('silo'), 'pooled', 'acme', null);
    expect(result).toEqual({ handled: 1, kept: 1, foreign: 0, nextKey: null });
    for (const call of dynamo.commandCalls(PutItemCommand)) {
      expect(call.args[0].input).toMatchObject({
        TableName: 'pooled',
        ConditionExpression: 'attribute_not_exists(#pk)',
      });
    }
  });
});

describe('writeFreezeSeconds', () => {
  it('outlasts the longest authorizer result cache the stack accepts and the catalog cache (30 s), with a margin', () => {
    // default config: 1-minute step → plan-limit cache 30 s, result cache at most 60 - 30 = 30 s
    expect(writeFreezeSeconds(defaultConfig)).toBe(30 + 30 + 5);
    // 5-minute step → plan-limit cache 150 s, result cache at most 300 - 150 = 150 s (default 60, may be raised)
    const slowSteps = { ...defaultConfig, metering: { ...defaultConfig.metering, cumulativeStepMinutes: 5 } };
    expect(writeFreezeSeconds(slowSteps)).toBe(150 + 30 + 5);
  });
});
