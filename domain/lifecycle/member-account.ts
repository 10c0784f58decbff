import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  type IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AccountAlreadyClosedException,
  CloseAccountCommand,
  CreateAccountCommand,
  type CreateAccountStatus,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  ListParentsCommand,
  ListTagsForResourceCommand,
  MoveAccountCommand,
  type OrganizationsClient,
  paginateListAccounts,
  paginateListCreateAccountStatus,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { sleep as realSleep, type Sleep } from '../aws/backoff';
import type { TenantryConfig } from '../config';
import { resourceName } from '../config';
import { ConfigurationError } from '../errors';
import {
  type PolicyDocument,
  type PolicyStatement,
  sessionTagKeys,
  siloTableArnPatterns,
  tenantRuntimeRolePolicy,
} from '../identity/session-policy';
import { memberRoleArn } from '../naming';
import type { TenantId } from '../tenant/tenant-id';
import { MemberAccountError } from './errors';
import type { SiloTarget } from './silo-stack';

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

/**
 * Where a tenant's silo stack is: its region and, for an account tenant, its account with the
 * deployment role the lifecycle assumes there.
 */
export function siloTargetIn(
  config: TenantryConfig,
  region: string,
  accountId: string | undefined,
): SiloTarget {
  if (accountId === undefined) return { region };
  return { region, accountId, roleName: accountsSettings(config).deploymentRoleName };
}

/** The account's name in the organization: one per tenant, how a retried request finds its own. */
export function memberAccountName(config: TenantryConfig, tenantId: TenantId): string {
  return resourceName(config, `tenant-${tenantId}`);
}

/**
 * The root e-mail of the tenant's `generation`-th account: `accounts.rootEmailPattern` with the tenant
 * id (the first), or with `<tenantId>.<generation>` (a tenant onboarded again after its account was
 * closed: a closed account keeps its e-mail, so a new account needs another; `.` is never in a tenant
 * id, so no tenant's address is another's).
 */
export function memberAccountEmail(config: TenantryConfig, tenantId: TenantId, generation = 1): string {
  const local = generation === 1 ? tenantId : `${tenantId}.${generation}`;
  return accountsSettings(config).rootEmailPattern.replace('{tenantId}', local);
}

/** An account of the tenant in the organization, found by its e-mail. */
interface TenantAccount {
  readonly id: string;
  readonly status: string;
  readonly generation: number;
}

/** Every account of the tenant in the organization (its e-mails of every generation), any status. */
async function tenantAccounts(
  org: OrganizationsClient,
  config: TenantryConfig,
  tenantId: TenantId,
): Promise<TenantAccount[]> {
  const [before, after] = accountsSettings(config).rootEmailPattern.toLowerCase().split('{tenantid}') as [
    string,
    string,
  ];
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const ours = new RegExp(`^${escapeRegExp(before)}${tenantId}(?:\\.(\\d+))?${escapeRegExp(after)}$`);
  const found: TenantAccount[] = [];
  for await (const page of paginateListAccounts({ client: org }, {})) {
    for (const account of page.Accounts ?? []) {
      const match = ours.exec(account.Email?.toLowerCase() ?? '');
      if (match === null || account.Id === undefined) continue;
      found.push({ id: account.Id, status: account.Status ?? 'UNKNOWN', generation: Number(match[1] ?? 1) });
    }
  }
  return found;
}

/**
 * Asks Organizations for the tenant's account. Idempotent: an ACTIVE account of the tenant, or a
 * request for its name still in progress, is reported instead of asking again (CreateAccount itself is
 * not idempotent; a second call would fail or make a second account). A closed (SUSPENDED or
 * PENDING_CLOSURE) account of an earlier, compensated onboarding is never reused: a new account is
 * requested with the next generation's e-mail, and the closed one stays in the organization and in the
 * catalog's history.
 */
