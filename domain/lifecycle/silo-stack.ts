import {
  AlreadyExistsException,
  CloudFormationClient,
  type CloudFormationClientConfig,
  CreateStackCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { KMSClient } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { baseClientConfig } from '../aws/clients';
import type { TenantryConfig } from '../config';
import { ValidationError } from '../errors';
import { siloStackName } from '../keys';
import { memberRoleArn } from '../naming';
import type { SiloResources } from '../tenant/tenant';
import type { TenantId } from '../tenant/tenant-id';
import { SiloStackError } from './errors';
import {
  type ReservedConcurrencyChoice,
  SILO_TENANT_TAG,
  siloStackOutputs,
  siloStackParameters,
} from './silo';

/**
 * A tenant's silo stack in the tenant's own region (data residency). A Step Functions SDK integration
 * calls CloudFormation in the state machine's region only, so the lifecycle tasks call it through
 * these regional clients instead (workflows/README.md, "Silo stacks in the tenant's region").
 */

/**
 * Where a silo lives: its region and, for a tenant in its own account (issue 15), that account and
 * the role the clients assume there; without them the clients act with the task's own role.
 */
export interface SiloTarget {
  readonly region: string;
  readonly accountId?: string;
  readonly roleName?: string;
}

interface AssumedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Renewed this long before the assumed role's credentials expire. */
const CREDENTIALS_RENEWAL_MS = 5 * 60_000;

/**
 * Credentials of `roleName` in `accountId`, assumed with the task's own role and renewed before they
 * expire (the deployment role trusts the management account: CreateAccount's RoleName, or an adopted
 * account's own role). `sessionPolicy`: an inline session policy capping what the session may do.
 */
export function assumedRoleCredentials(
  sts: STSClient,
  accountId: string,
  roleName: string,
  sessionName: string,
  sessionPolicy?: string,
): NonNullable<CloudFormationClientConfig['credentials']> {
  let current: AssumedCredentials | undefined;
  return async () => {
    const expiration = current?.expiration?.getTime();
    if (
      current !== undefined &&
      expiration !== undefined &&
      expiration - CREDENTIALS_RENEWAL_MS > Date.now()
    ) {
      return current;
    }
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: memberRoleArn(accountId, roleName),
        RoleSessionName: sessionName,
        ...(sessionPolicy === undefined ? {} : { Policy: sessionPolicy }),
      }),
    );
    if (Credentials?.AccessKeyId === undefined || Credentials.SecretAccessKey === undefined) {
      throw new Error(`AssumeRole of ${roleName} in ${accountId} returned no credentials`);
    }
    current = {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
      expiration: Credentials.Expiration,
    };
    return current;
  };
}

/** The CloudFormation and KMS clients of one silo target. */
export interface SiloClients {
  readonly region: string;
  /** The tenant's own account (isolation `account`); the stack's outputs must name it. */
  readonly accountId?: string;
  readonly cfn: CloudFormationClient;
  readonly kms: KMSClient;
}

export function siloClients(target: SiloTarget): SiloClients {
  const base = baseClientConfig({ region: target.region });
  const credentials =
    target.accountId === undefined || target.roleName === undefined
      ? undefined
      : assumedRoleCredentials(new STSClient(base), target.accountId, target.roleName, 'tenantry-silo-stack');
  const settings = { ...base, ...(credentials === undefined ? {} : { credentials }) };
  return {
    region: target.region,
    ...(credentials === undefined ? {} : { accountId: target.accountId }),
    cfn: new CloudFormationClient(settings),
    kms: new KMSClient(settings),
  };
}

/** Clients per target, created once per region and account (warm invocations reuse them). */
export function siloClientsPerTarget(): (target: SiloTarget) => SiloClients {
  const byTarget = new Map<string, SiloClients>();
  return (target) => {
    const key = `${target.region}/${target.accountId ?? ''}/${target.roleName ?? ''}`;
    const known = byTarget.get(key);
    if (known !== undefined) return known;
    const clients = siloClients(target);
    byTarget.set(key, clients);
    return clients;
  };
}

/** The region, if a silo may be placed there (`regions.siloAllowed`); a ValidationError names both. */
export function allowedSiloRegion(config: TenantryConfig, region: string, subject: string): string {
  if (config.regions.siloAllowed.includes(region)) return region;
  throw new ValidationError(subject, [
    {
      field: 'region',
      message: `"${region}" is not an allowed silo region (regions.siloAllowed: ${config.regions.siloAllowed.join(', ')})`,
    },
  ]);
}

