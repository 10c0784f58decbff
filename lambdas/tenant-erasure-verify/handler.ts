import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { baseClientConfig, s3ClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { ValidationError } from '../../domain/errors';
import { contractHandler, readFunctionEnv } from '../../domain/function-contract';
import { siloStackName } from '../../domain/keys';
import { collectionTableNamesOf } from '../../domain/lifecycle/collections';
import { checkErasureChunk } from '../../domain/lifecycle/erasure';
import { siloTargetIn } from '../../domain/lifecycle/member-account';
import { deadlineOf, lifecycleLogger, type RemainingTime, withTenant } from '../../domain/lifecycle/runtime';
import { siloClientsPerTarget } from '../../domain/lifecycle/silo-stack';
import { contract } from './contract';

const env = readFunctionEnv(contract);
const config = loadConfig();
const stores = {
  dynamo: new DynamoDBClient(baseClientConfig()),
  pooledTableName: env.POOLED_TABLE_NAME,
  s3: new S3Client(s3ClientConfig()),
  bucket: env.TENANT_DATA_BUCKET_NAME,
  cognito: new CognitoIdentityProviderClient(baseClientConfig()),
  userPoolId: env.USER_POOL_ID,
};
const logger = lifecycleLogger(contract.name);

/** CloudFormation and KMS clients per silo region (a silo is checked where it lives). */
const clientsFor = siloClientsPerTarget();

export const handler = contractHandler(contract, async (request, context?: RemainingTime) =>
  withTenant(logger, request.tenantId, async () => {
    const silo = request.silo;
    if (silo !== null && !config.regions.siloAllowed.includes(silo.region)) {
      throw new ValidationError(`${contract.name} input`, [
        {
          field: 'silo.region',
          message: `"${silo.region}" is not a silo region (allowed: ${config.regions.siloAllowed.join(', ')})`,
        },
      ]);
    }
    const { progress, check } = await checkErasureChunk(
      stores,
      request.tenantId,
      silo === null
        ? null
        : {
            location: {
              region: silo.region,
              kmsKeyArn: silo.kmsKeyArn,
              stackName: siloStackName(config, request.tenantId),
            },
            clients: clientsFor(siloTargetIn(config, silo.region, silo.accountId)),
          },
      collectionTableNamesOf(config, { tenantId: request.tenantId }),
      { pool: request.pool, sample: request.sample },
      { maxItems: env.ERASURE_CHUNK_ITEMS, deadline: deadlineOf(context) },
    );
    const cursor = { ...request, pool: progress.pool, sample: [...progress.sample] };
    if (check === null) {
      logger.info('erasure check: pool chunk read', { found: progress.pool.count });
      return cursor;
    }
    const clean = check.leftovers.length === 0;
    if (clean) logger.info('erasure verified', { attempts: request.attempts, ...request.erased });
    else logger.warn('erasure incomplete', { attempts: request.attempts, leftovers: check.leftovers });
    return {
      ...cursor,
      done: true,
      verdict: {
        clean,
        leftovers: [...check.leftovers],
        record: {
          executionArn: request.executionArn,
          startedAt: request.startedAt,
          verifiedAt: new Date().toISOString(),
          attempts: request.attempts,
          erased: request.erased,
          remaining: check.remaining,
          keyDeletionDate: request.keyDeletionDate,
        },
      },
    };
  }),
);