export async function requestMemberAccount(
  org: OrganizationsClient,
  config: TenantryConfig,
  tenantId: TenantId,
): Promise<AccountRequestState> {
  const settings = accountsSettings(config);
  const accountName = memberAccountName(config, tenantId);
  const accounts = await tenantAccounts(org, config, tenantId);
  const active = accounts.find((a) => a.status === 'ACTIVE');
  if (active !== undefined) {
    return { requestId: null, state: 'SUCCEEDED', accountId: active.id, failureReason: null };
  }
  const pending = await pendingRequestFor(org, accountName);
  if (pending !== null) return pending;
  const generation = Math.max(0, ...accounts.map((a) => a.generation)) + 1;
  const { CreateAccountStatus: status } = await org.send(
    new CreateAccountCommand({
      Email: memberAccountEmail(config, tenantId, generation),
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

/** A CreateAccount request for the account name still IN_PROGRESS, or null. */
async function pendingRequestFor(
  org: OrganizationsClient,
  accountName: string,
): Promise<AccountRequestState | null> {
  for await (const page of paginateListCreateAccountStatus({ client: org }, { States: ['IN_PROGRESS'] })) {
    const pending = page.CreateAccountStatuses?.find((s) => s.AccountName === accountName);
    if (pending !== undefined) return requestState(pending);
  }
  return null;
}

/**
 * What a compensation must deal with (never creates anything, and never names an account an earlier
 * onboarding already closed): the tenant's ACTIVE account (SUCCEEDED: its creation succeeded after the
 * task that asked for it failed), else its account request still IN_PROGRESS — the run's own
 * (`requestId`, when its answer arrived) or one for the tenant's account name — which the workflow
 * waits for, with a bound, to close its account. Null: nothing of the tenant in the organization.
 */
export async function findMemberAccount(
  org: OrganizationsClient,
  config: TenantryConfig,
  tenantId: TenantId,
  requestId: string | null = null,
): Promise<AccountRequestState | null> {
  const accounts = await tenantAccounts(org, config, tenantId);
  const active = accounts.find((a) => a.status === 'ACTIVE');
  if (active !== undefined) {
    return { requestId: null, state: 'SUCCEEDED', accountId: active.id, failureReason: null };
  }
  if (requestId !== null) {
    // SUCCEEDED: its account became a member after ListAccounts above was answered.
    const own = await describeAccountRequest(org, tenantId, requestId);
    if (own.state !== 'FAILED') return own;
  }
  return pendingRequestFor(org, memberAccountName(config, tenantId));
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

/** Tag on an adopted account that the lifecycle moved: the parent it came from (where compensation returns it). */
export const FORMER_PARENT_TAG = 'tenantry:former-parent';

/**
 * Moves the account into the tenants' OU (`accounts.organizationalUnitId`); idempotent: an account
 * already there is left alone. The parent it leaves is first tagged on the account
 * (`FORMER_PARENT_TAG`), so a compensation can return an adopted account even when this step is retried
 * after the move. Returns the OU id.
 */
export async function placeInTenantsUnit(
  org: OrganizationsClient,
  config: TenantryConfig,
  tenantId: TenantId,
  accountId: string,
): Promise<string> {
  const unit = accountsSettings(config).organizationalUnitId;
  const parent = await parentOf(org, tenantId, accountId);
  if (parent === unit) return unit;
  await org.send(
    new TagResourceCommand({ ResourceId: accountId, Tags: [{ Key: FORMER_PARENT_TAG, Value: parent }] }),
  );
  await org.send(
    new MoveAccountCommand({ AccountId: accountId, SourceParentId: parent, DestinationParentId: unit }),
  );
  return unit;
}

/**
 * Compensation of an adopted account: back to the parent it was moved from (`FORMER_PARENT_TAG`), the
 * tag removed. Idempotent, and only from the tenants' OU: an account never moved, already returned, or
 * moved elsewhere since is left where it is. Returns where the account is.
 */
export async function returnAdoptedAccount(
  org: OrganizationsClient,
  config: TenantryConfig,
  tenantId: TenantId,
  accountId: string,
): Promise<string> {
  const { Tags } = await org.send(new ListTagsForResourceCommand({ ResourceId: accountId }));
  const former = Tags?.find((t) => t.Key === FORMER_PARENT_TAG)?.Value;
  const parent = await parentOf(org, tenantId, accountId);
  if (former === undefined) return parent;
  if (parent === accountsSettings(config).organizationalUnitId) {
    await org.send(
      new MoveAccountCommand({ AccountId: accountId, SourceParentId: parent, DestinationParentId: former }),
    );
  }
  await org.send(new UntagResourceCommand({ ResourceId: accountId, TagKeys: [FORMER_PARENT_TAG] }));
  return parent === accountsSettings(config).organizationalUnitId ? former : parent;
}

async function parentOf(org: OrganizationsClient, tenantId: TenantId, accountId: string): Promise<string> {
  const { Parents } = await org.send(new ListParentsCommand({ ChildId: accountId }));
  const parent = Parents?.[0]?.Id;
  if (parent === undefined)
    throw new MemberAccountError(tenantId, accountId, 'has no parent in the organization');
  return parent;
}

/** Where the tenant runtime role of a tenant account takes its credentials from and what it may reach. */
export interface RuntimeRoleGrant {
  /** The authorizer's role: the only principal the runtime role trusts (role chaining). */
  readonly authorizerRoleArn: string;
  /** The shared tenant data bucket (objects under `<tenantId>/`), as the pooled runtime role. */
  readonly bucketArn: string;
  /**
   * The lifecycle's `tenant-account` role: trusted for an untagged session only, to prove the new role
   * assumable (`proveRuntimeRoleAssumable`); an untagged session reaches no tenant data.
   */
  readonly probeRoleArn: string;
}

/** The inline policy name of the runtime role in a tenant account. */
const RUNTIME_ROLE_POLICY = 'TenantData';

/**
 * Creates (or brings up to date) the tenant runtime role in the tenant's account, with IAM clients
 * acting there (the deployment role). It trusts the authorizer's role only, and only for a session
 * tagged with this tenant's id; its policy is the pooled runtime role's (tenant-scoped by the session
 * tag, untagged sessions denied), over the silo tables of that account. Idempotent. Returns its ARN.
 */
export async function ensureRuntimeRole(
  iam: IAMClient,
  config: TenantryConfig,
  tenantId: TenantId,
  accountId: string,
  grant: RuntimeRoleGrant,
): Promise<string> {
  const roleName = accountsSettings(config).runtimeRoleName;
  const trust = JSON.stringify(runtimeRoleTrustPolicy(tenantId, grant));
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: trust,
        Description: `Tenant ${tenantId}: tenant-scoped data access, assumed only by the Tenantry authorizer`,
        MaxSessionDuration: 3600,
        Tags: [{ Key: sessionTagKeys.tenantId, Value: tenantId }],
      }),
    );
  } catch (error) {
    if (!(error instanceof EntityAlreadyExistsException)) throw error;
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: trust }));
  }
  const policy = tenantRuntimeRolePolicy({
    tableArns: siloTableArnPatterns(config, 'aws', accountId),
    bucketArn: grant.bucketArn,
  });
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: RUNTIME_ROLE_POLICY,
      PolicyDocument: JSON.stringify(policy),
    }),
  );
  return memberRoleArn(accountId, roleName);
}

