import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { tenantKeyPrefix, tenantObjectPrefix } from '../keys';
import type { ErasureRemainder } from '../tenant/erasure';
import type { TenantId } from '../tenant/tenant-id';
import { remainingCollectionTables } from './collections';
import { remainingTenantUsers } from './identity';
import { type SiloLocation, siloRemainder } from './silo-erasure';
import type { SiloClients } from './silo-stack';
import {
  pooledTableByPrefix,
  REMAINDER_SAMPLE_SIZE,
  type Remainder,
  TALLY_START,
  type TallyChunkOptions,
  type TallyPosition,
  tallyTenantChunk,
} from './tenant-items';
import { remainingTenantObjects } from './tenant-objects';

/**
 * The final check of an offboarding, after the last purge: reads every store the tenant had data in,
 * with strongly consistent reads, and reports what is left and, for each store with a remainder, one
 * line naming it (counts and the first keys) for the workflow's failure. The pool is read whole (by key
 * prefix, see `pooledTableByPrefix`), so that read runs in chunks the workflow checkpoints; the other
 * stores are read by the chunk that finishes it.
 */
export interface ErasureStores {
  readonly dynamo: DynamoDBClient;
  readonly pooledTableName: string;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly cognito: CognitoIdentityProviderClient;
  readonly userPoolId: string;
}

export interface ErasureCheck {
  readonly remaining: ErasureRemainder;
  /** One line per store with something left; empty when nothing is. */
  readonly leftovers: readonly string[];
}

/** How far the check has got: the pool's key-prefix Scan, and the keys of the first items it found. */
export interface ErasureProgress {
  readonly pool: TallyPosition;
  readonly sample: readonly string[];
}

/** The check not started yet. */
export const ERASURE_CHECK_START: ErasureProgress = { pool: TALLY_START, sample: [] };

/**
 * One chunk of the check: continues the pool's Scan from `progress` (at most `options.maxItems` items
 * read, stopping early near the deadline). `check` is null while the pool is not read to its end; the
 * chunk that reaches the end reads the other stores and returns the verdict.
 */
export async function checkErasureChunk(
  stores: ErasureStores,
  tenantId: TenantId,
  silo: { readonly location: SiloLocation; readonly clients: SiloClients } | null,
  collectionTables: readonly string[],
  progress: ErasureProgress,
  options: TallyChunkOptions = {},
): Promise<{ readonly progress: ErasureProgress; readonly check: ErasureCheck | null }> {
  const chunk = progress.pool.done
    ? null
    : await tallyTenantChunk(
        stores.dynamo,
        pooledTableByPrefix(stores.pooledTableName),
        tenantId,
        progress.pool,
        options,
      );
  const next: ErasureProgress =
    chunk === null
      ? progress
      : {
          pool: chunk.position,
          sample: [...progress.sample, ...chunk.sample].slice(0, REMAINDER_SAMPLE_SIZE),
        };
  if (!next.pool.done) return { progress: next, check: null };

  const items: Remainder = { count: next.pool.count, sample: next.sample };
  const [objects, users, tablesLeft, siloLeft] = await Promise.all([
    remainingTenantObjects(stores.s3, stores.bucket, tenantId),
    remainingTenantUsers(stores.cognito, stores.userPoolId, tenantId),
    remainingCollectionTables(stores.dynamo, collectionTables),
    silo === null ? { siloStack: false, kmsKey: false } : siloRemainder(silo.location, silo.clients),
  ]);
  const leftovers = [
    describe(items, `pooled items under ${tenantKeyPrefix(tenantId)} in ${stores.pooledTableName}`),
    describe(objects, `object versions under ${tenantObjectPrefix(tenantId)} in ${stores.bucket}`),
    describe(users, `users with custom:tenantId ${tenantId} in ${stores.userPoolId}`),
  ].filter((line): line is string => line !== null);
  if (tablesLeft.length > 0) leftovers.push(`collection tables still exist: ${tablesLeft.join(', ')}`);
  if (silo !== null && siloLeft.siloStack) {
    leftovers.push(`silo stack ${silo.location.stackName} still exists in ${silo.location.region}`);
  }
  if (silo !== null && siloLeft.kmsKey) {
    leftovers.push(`silo key ${silo.location.kmsKeyArn} is not pending deletion`);
  }
  return {
    progress: next,
    check: {
      remaining: {
        items: items.count,
        objects: objects.count,
        users: users.count,
        collectionTables: tablesLeft.length,
        ...siloLeft,
      },
      leftovers,
    },
  };
}

function describe(remainder: Remainder, what: string): string | null {
  if (remainder.count === 0) return null;
  return `${remainder.count} ${what} (${remainder.sample.join(', ')})`;
}
