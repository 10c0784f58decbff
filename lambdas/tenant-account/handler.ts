import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import { baseClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { bucketArnOf } from '../../domain/identity/session-policy';
import {
  type ConcurrencyDecision,
  decideReservedConcurrency,
} from '../../domain/lifecycle/concurrency-quota';
import {
  type AccountRequestState,
  accountsSettings,
  adoptMemberAccount,
  type ClosedAccountStatus,
  closeMemberAccount,
  describeAccountRequest,
  ensureRuntimeRole,
  findMemberAccount,
  placeInTenantsUnit,
  proveRuntimeRoleAssumable,
  removeRuntimeRole,
  requestMemberAccount,
  returnAdoptedAccount,
} from '../../domain/lifecycle/member-account';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { allowedSiloRegion, assumedRoleCredentials } from '../../domain/lifecycle/silo-stack';
import type { TenantId } from '../../domain/tenant/tenant-id';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
// Organizations and IAM have one endpoint each, in us-east-1 (commercial partition).
const base = baseClientConfig({ region: 'us-east-1' });
const org = new OrganizationsClient(base);
const sts = new STSClient(base);
const logger = lifecycleLogger(contract.name);
const runtimeRoleGrant = {
  authorizerRoleArn: env.AUTHORIZER_ROLE_ARN,
  bucketArn: bucketArnOf('aws', env.TENANT_DATA_BUCKET_NAME),
  probeRoleArn: env.PROBE_ROLE_ARN,
};

/** The deployment role's credentials in a tenant account (cached per account, renewed before expiry). */
const deploymentCredentials = new Map<string, ReturnType<typeof assumedRoleCredentials>>();
function inAccount(accountId: string) {
  let credentials = deploymentCredentials.get(accountId);
  if (credentials === undefined) {
    const role = accountsSettings(config).deploymentRoleName;
    credentials = assumedRoleCredentials(sts, accountId, role, 'tenantry-tenant-account');
    deploymentCredentials.set(accountId, credentials);
  }
  return credentials;
}

/** IAM acting in a tenant account, with the deployment role assumed there (cached per account). */
const iamClients = new Map<string, IAMClient>();
function iamIn(accountId: string): IAMClient {
  let iam = iamClients.get(accountId);
  if (iam === undefined) {
    iam = new IAMClient({ ...base, credentials: inAccount(accountId) });
    iamClients.set(accountId, iam);
  }
  return iam;
}

/** The tier's reserved concurrency in its silo stack (`siloCompute`), null when it reserves none. */
function tierReservation(tier: string): number | null {
  return config.tiers.find((t) => t.name === tier)?.siloCompute?.reservedConcurrency ?? null;
}

/** Lambda's account settings and Service Quotas of a tenant account in one region (deployment role). */
async function decideConcurrency(
  tenantId: TenantId,
  accountId: string,
  tier: string,
  region: string,
): Promise<ConcurrencyDecision> {
  const inRegion = { ...baseClientConfig({ region }), credentials: inAccount(accountId) };
  return decideReservedConcurrency(
    new LambdaClient(inRegion),
    new ServiceQuotasClient(inRegion),
    tenantId,
    tierReservation(tier),
  );
}

const succeeded = (accountId: string): AccountRequestState => ({
  requestId: null,
  state: 'SUCCEEDED',
  accountId,
  failureReason: null,
});

export const handler = contractHandler(contract, async (request) =>
  withTenant(logger, request.tenantId, async () => {
    let state: AccountRequestState;
    let organizationalUnitId: string | null = null;
    let runtimeRoleArn: string | null = null;
    let accountStatus: ClosedAccountStatus | null = null;
    let concurrency: ConcurrencyDecision | null = null;
    switch (request.action) {
      case 'request':
        state = await requestMemberAccount(org, config, request.tenantId);
        break;
      case 'describe':
        state = await describeAccountRequest(org, request.tenantId, request.requestId);
        break;
      case 'adopt':
        state = await adoptMemberAccount(org, request.tenantId, request.accountId);
        break;
      case 'find': {
        const found = await findMemberAccount(org, config, request.tenantId, request.requestId ?? null);
        state = found ?? {
          requestId: null,
          state: 'FAILED',
          accountId: null,
          failureReason: 'no account of the tenant',
        };
        break;
      }
      case 'place':
        organizationalUnitId = await placeInTenantsUnit(org, config, request.tenantId, request.accountId);
        state = succeeded(request.accountId);
        break;
      case 'return':
        organizationalUnitId = await returnAdoptedAccount(org, config, request.tenantId, request.accountId);
        state = succeeded(request.accountId);
        break;
      case 'runtime-role':
        runtimeRoleArn = await ensureRuntimeRole(
          iamIn(request.accountId),
          config,
          request.tenantId,
          request.accountId,
          runtimeRoleGrant,
        );
        // IAM is eventually consistent: the tenant goes ACTIVE only once STS accepts the new role.
        logger.info('runtime role assumable', {
          attempts: await proveRuntimeRoleAssumable(sts, request.tenantId, runtimeRoleArn),
        });
        state = succeeded(request.accountId);
        break;
      case 'remove-runtime-role':
        await removeRuntimeRole(iamIn(request.accountId), config);
        state = succeeded(request.accountId);
        break;
      case 'close':
        accountStatus = await closeMemberAccount(org, request.tenantId, request.accountId);
        state = succeeded(request.accountId);
        break;
      case 'concurrency':
        concurrency = await decideConcurrency(
          request.tenantId,
          request.accountId,
          request.tier,
          allowedSiloRegion(config, request.region, `${contract.name} input`),
        );
        if (concurrency.quotaRequest !== null)
          logger.warn('concurrency quota too low: no reservation, increase requested', { ...concurrency });
        state = succeeded(request.accountId);
        break;
    }
    logger.info('tenant account', { action: request.action, ...state, organizationalUnitId, accountStatus });
    return { ...state, organizationalUnitId, runtimeRoleArn, accountStatus, concurrency };
  }),
);
