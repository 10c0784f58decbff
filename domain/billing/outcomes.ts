/**
 * Step 5 of the billing run — record outcomes: each provider answer (and each expired entry) moves its
 * ledger entry along the state machine (ledger.ts); decided outcomes (accepted with the metering
 * record id, duplicate, rejected, expired) are written back as whole entries (BatchWriteItem): they
 * carry the very entry that was sent, so a repeated or concurrent write can only write the same
 * outcome (Marketplace answers an identical record identically). Undecided (retryable) outcomes are
 * not written at all: the entry stays PENDING and is resent unchanged by the next run. Every outcome
 * other than accepted raises an alert.
 */
import { batchPutDocuments } from '../aws/batch';
import type { BillingAlerts } from './alerts';
import { LedgerConflictError } from './errors';
import type { LedgerEntry, LedgerStatus, LedgerTable } from './ledger';
import type { RecordOutcome, SendResult } from './send';

export type LedgerEvent = 'accepted' | 'duplicate' | 'rejected' | 'retryable' | 'expired';

/** Only PENDING moves; every other status is terminal: an entry is never sent again once decided. */
const transitions: Readonly<Record<LedgerStatus, Partial<Record<LedgerEvent, LedgerStatus>>>> = {
  PENDING: {
    accepted: 'ACCEPTED',
    duplicate: 'DUPLICATE',
    rejected: 'REJECTED',
    retryable: 'PENDING',
    expired: 'EXPIRED',
  },
  ACCEPTED: {},
  DUPLICATE: {},
  REJECTED: {},
  EXPIRED: {},
};

/** The status after `event`, or undefined when the event is illegal from `from`. */
export function nextLedgerStatus(from: LedgerStatus, event: LedgerEvent): LedgerStatus | undefined {
  return transitions[from][event];
}

interface OutcomeTally {
  readonly accepted: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly undecided: number;
  readonly expired: number;
}

export async function recordOutcomes(
  deps: { ledger: LedgerTable; alerts: BillingAlerts; clock?: () => Date },
  result: SendResult,
): Promise<OutcomeTally> {
  const now = (deps.clock ?? (() => new Date()))().toISOString();
  const updates: OutcomeUpdate[] = [
    ...result.expired.map((entry) => ({
      entry,
      event: 'expired' as const,
      // An entry carried into the open hour already names its adjustment.
      reason: entry.reason ?? 'acceptance window passed',
    })),
    ...result.answers.map(({ entry, outcome }) => ({ entry, ...eventOf(outcome) })),
  ];
  const decided: LedgerEntry[] = [];
  for (const { entry, event, meteringRecordId, reason } of updates) {
    const to = nextLedgerStatus(entry.status, event);
    if (to === undefined) {
      throw new LedgerConflictError(
        entry.tenantId,
        entry.dimension,
        entry.hour,
        `cannot apply ${event} to ${entry.status}`,
      );
    }
    if (to === 'PENDING') continue;
    decided.push({
      ...entry,
      status: to,
      attempts: entry.attempts + 1,
      updatedAt: now,
      ...(meteringRecordId === undefined ? {} : { meteringRecordId }),
      ...(reason === undefined ? {} : { reason }),
    });
  }
  await batchPutDocuments(deps.ledger.client, deps.ledger.tableName, decided);

  if (result.expired.length > 0) {
    await deps.alerts.emit({
      type: 'BillingRecordsExpired',
      detail: {
        records: result.expired.map((e) => ({
          tenantId: e.tenantId,
          dimension: e.dimension,
          hour: e.hour,
          units: e.units,
          reason: e.reason ?? 'acceptance window passed',
        })),
      },
    });
  }
  const problems = (kind: RecordOutcome['kind']) =>
    result.answers
      .filter(({ outcome }) => outcome.kind === kind)
      .map(({ entry, outcome }) => ({
        tenantId: entry.tenantId,
        dimension: entry.dimension,
        hour: entry.hour,
        reason: 'reason' in outcome ? outcome.reason : '',
      }));
  const alertTypes = [
    ['duplicate', 'BillingDuplicateRecords'],
    ['rejected', 'BillingRecordsRejected'],
    ['retryable', 'BillingRecordsUndecided'],
  ] as const;
  for (const [kind, type] of alertTypes) {
    const records = problems(kind);
    if (records.length > 0) await deps.alerts.emit({ type, detail: { records } });
  }
  const count = (kind: RecordOutcome['kind']) => result.answers.filter((a) => a.outcome.kind === kind).length;
  return {
    accepted: count('accepted'),
    duplicate: count('duplicate'),
    rejected: count('rejected'),
    undecided: count('retryable'),
    expired: result.expired.length,
  };
}

interface OutcomeUpdate {
  readonly entry: LedgerEntry;
  readonly event: LedgerEvent;
  readonly meteringRecordId?: string;
  readonly reason?: string;
}

function eventOf(outcome: RecordOutcome): Omit<OutcomeUpdate, 'entry'> {
  return outcome.kind === 'accepted'
    ? { event: 'accepted', meteringRecordId: outcome.meteringRecordId }
    : { event: outcome.kind, reason: outcome.reason };
}
