import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type LedgerEntry, LedgerRepository, type LedgerStatus } from '../../../../domain/billing/ledger';

const ddb = mockClient(DynamoDBDocumentClient);
const ledger = new LedgerRepository(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  'ledger',
  () => new Date('2026-03-10T06:15:00.000Z'),
);
const pair = { tenantId: 'tn00001', dimension: 'ApiCalls' };

function entry(hour: string, status: LedgerStatus, overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    pk: 'tn00001#ApiCalls',
    sk: hour,
    tenantId: 'tn00001',
    dimension: 'ApiCalls',
    metric: 'api.call',
    hour,
    status,
    units: 1,
    usageMicro: '1400000000',
    carryInMicro: '0',
    carryOutMicro: '400000000',
    closingAdjustmentMicro: '0',
    perUnitMicro: '1000000000',
    customerAwsAccountId: '200000000001',
    licenseArn: 'arn:aws:license-manager::123456789012:license:l-1x',
    productCode: 'tenantry-pooled',
    final: false,
    attempts: status === 'PENDING' ? 0 : 1,
    createdAt: '2026-03-10T06:15:00.000Z',
    updatedAt: '2026-03-10T06:15:00.000Z',
    ...overrides,
  };
}

beforeEach(() => ddb.reset());

describe('cursors: where each pair resumes', () => {
  const window = {
    target: new Date('2026-03-10T05:00:00.000Z'),
    lookbackHours: 3,
    now: new Date('2026-03-10T06:20:00.000Z'),
  };

  it('reads the lookback window and the hours after it in one batch; a pair without entries starts at the target with no carry', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { ledger: [] } });
    const { cursors, pending } = await ledger.cursors([pair], window);
    expect(cursors.get('tn00001#ApiCalls')).toEqual({ next: window.target, carry: 0n, closed: false });
    expect(pending).toEqual([]);
    const keys = ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.ledger?.Keys;
    expect(keys?.map((k) => k.sk)).toEqual([
      '2026-03-10T02:00:00.000Z',
      '2026-03-10T03:00:00.000Z',
      '2026-03-10T04:00:00.000Z',
      '2026-03-10T05:00:00.000Z',
      '2026-03-10T06:00:00.000Z',
    ]);
  });

  it('resumes after the latest entry with its carry, and resends only PENDING entries (never a decided one)', async () => {
    const statuses: LedgerStatus[] = ['ACCEPTED', 'PENDING', 'DUPLICATE', 'REJECTED'];
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        ledger: [
          ...statuses.map((status, i) => entry(`2026-03-10T0${i + 1}:00:00.000Z`, status)),
          entry('2026-03-10T05:00:00.000Z', 'EXPIRED', { carryOutMicro: '250000000' }),
        ],
      },
    });
    const { cursors, pending } = await ledger.cursors([pair], window);
    expect(cursors.get('tn00001#ApiCalls')).toEqual({
      next: new Date('2026-03-10T06:00:00.000Z'),
      carry: 250_000_000n,
      closed: false,
    });
    expect(pending.map((e) => [e.hour, e.status])).toEqual([['2026-03-10T02:00:00.000Z', 'PENDING']]);
  });

  it('closes a pair whose latest entry, or an entry after the target, is a final bill', async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { ledger: [entry('2026-03-10T04:00:00.000Z', 'ACCEPTED', { final: true })] },
      })
      .resolvesOnce({
        Responses: { ledger: [entry('2026-03-10T06:00:00.000Z', 'ACCEPTED', { final: true })] },
      });
    const closedInWindow = await ledger.cursors([pair], window);
    const closedLater = await ledger.cursors([pair], window);
    expect(closedInWindow.cursors.get('tn00001#ApiCalls')?.closed).toBe(true);
    expect(closedLater.cursors.get('tn00001#ApiCalls')).toEqual({
      next: window.target,
      carry: 0n,
      closed: true,
    });
  });

  it('names a malformed entry by its key', async () => {
    ddb
      .on(BatchGetCommand)
      .resolves({ Responses: { ledger: [{ pk: 'tn00001#ApiCalls', sk: 'h', units: -1 }] } });
    await expect(ledger.cursors([pair], window)).rejects.toMatchObject({
      name: 'BillingDataError',
      message: expect.stringMatching(/^ledger entry tn00001#ApiCalls\/h is malformed/),
    });
  });
});

describe('preparePending: PENDING written only if absent, before anything is sent', () => {
  const {
    status: _s,
    attempts: _a,
    createdAt: _c,
    updatedAt: _u,
    ...planned
  } = entry('2026-03-10T05:00:00.000Z', 'PENDING');

  it('writes the entry PENDING with a conditional put', async () => {
    ddb.on(PutCommand).resolves({});
    const { written, existing } = await ledger.preparePending([planned]);
    expect(existing).toEqual([]);
    expect(written).toEqual([entry('2026-03-10T05:00:00.000Z', 'PENDING')]);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'ledger',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { status: 'PENDING', attempts: 0, units: 1 },
    });
  });

  it('adopts the stored entry (and its quantity) when another writer was first', async () => {
    const stored = entry('2026-03-10T05:00:00.000Z', 'ACCEPTED', { units: 7 });
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ $metadata: {}, message: 'exists' }));
    ddb.on(GetCommand).resolves({ Item: stored });
    const { written, existing } = await ledger.preparePending([planned]);
    expect(written).toEqual([]);
    expect(existing).toEqual([stored]);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it('reports an entry that vanished between the failed put and the read as a conflict', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ $metadata: {}, message: 'exists' }));
    ddb.on(GetCommand).resolves({});
    await expect(ledger.preparePending([planned])).rejects.toMatchObject({
      name: 'LedgerConflictError',
      message: expect.stringContaining('vanished during a conditional write'),
    });
  });
});

describe('entriesBetween', () => {
  it('reads every page of the hours in [from, to)', async () => {
    const starts: unknown[] = [];
    ddb.on(QueryCommand).callsFake((input) => {
      starts.push(input.ExclusiveStartKey);
      return input.ExclusiveStartKey === undefined
        ? { Items: [entry('2026-03-10T05:00:00.000Z', 'ACCEPTED')], LastEvaluatedKey: { pk: 'p', sk: 's' } }
        : { Items: [entry('2026-03-10T06:00:00.000Z', 'ACCEPTED')] };
    });
    const entries = await ledger.entriesBetween(
      'tn00001',
      'ApiCalls',
      new Date('2026-03-10T05:00:00.000Z'),
      new Date('2026-03-10T07:00:00.000Z'),
    );
    expect(entries.map((e) => e.hour)).toEqual(['2026-03-10T05:00:00.000Z', '2026-03-10T06:00:00.000Z']);
    expect(starts).toEqual([undefined, { pk: 'p', sk: 's' }]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({
      ':pk': 'tn00001#ApiCalls',
      ':from': '2026-03-10T05:00:00.000Z',
      ':to': '2026-03-10T06:59:59.999Z',
    });
  });
});