/**
 * The runtime role's trust policy: the authorizer's role, for a session tagged with this tenant's id
 * (and only the session tag keys); the lifecycle's probe, for an untagged session (no sts:TagSession),
 * which the role's own policy denies every data action (`DenyUntaggedSessions`).
 */
export function runtimeRoleTrustPolicy(tenantId: TenantId, grant: RuntimeRoleGrant): TrustPolicy {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AuthorizerOfThisTenantOnly',
        Effect: 'Allow',
        Principal: { AWS: grant.authorizerRoleArn },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: { [`aws:RequestTag/${sessionTagKeys.tenantId}`]: tenantId },
          'ForAllValues:StringEquals': { 'aws:TagKeys': Object.values(sessionTagKeys) },
        },
      },
      {
        Sid: 'LifecycleProbeUntagged',
        Effect: 'Allow',
        Principal: { AWS: grant.probeRoleArn },
        Action: 'sts:AssumeRole',
        Condition: { Null: { 'aws:TagKeys': 'true' } },
      },
    ],
  };
}

/** A role's trust policy: statements name a principal instead of a resource. */
export interface TrustPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: (Omit<PolicyStatement, 'Resource'> & { readonly Principal: { AWS: string } })[];
}

/** How long a new runtime role may take to become assumable (IAM is eventually consistent). */
export interface AssumableProbe {
  /** AssumeRole attempts before giving up (default 10). */
  readonly attempts?: number;
  /** Wait between attempts, ms (default 3,000: IAM usually propagates within seconds). */
  readonly delayMs?: number;
  readonly sleep?: Sleep;
}

