import { GetAccountSettingsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  ListRequestedServiceQuotaChangeHistoryByQuotaCommand,
  RequestServiceQuotaIncreaseCommand,
  type ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import type { TenantId } from '../tenant/tenant-id';
import { ConcurrencyQuotaError } from './errors';

/**
 * The Lambda concurrency of a tenant's own account (issue 15). A new member account's concurrency
 * quota can be as low as 10, and Lambda refuses a reservation that leaves the account fewer than 100
 * unreserved ("You can reserve up to the Unreserved account concurrency value that is shown, minus 100
 * for functions that don't have reserved concurrency": AWS Lambda Developer Guide, "Configuring reserved
 * concurrency for a function", docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
 * The silo stack of such an account is created without the tier's reservation, and the increase is
 * requested (Service Quotas) and flagged: the tenant is served now, the reservation applied later.
 */

/** Lambda keeps at least this much of an account's concurrency unreserved. */
export const MIN_UNRESERVED_CONCURRENCY = 100;
/** Service Quotas: Lambda's "Concurrent executions" quota. */
export const LAMBDA_SERVICE_CODE = 'lambda';
export const CONCURRENT_EXECUTIONS_QUOTA_CODE = 'L-B99A9384';
/** Request statuses still open: a new request for the quota would duplicate them. */
const OPEN_REQUEST_STATUSES: ReadonlySet<string> = new Set(['PENDING', 'CASE_OPENED']);

/** An increase of the account's concurrency quota, requested (or found open) by the lifecycle. */
export interface ConcurrencyQuotaRequest {
  readonly requestId: string;
  readonly desired: number;
  readonly status: string;
}

/** What the silo stack of the account reserves, and why. */
export interface ConcurrencyDecision {
  /** True: the tier's reservation is set on the tenant's function; false: none (AWS::NoValue). */
  readonly reserve: boolean;
  /** The account's concurrency quota and what is unreserved of it (Lambda GetAccountSettings). */
  readonly limit: number;
  readonly unreserved: number;
  /** The tier's reservation (`siloCompute.reservedConcurrency`); null: the tier reserves none. */
  readonly reservation: number | null;
  /** Set when the reservation does not fit: the increase that would let it. */
  readonly quotaRequest: ConcurrencyQuotaRequest | null;
}

/**
 * Decides the reservation of the tenant's function in its account (clients acting in the account, in
 * the tenant's region): the tier's, when the account keeps at least MIN_UNRESERVED_CONCURRENCY
 * unreserved with it; otherwise none, and an increase of the quota to what is already reserved plus
 * the reservation plus the minimum is requested (an open request for at least that much is reused).
 */
export async function decideReservedConcurrency(
  lambda: LambdaClient,
  quotas: ServiceQuotasClient,
  tenantId: TenantId,
  reservation: number | null,
): Promise<ConcurrencyDecision> {
  const { AccountLimit } = await lambda.send(new GetAccountSettingsCommand({}));
  const limit = AccountLimit?.ConcurrentExecutions;
  const unreserved = AccountLimit?.UnreservedConcurrentExecutions;
  if (limit === undefined || unreserved === undefined)
    throw new ConcurrencyQuotaError(tenantId, 'GetAccountSettings returned no account limit');
  const decided = { limit, unreserved, reservation };
  if (reservation === null || unreserved - reservation >= MIN_UNRESERVED_CONCURRENCY)
    return { ...decided, reserve: true, quotaRequest: null };
  const desired = limit - unreserved + reservation + MIN_UNRESERVED_CONCURRENCY;
  const quotaRequest = await requestConcurrencyIncrease(quotas, tenantId, desired);
  return { ...decided, reserve: false, quotaRequest };
}

/**
 * Requests the concurrency quota `desired`; idempotent: an open request (PENDING, CASE_OPENED) for the
 * quota is reported instead, whatever its value (Service Quotas keeps one open request per quota, and a
 * retried step must not ask twice); the operator raises it if it asks too little.
 */
export async function requestConcurrencyIncrease(
  quotas: ServiceQuotasClient,
  tenantId: TenantId,
  desired: number,
): Promise<ConcurrencyQuotaRequest> {
  const quota = { ServiceCode: LAMBDA_SERVICE_CODE, QuotaCode: CONCURRENT_EXECUTIONS_QUOTA_CODE };
  let nextToken: string | undefined;
  do {
    const page = await quotas.send(
      new ListRequestedServiceQuotaChangeHistoryByQuotaCommand({ ...quota, NextToken: nextToken }),
    );
    const open = page.RequestedQuotas?.find((r) => OPEN_REQUEST_STATUSES.has(r.Status ?? ''));
    if (open?.Id !== undefined)
      return { requestId: open.Id, desired: open.DesiredValue ?? desired, status: open.Status ?? 'PENDING' };
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  const { RequestedQuota } = await quotas.send(
    new RequestServiceQuotaIncreaseCommand({ ...quota, DesiredValue: desired }),
  );
  if (RequestedQuota?.Id === undefined)
    throw new ConcurrencyQuotaError(tenantId, 'RequestServiceQuotaIncrease returned no request id');
  return { requestId: RequestedQuota.Id, desired, status: RequestedQuota.Status ?? 'PENDING' };
}
