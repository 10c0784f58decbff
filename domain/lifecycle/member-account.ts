import {
  CreateAccountCommand,
  type CreateAccountStatus,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  ListParentsCommand,
  MoveAccountCommand,
  type OrganizationsClient,
  paginateListAccounts,
  paginateListCreateAccountStatus,
} from '@aws-sdk/client-organizations';
import type { TenantryConfig } from '../config';
import { resourceName } from '../config';
import { ConfigurationError } from '../errors';
import type { TenantId } from '../tenant/tenant-id';
import { MemberAccountError } from './errors';

/**
 * A tenant's own AWS account under Organizations (isolation `account`, issue 15). The lifecycle
 * creates it (CreateAccount, then the workflow polls DescribeCreateAccountStatus with a bound, as it
 * polls the silo stack) or adopts the one given at signup, then moves it into the tenants' OU.
 * Control Tower's Account Factory would replace `requestMemberAccount`/`describeAccountRequest` behind
 * the same states (README.md, "Tenants in their own AWS account").
 */

export type AccountsSettings = NonNullable<TenantryConfig['accounts']>;

/** Where an account request stands: `SUCCEEDED` carries the account id. */
export interface AccountRequestState {
  readonly requestId: string | null;
  readonly state: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  readonly accountId: string | null;
  readonly failureReason: string | null;
}

/** The `accounts` settings; a ConfigurationError when no tier may use isolation `account`. */
export function accountsSettings(config: TenantryConfig): AccountsSettings {
  if (config.accounts !== undefined) return config.accounts;
  throw new ConfigurationError([
    { field: 'accounts', message: 'is required for tenants of isolation account' },
  ]);
}

/** The account's name in the organization: one per tenant, how a retried request finds its own. */
export function memberAccountName(config: TenantryConfig, tenantId: TenantId): string {
  return resourceName(config, `tenant-${tenantId}`);
}

/** The account's root e-mail (`accounts.rootEmailPattern` with the tenant id). */
export function memberAccountEmail(config: TenantryConfig, tenantId: TenantId): string {
  return accountsSettings(config).rootEmailPattern.replace('{tenantId}', tenantId);
}

/**
 * Asks Organizations for the tenant's account. Idempotent: an account with the tenant's e-mail that
 * already exists, or a request for its name still in progress, is reported instead of asking again
 * (CreateAccount itself is not idempotent; a second call would fail or make a second account).
 */
export async function requestMemberAccount(
  org: OrganizationsClient,
  config: TenantryConfig,
  tenantId: TenantId,
): Promise<AccountRequestState> {
  const settings = accountsSettings(config);
  const email = memberAccountEmail(config, tenantId);
  const accountName = memberAccountName(config, tenantId);
  for await (const page of paginateListAccounts({ client: org }, {})) {
    const existing = page.Accounts?.find((a) => a.Email?.toLowerCase() === email.toLowerCase());
    if (existing?.Id !== undefined) {
      return { requestId: null, state: 'SUCCEEDED', accountId: existing.Id, failureReason: null };
    }
  }
  for await (const page of paginateListCreateAccountStatus({ client: org }, { States: ['IN_PROGRESS'] })) {
    const pending = page.CreateAccountStatuses?.find((s) => s.AccountName === accountName);
    if (pending !== undefined) return requestState(pending);
  }
  const { CreateAccountStatus: status } = await org.send(
    new CreateAccountCommand({
      Email: email,
      AccountName: accountName,
      RoleName: settings.deploymentRoleName,
      IamUserAccessToBilling: 'DENY',
      Tags: [{ Key: 'tenantId', Value: tenantId }],
    }),
  );
  if (status === undefined)
    throw new MemberAccountError(tenantId, accountName, 'CreateAccount returned no status');
  return requestState(status);
}

/** The request's current state (the workflow polls this with a Wait in between). */
export async function describeAccountRequest(
  org: OrganizationsClient,
  tenantId: TenantId,
  requestId: string,
): Promise<AccountRequestState> {
  const { CreateAccountStatus: status } = await org.send(
    new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }),
  );
  if (status === undefined)
    throw new MemberAccountError(tenantId, requestId, 'the account request is unknown');
  return requestState(status);
}

/** An account given at signup: it must be an ACTIVE member of the organization. */
export async function adoptMemberAccount(
  org: OrganizationsClient,
  tenantId: TenantId,
  accountId: string,
): Promise<AccountRequestState> {
  let status: string | undefined;
  try {
    const { Account } = await org.send(new DescribeAccountCommand({ AccountId: accountId }));
    status = Account?.Status;
  } catch (error) {
    if (error instanceof Error && error.name === 'AccountNotFoundException') {
      throw new MemberAccountError(tenantId, accountId, 'is not a member of the organization');
    }
    throw error;
  }
  if (status !== 'ACTIVE')
    throw new MemberAccountError(tenantId, accountId, `is ${status ?? 'of unknown status'}, not ACTIVE`);
  return { requestId: null, state: 'SUCCEEDED', accountId, failureReason: null };
}

/**
 * Moves the account into the tenants' OU (`accounts.organizationalUnitId`); idempotent: an account
 * already there is left alone. Returns the OU id.
 */
export async function placeInTenantsUnit(
  org: OrganizationsClient,
  config: TenantryConfig,
  tenantId: TenantId,
  accountId: string,
): Promise<string> {
  const unit = accountsSettings(config).organizationalUnitId;
  const { Parents } = await org.send(new ListParentsCommand({ ChildId: accountId }));
  const parent = Parents?.[0]?.Id;
  if (parent === unit) return unit;
  if (parent === undefined)
    throw new MemberAccountError(tenantId, accountId, 'has no parent in the organization');
  await org.send(
    new MoveAccountCommand({ AccountId: accountId, SourceParentId: parent, DestinationParentId: unit }),
  );
  return unit;
}

function requestState(status: CreateAccountStatus): AccountRequestState {
  const state = status.State === 'SUCCEEDED' || status.State === 'FAILED' ? status.State : 'IN_PROGRESS';
  return {
    requestId: status.Id ?? null,
    state,
    accountId: state === 'SUCCEEDED' ? (status.AccountId ?? null) : null,
    failureReason: status.FailureReason ?? null,
  };
}