/** The silo template creates IAM roles (its functions'), unnamed: CloudFormation requires this acknowledgement. */
export const SILO_STACK_CAPABILITIES = ['CAPABILITY_IAM'] as const;

/** Deployment values every silo stack receives (the lifecycle stack's resources). */
export interface SiloDeployment {
  /** The silo template in S3 (https URL; readable by CloudFormation in every allowed region). */
  readonly templateUrl: string;
  /**
   * The role CloudFormation deploys and deletes silo stacks with; null in a tenant's own account,
   * where the assumed deployment role deploys (a service role must be in the stack's account).
   */
  readonly deploymentRoleArn: string | null;
  readonly tenantAccessRoleArn: string;
  readonly dataMoverRoleArns: readonly string[];
  /**
   * In a tenant's own account: the platform account (catalog, usage stream, silo artifacts) and the
   * documents router's role there, which invokes the tenant's function across accounts.
   */
  readonly platform?: { readonly accountId: string; readonly routerRoleArn: string };
}

/** Where a tenant account's silo stack reaches the platform from (the silo-stack task's environment). */
export interface PlatformDeployment {
  readonly accountId: string;
  readonly routerRoleArn: string;
  /** The silo template in the platform's artifacts bucket, readable by the tenant accounts. */
  readonly templateUrl: string;
}

/** What the workflow polls: the stack's status and, once created, the tenant's silo resources. */
export interface SiloStackState {
  readonly stackName: string;
  readonly stackId: string | null;
  /** A CloudFormation stack status, or `ABSENT` when the region has no such stack (or it is deleted). */
  readonly status: string;
  readonly statusReason: string | null;
  /** The outputs as the catalog records them; set when the status is CREATE_COMPLETE. */
  readonly silo: SiloResources | null;
}

/**
 * Asks CloudFormation in the target's region to create the tenant's silo stack and reports where it
 * is. Idempotent: a stack an earlier attempt created is reported, not created again. The tier's
 * reserved concurrency is set unless `reserveConcurrency` is false (a tenant account's quota too low).
 */
export async function createSiloStack(
  clients: SiloClients,
  config: TenantryConfig,
  tenant: { readonly tenantId: TenantId; readonly tier: string; readonly reserveConcurrency?: boolean },
  deployment: SiloDeployment,
): Promise<SiloStackState> {
  const stackName = siloStackName(config, tenant.tenantId);
  try {
    await clients.cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateURL: deployment.templateUrl,
        ...(deployment.deploymentRoleArn === null ? {} : { RoleARN: deployment.deploymentRoleArn }),
        Parameters: [
          { ParameterKey: siloStackParameters.tenantId, ParameterValue: tenant.tenantId },
          { ParameterKey: siloStackParameters.tier, ParameterValue: tenant.tier },
          {
            ParameterKey: siloStackParameters.tenantAccessRoleArn,
            ParameterValue: deployment.tenantAccessRoleArn,
          },
          {
            ParameterKey: siloStackParameters.dataMoverRoleArns,
            ParameterValue: deployment.dataMoverRoleArns.join(','),
          },
          // Given even when empty (the platform's own account): every parameter the stack has is one an
          // update can keep with UsePreviousValue (moto keeps only the parameters given at create).
          {
            ParameterKey: siloStackParameters.platformAccountId,
            ParameterValue: deployment.platform?.accountId ?? '',
          },
          {
            ParameterKey: siloStackParameters.routerRoleArn,
            ParameterValue: deployment.platform?.routerRoleArn ?? '',
          },
          {
            ParameterKey: siloStackParameters.reservedConcurrency,
            ParameterValue: (tenant.reserveConcurrency === false
              ? 'none'
              : 'tier') satisfies ReservedConcurrencyChoice,
          },
        ],
        Tags: [{ Key: SILO_TENANT_TAG, Value: tenant.tenantId }],
        Capabilities: [...SILO_STACK_CAPABILITIES],
      }),
    );
  } catch (error) {
    if (!(error instanceof AlreadyExistsException)) throw error;
  }
  return describeSiloStack(clients, stackName);
}

