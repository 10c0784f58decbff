import {
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, NotFoundException } from '@aws-sdk/client-kms';
import { findSiloStack, type SiloClients } from './silo-stack';

/** A silo to check, in the region it lives in (the clients must be built for that region). */
export interface SiloLocation {
  readonly region: string;
  readonly stackName: string;
  /** The silo's key as the catalog recorded it; null when no key was ever recorded. */
  readonly kmsKeyArn: string | null;
}

/**
 * What is left of a deleted silo: `siloStack` when CloudFormation still knows the stack (in any status
 * but DELETE_COMPLETE), `kmsKey` when the key exists and is not pending deletion. The clients must be
 * the silo's region's: a stack or key looked up in another region is "absent" there whatever it is.
 */
export async function siloRemainder(
  silo: SiloLocation,
  clients: SiloClients,
): Promise<{ siloStack: boolean; kmsKey: boolean }> {
  if (clients.region !== silo.region) {
    throw new RangeError(`silo in ${silo.region} checked with clients for ${clients.region}`);
  }
  const stack = await findSiloStack(clients.cfn, silo.stackName);
  const siloStack = stack !== undefined && stack.StackStatus !== 'DELETE_COMPLETE';
  if (silo.kmsKeyArn === null) return { siloStack, kmsKey: false };
  try {
    const { KeyMetadata } = await clients.kms.send(new DescribeKeyCommand({ KeyId: silo.kmsKeyArn }));
    return { siloStack, kmsKey: KeyMetadata?.KeyState !== 'PendingDeletion' };
  } catch (error) {
    if (error instanceof NotFoundException) return { siloStack, kmsKey: false };
    throw error;
  }
}

/**
 * What is left of a silo a promotion to an account retired: `siloRemainder`, and `table` when
 * DynamoDB in the silo's region still knows its table (in any status, DELETING included). The clients
 * and `dynamo` must be the silo's region's.
 */
export async function retiredSiloRemainder(
  silo: SiloLocation & { readonly tableName: string },
  clients: SiloClients,
  dynamo: DynamoDBClient,
): Promise<{ siloStack: boolean; table: boolean; kmsKey: boolean }> {
  const { siloStack, kmsKey } = await siloRemainder(silo, clients);
  try {
    await dynamo.send(new DescribeTableCommand({ TableName: silo.tableName }));
    return { siloStack, table: true, kmsKey };
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return { siloStack, table: false, kmsKey };
    throw error;
  }
}