/** A session that may do nothing: the probe needs only to know STS accepts the role. */
const DENY_EVERYTHING: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'ProbeOnly', Effect: 'Deny', Action: '*', Resource: '*' }],
};

/**
 * Proves the runtime role just created (or updated) is assumable before the tenant goes ACTIVE: IAM
 * is eventually consistent, and STS refuses a role (AccessDenied) for seconds after CreateRole. Assumes
 * it untagged, with a deny-all session policy, retrying AccessDenied only, bounded; returns the
 * number of attempts it took. Any other error, or AccessDenied on the last attempt, throws.
 */
export async function proveRuntimeRoleAssumable(
  sts: STSClient,
  tenantId: TenantId,
  roleArn: string,
  probe: AssumableProbe = {},
): Promise<number> {
  const attempts = probe.attempts ?? 10;
  const wait = probe.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: `tenantry-probe-${tenantId}`.slice(0, 64),
          DurationSeconds: 900,
          Policy: JSON.stringify(DENY_EVERYTHING),
        }),
      );
      return attempt;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'AccessDenied')) throw error;
      if (attempt >= attempts) {
        throw new MemberAccountError(
          tenantId,
          roleArn,
          `the runtime role is not assumable after ${attempts} attempts (${error.message})`,
        );
      }
      await wait(probe.delayMs ?? 3_000);
    }
  }
}

/** Deletes the tenant runtime role of a tenant account; idempotent (a missing role is fine). */
export async function removeRuntimeRole(iam: IAMClient, config: TenantryConfig): Promise<void> {
  const roleName = accountsSettings(config).runtimeRoleName;
  const unlessMissing = (error: unknown) => {
    if (!(error instanceof NoSuchEntityException)) throw error;
  };
  await iam
    .send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: RUNTIME_ROLE_POLICY }))
    .catch(unlessMissing);
  await iam.send(new DeleteRoleCommand({ RoleName: roleName })).catch(unlessMissing);
}

/** Where a closed (or closing) account stands in the organization. */
export type ClosedAccountStatus = 'PENDING_CLOSURE' | 'SUSPENDED';

/**
 * Closes the tenant's account (CloseAccount): Organizations keeps it SUSPENDED for 90 days, then
 * deletes it (README.md, "Tenants in their own AWS account"). Idempotent: an account already closing
 * or closed is reported as it is. CloseAccount's own limits (a share of the organization's accounts per
 * 30 days) surface as errors for the workflow to flag.
 */
export async function closeMemberAccount(
  org: OrganizationsClient,
  tenantId: TenantId,
  accountId: string,
): Promise<ClosedAccountStatus> {
  const before = await accountStatus(org, tenantId, accountId);
  if (before === 'PENDING_CLOSURE' || before === 'SUSPENDED') return before;
  try {
    await org.send(new CloseAccountCommand({ AccountId: accountId }));
  } catch (error) {
    if (!(error instanceof AccountAlreadyClosedException)) throw error;
  }
  const after = await accountStatus(org, tenantId, accountId);
  if (after === 'PENDING_CLOSURE' || after === 'SUSPENDED') return after;
  throw new MemberAccountError(tenantId, accountId, `is ${after} after CloseAccount`);
}

async function accountStatus(
  org: OrganizationsClient,
  tenantId: TenantId,
  accountId: string,
): Promise<string> {
  const { Account } = await org.send(new DescribeAccountCommand({ AccountId: accountId }));
  if (Account?.Status === undefined)
    throw new MemberAccountError(tenantId, accountId, 'DescribeAccount returned no status');
  return Account.Status;
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
