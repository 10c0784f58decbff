import { describe, expect, it } from 'vitest';
import { MemoryBillingAlerts } from '../../../../domain/billing/alerts';
import { type BillingProvider, type MeteringRecord, sendPending } from '../../../../domain/billing/send';
import { defaultConfig } from '../../../../domain/config';
import { ledgerEntryOf } from '../../support/billing';

/** Accepts everything it is sent and keeps the records. */
function recordingProvider(): BillingProvider & { records: MeteringRecord[] } {
  const records: MeteringRecord[] = [];
  return {
    name: 'recording',
    records,
    submit: async (batch) => {
      records.push(...batch);
      return batch.map((record) => ({
        kind: 'accepted' as const,
        record,
        meteringRecordId: `mr-${record.tenantId}`,
      }));
    },
  };
}

describe('sending PENDING entries', () => {
  const now = new Date('2026-03-10T23:30:00.000Z');

  it('sends the entry unchanged as an integer record and pairs each answer with its entry', async () => {
    const provider = recordingProvider();
    const pending = ledgerEntryOf(3, '2026-03-10T22:00:00.000Z');
    const result = await sendPending(
      { config: defaultConfig, provider, alerts: new MemoryBillingAlerts() },
      [pending],
      now,
    );
    expect(provider.records).toEqual([
      {
        tenantId: 'tn00003',
        dimension: 'ApiCalls',
        hour: new Date('2026-03-10T22:00:00.000Z'),
        quantity: 3,
        customer: { customerAwsAccountId: '200000000003', licenseArn: 'l-3', productCode: 'tenantry-pooled' },
      },
    ]);
    expect(result.answers).toEqual([
      {
        entry: pending,
        outcome: expect.objectContaining({ kind: 'accepted', meteringRecordId: 'mr-tn00003' }),
      },
    ]);
    expect(result).toMatchObject({ expired: [], sent: [pending], nearExpiry: 0 });
  });

  it('never sends an entry within 5 minutes of its deadline, or stamped in the future; alerts on those near it', async () => {
    // Prepare: now is 23:30; the deadline of 17:00 is 23:00 (passed); of 17:34 is 23:34 (6 h window)
    const provider = recordingProvider();
    const alerts = new MemoryBillingAlerts();
    const expired = ledgerEntryOf(1, '2026-03-10T17:00:00.000Z');
    const almost = ledgerEntryOf(2, '2026-03-10T17:34:00.000Z'); // 4 minutes left: inside the safety margin
    const near = ledgerEntryOf(3, '2026-03-10T19:00:00.000Z'); // 4.5 h old (alertAgeHours 4): alert, still sent
    const future = ledgerEntryOf(4, '2026-03-11T00:00:00.000Z');
    const fresh = ledgerEntryOf(5, '2026-03-10T22:00:00.000Z');
    // Act
    const result = await sendPending(
      { config: defaultConfig, provider, alerts },
      [expired, almost, near, future, fresh],
      now,
    );
    // Assess
    expect(result.expired).toEqual([expired, almost, future]);
    expect(provider.records.map((r) => r.tenantId)).toEqual(['tn00003', 'tn00005']);
    expect(result.nearExpiry).toBe(1);
    expect(alerts.alerts).toEqual([
      { type: 'BillingRecordsNearExpiry', detail: { records: 1, hours: ['2026-03-10T19:00:00.000Z'] } },
    ]);
  });

  it('calls no provider when nothing is to be sent, and refuses an answer for a record it did not send', async () => {
    const silent: BillingProvider = {
      name: 'must-not-be-called',
      submit: async () => {
        throw new Error('called');
      },
    };
    const empty = await sendPending(
      { config: defaultConfig, provider: silent, alerts: new MemoryBillingAlerts() },
      [],
      now,
    );
    expect(empty).toEqual({ expired: [], sent: [], answers: [], nearExpiry: 0 });
    const stray: BillingProvider = {
      name: 'stray',
      submit: async ([record]) => [
        {
          kind: 'accepted',
          record: { ...(record as MeteringRecord), tenantId: 'tn00009' },
          meteringRecordId: 'x',
        },
      ],
    };
    await expect(
      sendPending(
        { config: defaultConfig, provider: stray, alerts: new MemoryBillingAlerts() },
        [ledgerEntryOf(1, '2026-03-10T22:00:00.000Z')],
        now,
      ),
    ).rejects.toMatchObject({ name: 'BillingDataError', message: expect.stringContaining('tn00009') });
  });
});
