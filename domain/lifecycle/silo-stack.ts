import {
  AlreadyExistsException,
  CloudFormationClient,
  type CloudFormationClientConfig,
  CreateStackCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { KMSClient } from '@aws-sdk/client-kms';
import { baseClientConfig } from '../aws/clients';
import type { TenantryConfig } from '../config';
import { ValidationError } from '../errors';
import { siloStackName } from '../keys';
import type { SiloResources } from '../tenant/tenant';
import type { TenantId } from '../tenant/tenant-id';
import { SiloStackError } from './errors';
import { SILO_TENANT_TAG, siloStackOutputs, siloStackParameters } from './silo';

/**
 * A tenant's silo stack in the tenant's own region (data residency). A Step Functions SDK integration
 * calls CloudFormation in the state machine's region only, so the lifecycle tasks call it through
 * these regional clients instead (workflows/README.md, "Silo stacks in the tenant's region").
 */

/**
 * Where a silo lives: its region and, for a tenant in another account (issue 15), the credentials of
 * a role assumed there; without them the clients act with the task's own role.
 */
export interface SiloTarget {
  readonly region: string;
  readonly credentials?: CloudFormationClientConfig['credentials'];
}

/** The CloudFormation and KMS clients of one silo target. */
export interface SiloClients {
  readonly region: string;
  readonly cfn: CloudFormationClient;
  readonly kms: KMSClient;
}

export function siloClients(target: SiloTarget): SiloClients {
  const settings = {
    ...baseClientConfig({ region: target.region }),
    ...(target.credentials === undefined ? {} : { credentials: target.credentials }),
  };
  return { region: target.region, cfn: new CloudFormationClient(settings), kms: new KMSClient(settings) };
}

/** The task's own clients per region, created once per region (warm invocations reuse them). */
export function siloClientsByRegion(): (region: string) => SiloClients {
  const byRegion = new Map<string, SiloClients>();
  return (region) => {
    const known = byRegion.get(region);
    if (known !== undefined) return known;
    const clients = siloClients({ region });
    byRegion.set(region, clients);
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

/** Deployment values every silo stack receives (the lifecycle stack's resources). */
export interface SiloDeployment {
  /** The silo template in S3 (https URL; readable by CloudFormation in every allowed region). */
  readonly templateUrl: string;
  /** The role CloudFormation deploys and deletes silo stacks with. */
  readonly deploymentRoleArn: string;
  readonly tenantAccessRoleArn: string;
  readonly dataMoverRoleArns: readonly string[];
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
 * is. Idempotent: a stack an earlier attempt created is reported, not created again.
 */
export async function createSiloStack(
  clients: SiloClients,
  config: TenantryConfig,
  tenant: { readonly tenantId: TenantId; readonly tier: string },
  deployment: SiloDeployment,
): Promise<SiloStackState> {
  const stackName = siloStackName(config, tenant.tenantId);
  try {
    await clients.cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateURL: deployment.templateUrl,
        RoleARN: deployment.deploymentRoleArn,
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
        ],
        Tags: [{ Key: SILO_TENANT_TAG, Value: tenant.tenantId }],
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
    silo: status === 'CREATE_COMPLETE' ? siloResources(clients.region, stackName, stack) : null,
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

function siloResources(region: string, stackName: string, stack: Stack): SiloResources {
  const output = (key: string) => {
    const value = stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    if (value === undefined || value === '') {
      throw new SiloStackError(stackName, 'CREATE_COMPLETE', `output ${key} is missing`);
    }
    return value;
  };
  const silo = {
    stackId: stack.StackId ?? stackName,
    tableName: output(siloStackOutputs.tableName),
    tableArn: output(siloStackOutputs.tableArn),
    kmsKeyArn: output(siloStackOutputs.kmsKeyArn),
  };
  for (const arn of [silo.stackId, silo.tableArn, silo.kmsKeyArn]) {
    if (arn.split(':')[3] !== region) {
      throw new SiloStackError(stackName, 'CREATE_COMPLETE', `${arn} is not in the stack's region ${region}`);
    }
  }
  return silo;
}
