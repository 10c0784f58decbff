import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import { baseClientConfig } from '../aws/clients';
import type { TenantryConfig } from '../config';
import { dynamoDbViaService } from '../identity/session-policy';
import { awsAccountIdSchema } from '../tenant/tenant';
import type { TenantId } from '../tenant/tenant-id';
import { awsRegionSchema } from './inputs';
import { accountsSettings } from './member-account';
import { siloTableName } from './silo';
import { allowedSiloRegion, assumedRoleCredentials } from './silo-stack';

/**
 * Moving a silo tenant's items into its own account (promotion silo → account, issue 15).
 *
 * Direction: the control plane pushes. The source (the tenant's silo table in the platform account)
 * is read with the task's own role, a data mover its key policy already names; the target (the
 * same-named table in the tenant's account) is written through the deployment role the lifecycle
 * already assumes there, with an inline session policy that caps that session to one action on that
 * one table and the account's keys through DynamoDB in the tenant's region. The reverse (the account
 * pulling from the platform) would need a resource policy on a platform table and key naming a
 * principal of the tenant's account: the tenant account would hold a right in the platform account.
 * This way it holds none, and the powerful deployment role is never used unscoped for data.
 */

/** Where an account tenant's silo table is: its own account, in its region. */
export const accountTableTargetSchema = z.object({
  accountId: awsAccountIdSchema,
  region: awsRegionSchema,
});
export type AccountTableTarget = z.infer<typeof accountTableTargetSchema>;

/** What a session into the tenant's account does with its table: the copy writes, the verification reads. */
export type AccountDataAccess = 'write' | 'read';

const tableActions: Record<AccountDataAccess, readonly string[]> = {
  write: ['dynamodb:BatchWriteItem'],
  read: ['dynamodb:Scan'],
};

/** Actions DynamoDB takes on the table's KMS key with the caller's permissions. */
const keyActions = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

/**
 * The inline session policy of the deployment role's session that moves a tenant's items into its
 * account: `access`'s one action on the tenant's silo table there, and the account's keys in that
 * region only through DynamoDB (the table's key; the key policy names the deployment role as a data
 * mover). Nothing else, whatever the deployment role itself may do.
 */
export function accountDataSessionPolicy(
  config: TenantryConfig,
  tenantId: TenantId,
  target: AccountTableTarget,
  access: AccountDataAccess,
) {
  const { accountId, region } = target;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TheTenantTableOnly',
        Effect: 'Allow',
        Action: [...tableActions[access]],
        Resource: `arn:aws:dynamodb:${region}:${accountId}:table/${siloTableName(config, tenantId)}`,
      },
      {
        Sid: 'ItsKeyThroughDynamoDBOnly',
        Effect: 'Allow',
        Action: keyActions,
        Resource: `arn:aws:kms:${region}:${accountId}:key/*`,
        Condition: { StringEquals: { 'kms:ViaService': dynamoDbViaService(region) } },
      },
    ],
  };
}

/**
 * DynamoDB clients of both sides of the move, created once per side (warm invocations reuse them):
 * `platform(region)` acts with the task's own role in the tenant's region; `inAccount(...)` with the
 * deployment role assumed in the tenant's account under `accountDataSessionPolicy`. Regions outside
 * `regions.siloAllowed` are refused (ValidationError naming `subject`).
 */
export function accountDataClients(config: TenantryConfig, subject: string) {
  const platform = new Map<string, DynamoDBClient>();
  const accounts = new Map<string, DynamoDBClient>();
  return {
    platform(region: string): DynamoDBClient {
      const allowed = allowedSiloRegion(config, region, subject);
      let client = platform.get(allowed);
      if (client === undefined) {
        client = new DynamoDBClient(baseClientConfig({ region: allowed }));
        platform.set(allowed, client);
      }
      return client;
    },
    inAccount(tenantId: TenantId, target: AccountTableTarget, access: AccountDataAccess): DynamoDBClient {
      const region = allowedSiloRegion(config, target.region, subject);
      const key = `${tenantId}/${target.accountId}/${region}/${access}`;
      let client = accounts.get(key);
      if (client === undefined) {
        const base = baseClientConfig({ region });
        const policy = JSON.stringify(accountDataSessionPolicy(config, tenantId, target, access));
        const credentials = assumedRoleCredentials(
          new STSClient(base),
          target.accountId,
          accountsSettings(config).deploymentRoleName,
          `tenantry-${access}-${tenantId}`.slice(0, 64),
          policy,
        );
        client = new DynamoDBClient({ ...base, credentials });
        accounts.set(key, client);
      }
      return client;
    },
  };
}