/**
 * The silo stack as CloudFormation in the clients' region knows it. A completed stack's outputs must
 * name resources in that region (SiloStackError otherwise): the catalog never records a silo elsewhere.
 */
export async function describeSiloStack(clients: SiloClients, stackName: string): Promise<SiloStackState> {
  const stack = await findSiloStack(clients.cfn, stackName);
  if (stack === undefined || stack.StackStatus === 'DELETE_COMPLETE') {
    return { stackName, stackId: stack?.StackId ?? null, status: 'ABSENT', statusReason: null, silo: null };
  }
  const status = stack.StackStatus ?? 'UNKNOWN';
  return {
    stackName,
    stackId: stack.StackId ?? null,
    status,
    statusReason: stack.StackStatusReason ?? null,
    silo: status === 'CREATE_COMPLETE' ? siloResourcesOf(clients, stackName, stack) : null,
  };
}

/** The stack, or undefined when CloudFormation does not know it. */
export async function findSiloStack(
  cfn: CloudFormationClient,
  stackName: string,
): Promise<Stack | undefined> {
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return Stacks?.[0];
  } catch (error) {
    if (error instanceof Error && /does not exist/i.test(error.message)) return undefined;
    throw error;
  }
}

/**
 * The deployment of a silo in the tenant's own account: no service role, and the key policy names
 * the runtime role of that account (the authorizer assumes it there, issue 15) and, among the data
 * movers, the deployment role there: a promotion silo → account writes the tenant's items through it
 * (under a one-table session policy, domain/lifecycle/account-data.ts).
 */
export function accountDeployment(
  deployment: SiloDeployment,
  platform: PlatformDeployment,
  accounts: { readonly runtimeRoleName: string; readonly deploymentRoleName: string },
  accountId: string,
): SiloDeployment {
  return {
    ...deployment,
    templateUrl: platform.templateUrl,
    deploymentRoleArn: null,
    tenantAccessRoleArn: memberRoleArn(accountId, accounts.runtimeRoleName),
    dataMoverRoleArns: [
      ...deployment.dataMoverRoleArns,
      memberRoleArn(accountId, accounts.deploymentRoleName),
    ],
    platform: { accountId: platform.accountId, routerRoleArn: platform.routerRoleArn },
  };
}

/**
 * The tenant's silo resources as a created or updated stack reports them in its outputs; every ARN must
 * be in the clients' region (and account): SiloStackError otherwise.
 */
export function siloResourcesOf(clients: SiloClients, stackName: string, stack: Stack): SiloResources {
  const { region, accountId } = clients;
  const stackStatus = stack.StackStatus ?? 'UNKNOWN';
  const optionalOutput = (key: string) => {
    const value = stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    return value === undefined || value === '' ? undefined : value;
  };
  const output = (key: string) => {
    const value = optionalOutput(key);
    if (value === undefined) {
      throw new SiloStackError(stackName, stackStatus, `output ${key} is missing`);
    }
    return value;
  };
  const silo = {
    stackId: stack.StackId ?? stackName,
    tableName: output(siloStackOutputs.tableName),
    tableArn: output(siloStackOutputs.tableArn),
    kmsKeyArn: output(siloStackOutputs.kmsKeyArn),
    serviceFunctionArn: output(siloStackOutputs.serviceFunctionArn),
    // With the database on AWS (a template built for the local environment has none).
    databaseClusterArn: optionalOutput(siloStackOutputs.databaseClusterArn),
    databaseEndpoint: optionalOutput(siloStackOutputs.databaseEndpoint),
    databaseSecretArn: optionalOutput(siloStackOutputs.databaseSecretArn),
  };
  const arns = [
    silo.stackId,
    silo.tableArn,
    silo.kmsKeyArn,
    silo.serviceFunctionArn,
    silo.databaseClusterArn,
    silo.databaseSecretArn,
  ];
  for (const arn of arns.filter((a): a is string => a !== undefined)) {
    const [, , , arnRegion, arnAccount] = arn.split(':');
    if (arnRegion !== region) {
      throw new SiloStackError(stackName, stackStatus, `${arn} is not in the stack's region ${region}`);
    }
    if (accountId !== undefined && arnAccount !== accountId) {
      throw new SiloStackError(stackName, stackStatus, `${arn} is not in the tenant's account ${accountId}`);
    }
  }
  return silo;
}
