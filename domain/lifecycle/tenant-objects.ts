import { DeleteObjectsCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { TenantryError } from '../errors';
import { tenantObjectPrefix } from '../keys';
import type { TenantId } from '../tenant/tenant-id';

/** S3 refused to delete some of a tenant's objects (the error names the first few keys and codes). */
export class ObjectDeletionError extends TenantryError {
  public constructor(bucket: string, failures: readonly { key: string; code: string }[]) {
    super(
      `${failures.length} objects of ${bucket} could not be deleted: ${failures
        .slice(0, 5)
        .map((f) => `${f.key} (${f.code})`)
        .join(', ')}`,
      { bucket, failures: failures.slice(0, 20) },
    );
  }
}

/**
 * Deletes up to 1,000 object versions (and delete markers) under the tenant's prefix `<id>/` — every
 * version, so nothing survives in a versioned bucket either. Listing restarts from the prefix each
 * call (deleted versions disappear), so no cursor is needed; `done` is true once nothing is left.
 */
export async function purgeTenantObjectsChunk(
  client: S3Client,
  bucket: string,
  tenantId: TenantId,
): Promise<{ deleted: number; done: boolean }> {
  const prefix = tenantObjectPrefix(tenantId);
  const page = await client.send(
    new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }),
  );
  const targets = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
    .filter((v) => v.Key?.startsWith(prefix))
    .slice(0, 1000)
    .map((v) => ({ Key: v.Key as string, VersionId: v.VersionId ?? undefined }));
  if (targets.length === 0) return { deleted: 0, done: true };
  const result = await client.send(
    new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: targets, Quiet: true } }),
  );
  const failures = (result.Errors ?? []).map((e) => ({ key: e.Key ?? '?', code: e.Code ?? 'Unknown' }));
  if (failures.length > 0) throw new ObjectDeletionError(bucket, failures);
  return { deleted: targets.length, done: false };
}
