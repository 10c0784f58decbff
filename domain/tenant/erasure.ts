import { z } from 'zod';

/**
 * The erasure record of an offboarded tenant: what offboarding erased and what its final verification
 * (strongly consistent reads, after the last purge) found left. Written to the catalog with the
 * OFFBOARDED status (never without it: `remaining` must be all zero) and carried in the
 * TenantOffboarded event; `tenants show` prints it.
 *
 *   executionArn   the offboarding execution
 *   startedAt      when the execution started (ISO)
 *   verifiedAt     when the verification that found nothing left ran (ISO)
 *   attempts       purges run (1, or 2 when the first verification found something left)
 *   erased         items deleted from the pooled table, object versions and delete markers deleted under
 *                  `<id>/`, users deleted from the user pool, PostgreSQL rows deleted from the pooled
 *                  and the silo database (each erase step counts none left before it ends; 0 in
 *                  records written before rows were erased) — sums over the attempts
 *   remaining      what the verification found: items under `TENANT#<id>#`, object versions under `<id>/`,
 *                  users carrying the tenant id, dedicated collection tables still existing, and whether the silo stack still exists or its key is
 *                  not pending deletion
 *   keyDeletionDate the silo key's scheduled deletion date (null for a pooled tenant)
 */
const count = z.number().int().nonnegative();

export const erasureRemainderSchema = z.object({
  items: count,
  objects: count,
  users: count,
  /** Dedicated collection tables still existing (0 in records written before they existed). */
  collectionTables: count.default(0),
  siloStack: z.boolean(),
  kmsKey: z.boolean(),
});
export type ErasureRemainder = z.infer<typeof erasureRemainderSchema>;

export const erasureRecordSchema = z.object({
  executionArn: z.string().min(1).max(2048),
  startedAt: z.iso.datetime({ offset: true }),
  verifiedAt: z.iso.datetime(),
  attempts: z.number().int().min(1),
  erased: z.object({ items: count, objects: count, users: count, rows: count.default(0) }),
  remaining: erasureRemainderSchema,
  keyDeletionDate: z.iso.datetime().nullable(),
});
export type ErasureRecord = z.infer<typeof erasureRecordSchema>;

/** True when the verification found nothing of the tenant left. */
export function nothingRemains(remaining: ErasureRemainder): boolean {
  return (
    remaining.items === 0 &&
    remaining.objects === 0 &&
    remaining.users === 0 &&
    remaining.collectionTables === 0 &&
    !remaining.siloStack &&
    !remaining.kmsKey
  );
}
