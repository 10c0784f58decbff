// Promotion of a large pooled tenant (10,000 items) on moto: copied in checkpointed chunks through a
// DynamoDB that answers half of every BatchWriteItem as UnprocessedItems (the copy retries them until
// none remain: no item is dropped), verified by count and checksum, purged from the pool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promotionOutputSchema } from '../../../workflows/schemas';
import { setFunctionEnv } from '../support';
import { activeTenant, type Harness, run, seedItems, setupHarness, siloTable, tally } from './support';
import { startUnprocessedProxy, type UnprocessedProxy } from './unprocessed-proxy';

const ITEMS = 10_000;
let h: Harness;
let proxy: UnprocessedProxy | undefined;

beforeAll(async () => {
  h = await setupHarness();
});
afterAll(async () => {
  await proxy?.close();
});

describe(`promotion of a pooled tenant holding ${ITEMS.toLocaleString('en')} items`, () => {
  it('copies every item despite UnprocessedItems (equal checksum), leaves none in the pool, routes to the silo', async () => {
    // Prepare: the copy function talks to DynamoDB through a proxy that answers half of every batch
    // write as UnprocessedItems (and does not write those)
    proxy = await startUnprocessedProxy(h.endpoint, 0.5);
    await setFunctionEnv('tenant-data-copy', {
      POOLED_TABLE_NAME: h.life.pooledTable,
      AWS_ENDPOINT_URL_DYNAMODB: proxy.url,
    });
    await activeTenant(h, 'big-pro', 'pro');
    await activeTenant(h, 'small-neighbour', 'pro');
    await seedItems(h, h.life.pooledTable, 'big-pro', ITEMS);
    await seedItems(h, h.life.pooledTable, 'small-neighbour', 25);
    const before = await tally(h, h.life.pooledTable, 'big-pro');
    const neighbour = await tally(h, h.life.pooledTable, 'small-neighbour');
    expect(before.count).toBe(ITEMS);
    // Act
    const result = await run(h, 'promotion', { tenantId: 'big-pro', targetTier: 'enterprise' }, 360_000);
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    console.log(
      `[promotion-10k] ${ITEMS} items promoted in ${result.ms} ms, ${proxy.unprocessed()} write requests ` +
        `answered unprocessed and retried; path: ${result.path.join(' > ')}`,
    );
    expect(proxy.unprocessed()).toBeGreaterThanOrEqual(ITEMS / 2);
    expect(promotionOutputSchema.parse(result.output)).toMatchObject({
      items: ITEMS,
      checksum: before.checksum,
    });
    expect(result.path.filter((s) => s === 'CopyChunk').length).toBeGreaterThan(1);
    expect(await tally(h, siloTable('big-pro'), 'big-pro')).toEqual(before);
    expect((await tally(h, h.life.pooledTable, 'big-pro')).count).toBe(0);
    expect(await tally(h, h.life.pooledTable, 'small-neighbour')).toEqual(neighbour);
    const tenant = await h.catalog.get('big-pro');
    expect(tenant).toMatchObject({ status: 'ACTIVE', isolation: 'silo', tier: 'enterprise' });
    expect(tenant.silo?.tableName).toBe(siloTable('big-pro'));
  }, 420_000); // ~100 s alone, far more on a loaded 2-core machine: its own budget, not the 120 s default
});
