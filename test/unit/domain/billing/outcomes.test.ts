import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryBillingAlerts } from '../../../../domain/billing/alerts';
import type { LedgerEntry, LedgerStatus } from '../../../../domain/billing/ledger';
import { type LedgerEvent, nextLedgerStatus, recordOutcomes } from '../../../../domain/billing/outcomes';
import type { MeteringRecord, RecordOutcome } from '../../../../domain/billing/send';
import { ledgerEntryOf } from '../../support/billing';

const events: LedgerEvent[] = ['accepted', 'duplicate', 'rejected', 'retryable', 'expired'];

describe('ledger state machine', () => {
  it('moves PENDING to each outcome and keeps it PENDING on retryable', () => {
    expect(nextLedgerStatus('PENDING', 'accepted')).toBe('ACCEPTED');
    expect(nextLedgerStatus('PENDING', 'duplicate')).toBe('DUPLICATE');
    expect(nextLedgerStatus('PENDING', 'rejected')).toBe('REJECTED');
    expect(nextLedgerStatus('PENDING', 'expired')).toBe('EXPIRED');
    expect(nextLedgerStatus('PENDING', 'retryable')).toBe('PENDING');
  });

  it('never leaves a terminal state, whatever the event', () => {
    for (const status of ['ACCEPTED', 'DUPLICATE', 'REJECTED', 'EXPIRED'] as const) {
      for (const event of events) expect(nextLedgerStatus(status, event)).toBeUndefined();
    }
  });
});

describe('recording outcomes', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const table = {
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    tableName: 'ledger',
  };
  const clock = () => new Date('2026-03-10T06:16:00.000Z');
  const entry = (tenant: number, status: LedgerStatus = 'PENDING'): LedgerEntry =>
    ledgerEntryOf(tenant, '2026-03-10T05:00:00.000Z', {
      status,
      createdAt: '2026-03-10T06:15:00.000Z',
      updatedAt: '2026-03-10T06:15:00.000Z',
    });
  const record = (e: LedgerEntry): MeteringRecord => ({
    tenantId: e.tenantId,
    dimension: e.dimension,
    hour: new Date(e.hour),
    quantity: e.units,
    customer: {
      customerAwsAccountId: e.customerAwsAccountId,
      licenseArn: e.licenseArn,
      productCode: e.productCode,
    },
  });
  const answer = (
    e: LedgerEntry,
    outcome: { kind: RecordOutcome['kind']; meteringRecordId?: string; reason?: string },
  ) => ({
    entry: e,
    outcome: { ...outcome, record: record(e) } as RecordOutcome,
  });
  beforeEach(() => ddb.reset());

  it('writes decided outcomes as whole entries, leaves undecided ones PENDING, and alerts on each kind of problem', async () => {
    // Prepare: one answer of each kind, and one entry past its deadline
    ddb.on(BatchWriteCommand).resolves({});
    const alerts = new MemoryBillingAlerts();
    const [accepted, duplicate, rejected, undecided, expired] = [1, 2, 3, 4, 5].map((i) => entry(i)) as [
      LedgerEntry,
      LedgerEntry,
      LedgerEntry,
      LedgerEntry,
      LedgerEntry,
    ];
    // Act
    const tally = await recordOutcomes(
      { ledger: table, alerts, clock },
      {
        expired: [expired],
        sent: [accepted, duplicate, rejected, undecided],
        nearExpiry: 0,
        answers: [
          answer(accepted, { kind: 'accepted', meteringRecordId: 'mr-1' }),
          answer(duplicate, { kind: 'duplicate', reason: 'DuplicateRecord' }),
          answer(rejected, { kind: 'rejected', reason: 'CustomerNotSubscribed' }),
          answer(undecided, { kind: 'retryable', reason: 'ThrottlingException' }),
        ],
      },
    );
    // Assess
    expect(tally).toEqual({ accepted: 1, duplicate: 1, rejected: 1, undecided: 1, expired: 1 });
    const written = ddb
      .commandCalls(BatchWriteCommand)
      .flatMap((c) => c.args[0].input.RequestItems?.ledger ?? [])
      .map((r) => r.PutRequest?.Item);
    const updated = { attempts: 1, updatedAt: '2026-03-10T06:16:00.000Z' };
    expect(written).toEqual([
      { ...expired, ...updated, status: 'EXPIRED', reason: 'acceptance window passed' },
      { ...accepted, ...updated, status: 'ACCEPTED', meteringRecordId: 'mr-1' },
      { ...duplicate, ...updated, status: 'DUPLICATE', reason: 'DuplicateRecord' },
      { ...rejected, ...updated, status: 'REJECTED', reason: 'CustomerNotSubscribed' },
    ]);
    const problem = (e: LedgerEntry, reason: string) => ({
      tenantId: e.tenantId,
      dimension: 'ApiCalls',
      hour: '2026-03-10T05:00:00.000Z',
      reason,
    });
    expect(alerts.alerts).toEqual([
      {
        type: 'BillingRecordsExpired',
        detail: {
          records: [
            {
              tenantId: 'tn00005',
              dimension: 'ApiCalls',
              hour: '2026-03-10T05:00:00.000Z',
              units: 5,
              reason: 'acceptance window passed',
            },
          ],
        },
      },
      { type: 'BillingDuplicateRecords', detail: { records: [problem(duplicate, 'DuplicateRecord')] } },
      { type: 'BillingRecordsRejected', detail: { records: [problem(rejected, 'CustomerNotSubscribed')] } },
      { type: 'BillingRecordsUndecided', detail: { records: [problem(undecided, 'ThrottlingException')] } },
    ]);
  });

  it('refuses to move an entry that is already decided, writing nothing', async () => {
    const decided = entry(1, 'ACCEPTED');
    await expect(
      recordOutcomes(
        { ledger: table, alerts: new MemoryBillingAlerts(), clock },
        {
          expired: [],
          sent: [decided],
          nearExpiry: 0,
          answers: [answer(decided, { kind: 'accepted', meteringRecordId: 'x' })],
        },
      ),
    ).rejects.toMatchObject({
      name: 'LedgerConflictError',
      message: expect.stringContaining('cannot apply accepted to ACCEPTED'),
    });
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });
});
