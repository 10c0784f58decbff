import { TenantryError } from '../errors';

/** A counters row, ledger entry or raw-lake line does not have the shape billing relies on. */
export class BillingDataError extends TenantryError {}

/** A ledger write lost a race or found a state it cannot move from (see ledger state machine). */
export class LedgerConflictError extends TenantryError {
  public constructor(tenantId: string, dimension: string, hour: string, detail: string) {
    super(`ledger entry ${tenantId}/${dimension}/${hour}: ${detail}`, { tenantId, dimension, hour });
  }
}

/**
 * Two records (or two billed tenants) share one Marketplace identity — customer account + license +
 * dimension + hour. Marketplace holds one record per identity, so one of them could never be billed:
 * the catalog must give each tenant its own Marketplace customer/license.
 */
export class DuplicateMeteringIdentityError extends TenantryError {
  public constructor(
    public readonly firstTenantId: string,
    public readonly secondTenantId: string,
    identity: { customerAwsAccountId: string; licenseArn: string; dimension?: string; hour?: string },
  ) {
    super(
      `tenants ${firstTenantId} and ${secondTenantId} share the Marketplace identity customer ` +
        `${identity.customerAwsAccountId} / license ${identity.licenseArn}` +
        (identity.dimension === undefined ? '' : ` / dimension ${identity.dimension}`) +
        (identity.hour === undefined ? '' : ` / hour ${identity.hour}`) +
        ': Marketplace keeps one record per customer, dimension and hour, so one would never be billed',
      { firstTenantId, secondTenantId, ...identity },
    );
  }
}
