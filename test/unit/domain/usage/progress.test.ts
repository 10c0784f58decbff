import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { heartbeatLine, progressItem, readMeteringProgress } from '../../../../domain/usage/progress';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

beforeEach(() => ddb.reset());

describe('the metering progress item', () => {
  it('is keyed METERING#PROGRESS / the instant passed, kept two days', () => {
    expect(progressItem(new Date('2026-03-10T06:11:00.000Z'))).toEqual({
      pk: 'METERING#PROGRESS',
      sk: '2026-03-10T06:11:00.000Z',
      passedAt: '2026-03-10T06:11:00.000Z',
      expiresAt: Date.parse('2026-03-12T06:11:00.000Z') / 1000,
    });
  });

  it('is read as the greatest sort key of the progress partition, consistently', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [progressItem(new Date('2026-03-10T06:11:00.000Z'))] });

    // Act
    const progress = await readMeteringProgress(client, 'counters');

    // Assess
    expect(progress?.toISOString()).toBe('2026-03-10T06:11:00.000Z');
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'counters',
      ExpressionAttributeValues: { ':pk': 'METERING#PROGRESS' },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
  });

  it('is undefined before the job has published any', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect(await readMeteringProgress(client, 'counters')).toBeUndefined();
  });
});

describe('the heartbeat tick', () => {
  it('is a line with heartbeat true and the instant', () => {
    expect(heartbeatLine(new Date('2026-03-10T06:15:00.000Z'))).toBe(
      '{"heartbeat":true,"timestamp":"2026-03-10T06:15:00.000Z"}',
    );
  });
});
