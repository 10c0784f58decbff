/**
 * Offboarding's erasure proves itself (issue 9.4): the write freeze outlasts credentials vended before
 * OFFBOARDING, the purge finds items by key prefix (not by the optional tenantId attribute), and the
 * final verification fails the run, naming what is left, instead of marking the tenant OFFBOARDED.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { offboardingOutputSchema } from '../../../workflows/schemas';
import { useLocalAws } from '../support';
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
