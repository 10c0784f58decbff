/**
 * The ledger state machine: one entry per (tenant, dimension, hour).
 *
 *   (none) ──prepare──► PENDING ──accepted──► ACCEPTED                     (terminal)
 *                          │ ──duplicate──► DUPLICATE  (provider holds another quantity; alert)
 *                          │ ──rejected───► REJECTED   (not subscribed, bad license...; alert)
 *                          │ ──retryable──► PENDING    (same quantity, resent next run)
 *                          └──expired───► EXPIRED      (past Marketplace's acceptance window; alert)
 *
 * PENDING is written (conditionally: only if absent) BEFORE the record is sent, with the quantity
 * fixed forever. A crash after sending leaves PENDING; the rerun resends the identical record, which
 * Marketplace deduplicates, so no hour is ever sent with two different quantities. Terminal entries
 * are never sent again: a rerun of any hour sends nothing already accepted.
 */
export const ledgerStatuses = ['PENDING', 'ACCEPTED', 'DUPLICATE', 'REJECTED', 'EXPIRED'] as const;
export type LedgerStatus = (typeof ledgerStatuses)[number];

export type LedgerEvent = 'accepted' | 'duplicate' | 'rejected' | 'retryable' | 'expired';

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

export function isTerminal(status: LedgerStatus): boolean {
  return Object.keys(transitions[status]).length === 0;
}

/** Only PENDING entries are (re)sent. */
export function mustSend(status: LedgerStatus | undefined): boolean {
  return status === 'PENDING';
}
