import {
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { TenantryError } from '../errors';
import { tenantObjectPrefix } from '../keys';
import type { TenantId } from '../tenant/tenant-id';
import type { Remainder } from './tenant-items';

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

/**
 * What is left under the tenant's prefix `<id>/`: every object version and delete marker (an unversioned
 * bucket lists each object once, as version `null`), all pages. S3 lists are strongly consistent. The
 * S3 client has no paginator for ListObjectVersions, so the markers are followed here.
 */
export async function remainingTenantObjects(
  client: S3Client,
  bucket: string,
  tenantId: TenantId,
): Promise<Remainder> {
  const prefix = tenantObjectPrefix(tenantId);
  let count = 0;
  const sample: string[] = [];
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (;;) {
    const page: ListObjectVersionsCommandOutput = await client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, ...markers }),
    );
    const found = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].filter((v) =>
      v.Key?.startsWith(prefix),
    );
    count += found.length;
    for (const v of found.slice(0, 5 - sample.length)) sample.push(`${v.Key}@${v.VersionId ?? 'null'}`);
    if (!page.IsTruncated) return { count, sample };
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
}
