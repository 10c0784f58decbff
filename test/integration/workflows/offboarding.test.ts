/**
 * Offboarding's erasure proves itself (issue 9.4): the write freeze outlasts credentials vended before
 * OFFBOARDING, the purge finds items by key prefix (not by the optional tenantId attribute), and the
 * final verification fails the run, naming what is left, instead of marking the tenant OFFBOARDED. The
 * verification reads the pool in checkpointed chunks (ERASURE_CHUNK_ITEMS set small in the last case),
 * and a leftover found only by the last chunk still fails the run.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { paginateGetExecutionHistory } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { erasureCursorSchema } from '../../../lambdas/tenant-erasure-verify/contract';
import { offboardingOutputSchema } from '../../../workflows/schemas';
import { setFunctionEnv, useLocalAws } from '../support';
import {
  activeTenant,
  eventsOf,
  type Harness,
  machineWithPause,
  run,
  seedItems,
  setupHarness,
  start,
  tally,
  waitForState,
} from './support';

/**
 * The lifetime of the tenant credentials the writer holds, scaled down from STS's 900 s; the workflow's
 * freeze is configured for it as `offboardingFreezeSeconds(config)` is for 900 s (lifetime + margin).
 */
const CREDENTIAL_SECONDS = 12;
const FREEZE_SECONDS = CREDENTIAL_SECONDS + 2;

let h: Harness;
let stopWriters: (() => Promise<void>)[] = [];

beforeAll(async () => {
  h = await setupHarness({ offboardingFreezeSeconds: FREEZE_SECONDS });
});

afterEach(async () => {
  await Promise.all(stopWriters.map((stop) => stop()));
  stopWriters = [];
});

/**
 * Writes one item under `TENANT#<tenantId>#<collection>` every 100 ms until `until()` says stop, as a
 * tenant session writes with its own credentials (straight to DynamoDB, no authorizer in between).
 * Every other item lacks the tenantId attribute. Returns the write times.
 */
function writer(tenantId: string, collection: string, sk: (n: number) => string, until: () => boolean) {
  const aws = useLocalAws();
  const client = new DynamoDBClient({ region: aws.region, endpoint: aws.endpoint });
  const writes: number[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let n = 0; !stopped && !until(); n++) {
      const item = {
        pk: { S: `TENANT#${tenantId}#${collection}` },
        sk: { S: sk(n) },
        ...(n % 2 === 0 ? { tenantId: { S: tenantId } } : {}),
      };
      await client.send(new PutItemCommand({ TableName: h.life.pooledTable, Item: item }));
      writes.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const stop = async () => {
    stopped = true;
    await loop;
  };
  stopWriters.push(stop);
  return { writes, stop };
}

const NOTHING_LEFT = { items: 0, objects: 0, users: 0, collectionTables: 0, siloStack: false, kmsKey: false };

describe('offboarding erasure', () => {
  it('outlasts a writer holding credentials vended before offboarding: nothing of the tenant is left', async () => {
    // Prepare
    await activeTenant(h, 'scribe');
    await seedItems(h, h.life.pooledTable, 'scribe', 30);
    const execution = await start(h, 'offboarding', { tenantId: 'scribe' });
    // Credentials vended as the status changes (the authorizer still honours the tenant until then).
    await waitForState(h, execution.executionArn, 'SetOffboarding');
    const vendedAt = Date.now();
    const session = writer(
      'scribe',
      'live',
      (n) => `w-${String(n).padStart(5, '0')}`,
      () => Date.now() >= vendedAt + CREDENTIAL_SECONDS * 1000,
    );

    // Act
    const result = await execution.wait(120_000);
    await session.stop();

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const tombstone = await h.catalog.get('scribe');
    const frozenAt = Date.parse(tombstone.history.find((e) => e.to === 'OFFBOARDING')?.at ?? '');
    // The writer did write while the tenant was OFFBOARDING (its credentials still valid) …
    expect(session.writes.filter((t) => t > frozenAt).length).toBeGreaterThan(5);
    // … and none of it, nor anything before, survived.
    expect((await tally(h, h.life.pooledTable, 'scribe')).count).toBe(0);
    expect(result.path).toContain('WriteFreeze');
    const output = offboardingOutputSchema.parse(result.output);
    expect(output.erasure.remaining).toEqual(NOTHING_LEFT);
    expect(output.erasure.attempts).toBe(1);
    expect(output.erasure.erased.items).toBe(30 + session.writes.length);
    expect(tombstone.status).toBe('OFFBOARDED');
    expect(tombstone.erasure).toEqual(output.erasure);
  });

  it('erases the items under the tenant prefix that lack the tenantId attribute', async () => {
    // Prepare
    await activeTenant(h, 'bare');
    await seedItems(h, h.life.pooledTable, 'bare', 10);
    for (const sk of ['n1', 'n2', 'n3', 'n4', 'n5']) {
      await h.dynamo.send(
        new PutItemCommand({
          TableName: h.life.pooledTable,
          Item: { pk: { S: 'TENANT#bare#notes' }, sk: { S: sk }, body: { S: `note ${sk}` } },
        }),
      );
    }
    await seedItems(h, h.life.pooledTable, 'bareback', 4);
    const neighbour = await tally(h, h.life.pooledTable, 'bareback');

    // Act
    const result = await run(h, 'offboarding', { tenantId: 'bare' });

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect((await tally(h, h.life.pooledTable, 'bare')).count).toBe(0);
    expect(await tally(h, h.life.pooledTable, 'bareback')).toEqual(neighbour);
    const output = offboardingOutputSchema.parse(result.output);
    expect(output.purgedItems).toBe(15);
    expect(output.erasure.erased.items).toBe(15);
    expect(output.erasure.remaining).toEqual(NOTHING_LEFT);
  });

  it('fails loudly, naming the leftover, when an item survives the second purge; the tenant stays OFFBOARDING', async () => {
    // Prepare: a pause after each object purge chunk, during which a writer the purge cannot outlast
    // puts the item back (it writes until the run ends).
    await activeTenant(h, 'haunted');
    await seedItems(h, h.life.pooledTable, 'haunted', 5);
    const machine = await machineWithPause(h, 'offboarding', 'PurgeObjects', 2);
    const execution = await start(h, machine, { tenantId: 'haunted' });
    let ended = false;
    writer(
      'haunted',
      'ghost',
      () => 'leftover',
      () => ended,
    );

    // Act
    const result = await execution.wait(120_000);
    ended = true;

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('OffboardingFailed');
    expect(result.cause).toContain('VerifyErasure: ErasureIncomplete: left after 2 purges');
    expect(result.cause).toContain('pooled items under TENANT#haunted#');
    expect(result.cause).toContain('TENANT#haunted#ghost/leftover');
    expect(result.path.filter((s) => s === 'VerifyErasure')).toHaveLength(2);
    expect(result.path).toContain('PurgeAgain');
    expect(result.path).not.toContain('SetOffboarded');
    const tenant = await h.catalog.get('haunted');
    expect(tenant.status).toBe('OFFBOARDING');
    expect(tenant.erasure).toBeUndefined();
    const events = await h.events();
    const failed = eventsOf(events, 'TenantOffboardingFailed', 'haunted');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.detail).toMatchObject({ error: 'ErasureIncomplete', failedState: 'VerifyErasure' });
    expect(eventsOf(events, 'TenantOffboarded', 'haunted')).toHaveLength(0);
  });
});

