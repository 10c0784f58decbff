import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { baseClientConfig } from '../../domain/aws/clients';
import { loadConfig, resourceName } from '../../domain/config';
import { ValidationError } from '../../domain/errors';
import { contractHandler } from '../../domain/function-contract';
import { siloStackName } from '../../domain/keys';
import { siloTargetIn } from '../../domain/lifecycle/member-account';
import { lifecycleLogger } from '../../domain/lifecycle/runtime';
import { siloTableName } from '../../domain/lifecycle/silo';
import { retiredSiloRemainder } from '../../domain/lifecycle/silo-erasure';
import { allowedSiloRegion, siloClientsPerTarget } from '../../domain/lifecycle/silo-stack';
import { teardownSiloStep } from '../../domain/lifecycle/silo-teardown';
import { isTenantId } from '../../domain/tenant/tenant-id';
import { contract } from './contract';

const config = loadConfig();
const clientsIn = siloClientsPerTarget();
const logger = lifecycleLogger(contract.name);
const stackPrefix = resourceName(config, 'silo-');

export const handler = contractHandler(contract, async (request) => {
  const tenantId = request.stackName.slice(stackPrefix.length);
  if (!isTenantId(tenantId) || siloStackName(config, tenantId) !== request.stackName) {
    throw new ValidationError(`${contract.name} input`, [
      {
        field: 'stackName',
        message: `"${request.stackName}" is not a silo stack (expected ${stackPrefix}<tenantId>)`,
      },
    ]);
  }
  const region = allowedSiloRegion(config, request.region, `${contract.name} input`);
  if (request.action === 'verify' && request.kmsKeyArn !== undefined) {
    const remaining = await retiredSiloRemainder(
      {
        region,
        stackName: request.stackName,
        kmsKeyArn: request.kmsKeyArn,
        tableName: siloTableName(config, tenantId),
      },
      clientsIn({ region }),
      dynamoIn(region),
    );
    const clean = !remaining.siloStack && !remaining.table && !remaining.kmsKey;
    logger.info('silo erasure verified', { stackName: request.stackName, region, clean, ...remaining });
    return { remaining, clean, verifiedAt: new Date().toISOString() };
  }
  const { cfn, kms } = clientsIn(siloTargetIn(config, region, request.accountId));
  const result = await teardownSiloStep(cfn, kms, request.stackName, config.lifecycle.kmsPendingWindowDays);
  logger.info('silo teardown step', {
    stackName: request.stackName,
    region: request.region,
    accountId: request.accountId ?? null,
    status: result.status,
  });
  return result;
});

/** DynamoDB per silo region (the verification looks the table up where it lived). */
const dynamoClients = new Map<string, DynamoDBClient>();
function dynamoIn(region: string): DynamoDBClient {
  let client = dynamoClients.get(region);
  if (client === undefined) {
    client = new DynamoDBClient(baseClientConfig({ region }));
    dynamoClients.set(region, client);
  }
  return client;
}
