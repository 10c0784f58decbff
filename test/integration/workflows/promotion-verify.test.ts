// Promotion of a pooled tenant whose copy is verified in several checkpointed chunks (VERIFY_CHUNK_ITEMS
// set small so that 100 items take several): each chunk reads at most the bound on each side and
// returns its running totals as the next chunk's cursor; a mismatch read in a later chunk still fails
// the promotion, which rolls back.
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { paginateGetExecutionHistory } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyCursorSchema } from '../../../lambdas/tenant-data-verify/contract';
import { promotionOutputSchema } from '../../../workflows/schemas';
import { setFunctionEnv } from '../support';
import {
  activeTenant,
  eventsOf,
  type Harness,
  machineWithPause,
  run,
  seedItems,
  setupHarness,
  siloTable,
  stackStatus,
  start,
  tally,
  waitForState,
} from './support';

const ITEMS = 100;
const CHUNK_ITEMS = 25;
let h: Harness;

beforeAll(async () => {
  h = await setupHarness();
  await setFunctionEnv('tenant-data-verify', {
    POOLED_TABLE_NAME: h.life.pooledTable,
    VERIFY_CHUNK_ITEMS: String(CHUNK_ITEMS),
  });
});

/** The cursors the VerifyChunk states of an execution returned, in order (failed chunks have none). */
async function verifyCursors(executionArn: string) {
  const cursors = [];
  for await (const page of paginateGetExecutionHistory({ client: h.sfn }, { executionArn })) {
    for (const event of page.events ?? []) {
      const exited = event.stateExitedEventDetails;
      if (exited?.name !== 'VerifyChunk' || exited.output === undefined) continue;
      const output = JSON.parse(exited.output) as Record<string, unknown>;
      // a chunk that failed exits through its Catch with the error as output, not a cursor
      if (!('Error' in output)) cursors.push(verifyCursorSchema.parse(output));
    }
  }
  return cursors;
}

describe('promotion: verification in checkpointed chunks', () => {
  it(`verifies ${ITEMS} items in chunks of at most ${CHUNK_ITEMS} per side, each checkpointed`, async () => {
    // Prepare
    await activeTenant(h, 'chunked', 'pro');
    await seedItems(h, h.life.pooledTable, 'chunked', ITEMS);
    const before = await tally(h, h.life.pooledTable, 'chunked');
    expect(before.count).toBe(ITEMS);
    // Act
    const result = await run(h, 'promotion', { tenantId: 'chunked', targetTier: 'enterprise' }, 180_000);
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(promotionOutputSchema.parse(result.output)).toMatchObject({
      items: ITEMS,
      checksum: before.checksum,
    });
    const cursors = await verifyCursors(result.executionArn);
    expect(result.path.filter((s) => s === 'VerifyChunk')).toHaveLength(cursors.length);
    expect(cursors.length).toBeGreaterThanOrEqual(ITEMS / CHUNK_ITEMS);
    let previous = { source: 0, target: 0 };
    for (const cursor of cursors) {
      // each chunk counted at most the bound on each side, and carried the running totals on
      expect(cursor.source.count - previous.source).toBeLessThanOrEqual(CHUNK_ITEMS);
      expect(cursor.target.count - previous.target).toBeLessThanOrEqual(CHUNK_ITEMS);
      previous = { source: cursor.source.count, target: cursor.target.count };
    }
    expect(cursors.slice(0, -1).every((c) => !c.done)).toBe(true);
    expect(cursors.at(-1)).toMatchObject({
      done: true,
      source: { count: ITEMS, checksum: before.checksum, done: true },
      target: { count: ITEMS, checksum: before.checksum, done: true },
    });
    expect(await tally(h, siloTable('chunked'), 'chunked')).toEqual(before);
    expect(await h.catalog.get('chunked')).toMatchObject({ status: 'ACTIVE', isolation: 'silo' });
  }, 240_000);

  it('fails and rolls back on a silo item that differs, read only in a later chunk', async () => {
    // Prepare: the run pauses before the verification starts (copy complete)
    const tenantId = 'chunked-corrupt';
    await activeTenant(h, tenantId, 'pro');
    await seedItems(h, h.life.pooledTable, tenantId, ITEMS);
    const before = await tally(h, h.life.pooledTable, tenantId);
    const machine = await machineWithPause(h, 'promotion', 'PrepareVerify', 5);
    await h.events();
    const execution = await start(h, machine, { tenantId, targetTier: 'enterprise' });
    await waitForState(h, execution.executionArn, 'TestPause', 120_000);
    // Act: the silo copy of the item last in key order changes (item 97, in the users partition, which
    // sorts after docs and settings): both sides are read in key order (moto's Scan too), so only the
    // last chunk reads it
    await h.dynamo.send(
      new UpdateItemCommand({
        TableName: siloTable(tenantId),
        Key: { pk: { S: `TENANT#${tenantId}#users` }, sk: { S: 'item-000097' } },
        UpdateExpression: 'SET body = :b',
        ExpressionAttributeValues: { ':b': { S: 'corrupted in the silo' } },
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
    const result = await execution.wait(180_000);
    // Assess: verified chunks before the failing one, then the rollback
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionFailed');
    expect(result.cause).toContain('VerifyChunk: DataVerificationError');
    expect(result.cause).toContain(`source has ${ITEMS} items (checksum ${before.checksum})`);
    const cursors = await verifyCursors(result.executionArn);
    expect(cursors.length).toBeGreaterThanOrEqual(ITEMS / CHUNK_ITEMS - 1);
    expect(cursors.every((c) => !c.done && c.source.count < ITEMS)).toBe(true);
    expect(result.path.filter((s) => s === 'VerifyChunk')).toHaveLength(cursors.length + 1);
    const rollback = result.path.slice(result.path.lastIndexOf('VerifyChunk') + 1);
    expect(rollback).toEqual(
      expect.arrayContaining(['Rollback', 'RevertCatalog', 'RevertUserTiers', 'RestoreActive']),
    );
    expect(result.path).not.toContain('SwitchCatalog');
    expect(result.path).not.toContain('PurgePoolChunk');
    expect(await tally(h, h.life.pooledTable, tenantId)).toEqual(before);
    const tenant = await h.catalog.get(tenantId);
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
    expect(tenant.silo).toBeUndefined();
    expect(await stackStatus(h, tenantId)).toBe('ABSENT');
    expect(eventsOf(await h.events(), 'TenantPromotionFailed', tenantId).map((e) => e.detail)).toEqual([
      expect.objectContaining({ stage: 'rolled-back', failedState: 'VerifyChunk', rolledBack: true }),
    ]);
  }, 240_000);
});