/** The cursors the VerifyErasureChunk states of an execution returned, in order. */
async function erasureCursors(executionArn: string) {
  const cursors = [];
  for await (const page of paginateGetExecutionHistory({ client: h.sfn }, { executionArn })) {
    for (const event of page.events ?? []) {
      const exited = event.stateExitedEventDetails;
      if (exited?.name !== 'VerifyErasureChunk' || exited.output === undefined) continue;
      cursors.push(erasureCursorSchema.parse(JSON.parse(exited.output)));
    }
  }
  return cursors;
}

describe('offboarding erasure: the final verification in checkpointed chunks', () => {
  const CHUNK_ITEMS = 10;
  const erasureVerifyEnv = () => ({
    POOLED_TABLE_NAME: h.life.pooledTable,
    TENANT_DATA_BUCKET_NAME: h.life.dataBucket,
    USER_POOL_ID: h.life.userPoolId,
  });

  beforeAll(async () => {
    await setFunctionEnv('tenant-erasure-verify', {
      ...erasureVerifyEnv(),
      ERASURE_CHUNK_ITEMS: String(CHUNK_ITEMS),
    });
  });
  afterAll(async () => {
    await setFunctionEnv('tenant-erasure-verify', erasureVerifyEnv());
  });

  it('reads the pool a chunk at a time, and a leftover only the last chunk finds fails the run loudly', async () => {
    // Prepare: another tenant's 40 items ahead of it in the pool; the leftover's key (`TENANT#zz-late#…`)
    // is the pool's last, so each verification reaches it in its last chunk only. A writer the purge
    // cannot outlast puts it back during a pause after each object purge chunk.
    await activeTenant(h, 'aa-early');
    await seedItems(h, h.life.pooledTable, 'aa-early', 40);
    await activeTenant(h, 'zz-late');
    await seedItems(h, h.life.pooledTable, 'zz-late', 5);
    const machine = await machineWithPause(h, 'offboarding', 'PurgeObjects', 2);
    const execution = await start(h, machine, { tenantId: 'zz-late' });
    let ended = false;
    writer(
      'zz-late',
      'zz-ghost',
      () => 'leftover',
      () => ended,
    );

    // Act
    const result = await execution.wait(240_000);
    ended = true;

    // Assess: failed, naming the leftover
    expect(result.status).toBe('FAILED');
    expect(result.cause).toContain('VerifyErasure: ErasureIncomplete: left after 2 purges');
    expect(result.cause).toContain('1 pooled items under TENANT#zz-late# in');
    expect(result.cause).toContain('TENANT#zz-late#zz-ghost/leftover');
    expect((await h.catalog.get('zz-late')).status).toBe('OFFBOARDING');
    // Two verifications (one per purge), each in several chunks: every chunk but the last of each found
    // nothing and gave no verdict; the last found the leftover and failed the check.
    const cursors = await erasureCursors(execution.executionArn);
    const firstEnd = cursors.findIndex((c) => c.done) + 1;
    const verifications = [cursors.slice(0, firstEnd), cursors.slice(firstEnd)];
    for (const chunks of verifications) {
      // at least 45 items to read (aa-early's 40, zz-late's leftover, the neighbours of earlier cases) at 10 per chunk
      expect(chunks.length).toBeGreaterThanOrEqual(5);
      const last = chunks[chunks.length - 1];
      for (const chunk of chunks.slice(0, -1)) {
        expect(chunk).toMatchObject({
          done: false,
          verdict: null,
          pool: { count: 0, done: false },
          sample: [],
        });
      }
      expect(last).toMatchObject({
        done: true,
        pool: { count: 1, done: true },
        sample: ['TENANT#zz-late#zz-ghost/leftover'],
        verdict: { clean: false },
      });
    }
    expect(cursors.filter((c) => c.done)).toHaveLength(2);
  });
});
