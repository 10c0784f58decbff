import { TenantryError } from '../errors';

/** A counters row, ledger entry or raw-lake line does not have the shape billing relies on. */
export class BillingDataError extends TenantryError {}

/** A ledger write lost a race or found a state it cannot move from (see ledger state machine). */
export class LedgerConflictError extends TenantryError {
  public constructor(tenantId: string, dimension: string, hour: string, detail: string) {
    super(`ledger entry ${tenantId}/${dimension}/${hour}: ${detail}`, { tenantId, dimension, hour });
  }
}

/** A tenant has no Marketplace identity (customer account, license, product) and cannot be billed. */
export class NotBillableTenantError extends TenantryError {
  public constructor(tenantId: string, reason: string) {
    super(`tenant ${tenantId} cannot be billed: ${reason}`, { tenantId });
  }
}
