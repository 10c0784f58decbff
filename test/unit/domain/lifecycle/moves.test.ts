import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { collectionTablesBeyond } from '../../../../domain/lifecycle/collections';
import {
  acrossTables,
  moveSources,
  moveTablesOf,
  moveTarget,
  reverseOf,
} from '../../../../domain/lifecycle/moves';
import { pooledPartition, pooledTable, siloTable } from '../../../../domain/lifecycle/tenant-items';

const POOL = 'tenantry-dev-pooled-data';
const SILO = 'tenantry-dev-silo-data-acme';
const DOCS = 'tenantry-dev-collection-acme.documents';
const tables = { tenantId: 'acme', pooledTable: POOL, siloTable: SILO, collections: ['documents'] };
const item = (collection: string) => ({ pk: { S: `TENANT#acme#${collection}` }, sk: { S: 'x' } });

describe('moves', () => {
  it('reads a business tenant to its silo from the pool (index) then its documents table (whole)', () => {
    expect(moveSources(defaultConfig, 'pool-to-silo', tables)).toEqual([
      pooledTable(POOL),
      { name: DOCS, layout: 'silo' },
    ]);
    expect(moveTarget(defaultConfig, 'pool-to-silo', tables)(item('docs'))).toBe(SILO);
  });

  it("restores a silo item to its collection's own table, any other to the pool", () => {
    expect(moveSources(defaultConfig, 'silo-to-pool', tables)).toEqual([siloTable(SILO)]);
    const target = moveTarget(defaultConfig, 'silo-to-pool', tables);
    expect([target(item('documents')), target(item('settings'))]).toEqual([DOCS, POOL]);
  });

  it("moves within the pool only the collection's partition, and back only its table", () => {
    const inPool = { ...tables, siloTable: null };
    expect(moveSources(defaultConfig, 'pool-to-collections', inPool)).toEqual([
      pooledPartition(POOL, 'TENANT#acme#documents'),
    ]);
    expect(moveTarget(defaultConfig, 'pool-to-collections', inPool)(item('documents'))).toBe(DOCS);
    expect(moveSources(defaultConfig, 'collections-to-pool', inPool)).toEqual([
      { name: DOCS, layout: 'silo' },
    ]);
    expect(moveTarget(defaultConfig, 'collections-to-pool', inPool)(item('documents'))).toBe(POOL);
  });

  it('verifies a move against the sources of its reverse, which is an involution', () => {
    for (const direction of Object.keys(reverseOf) as (keyof typeof reverseOf)[]) {
      expect(reverseOf[reverseOf[direction]]).toBe(direction);
    }
  });

  it.each([
    ['pool-to-silo', null, 'siloTable: null: pool-to-silo needs'],
    ['collections-to-pool', SILO, `siloTable: "${SILO}": collections-to-pool stays in the pool`],
    [
      'silo-to-pool',
      'tenantry-dev-silo-data-globex',
      'is not the silo table of this tenant (tenantry-dev-silo-data-acme)',
    ],
  ] as const)(
    'refuses %s with silo table %s, naming the field and the value',
    (direction, siloTable, message) => {
      expect(() =>
        moveTablesOf(defaultConfig, 'tenant-data-copy', POOL, {
          tenantId: 'acme',
          direction,
          siloTable,
          collections: [],
        }),
      ).toThrow(message);
    },
  );

  it('walks several tables within one budget, resuming inside a table and after it', async () => {
    // Prepare: two tables; the first yields 2 items in two pages, the second 1
    type Page = { handled: number; nextKey: Record<string, { S: string }> | null };
    const pages: Record<string, Page[]> = {
      a: [
        { handled: 1, nextKey: { sk: { S: '1' } } },
        { handled: 1, nextKey: null },
      ],
      b: [{ handled: 1, nextKey: null }],
    };
    const chunk = async (table: { name: string }) => ({
      ...(pages[table.name]?.shift() as Page),
      foreign: 0,
    });
    const both = [pooledTable('a'), pooledTable('b')];

    // Act
    const first = await acrossTables(both, { table: 0, startKey: null }, { maxItems: 1 }, chunk);
    const rest = await acrossTables(both, first, { maxItems: 10 }, chunk);

    // Assess
    expect(first).toMatchObject({ table: 0, startKey: { sk: { S: '1' } }, handled: 1, done: false });
    expect(rest).toMatchObject({ table: 2, startKey: null, handled: 2, done: true });
  });

  it('an empty move is done at once', async () => {
    const result = await acrossTables([], { table: 0, startKey: null }, { maxItems: 10 }, async () => {
      throw new Error('no table to read');
    });
    expect(result).toMatchObject({ done: true, handled: 0 });
  });
});

describe('collectionTablesBeyond', () => {
  const recorded = {
    tenantId: 'acme',
    collections: [
      { collection: 'documents', tableName: DOCS, tableArn: `arn:aws:dynamodb:us-east-1:1:table/${DOCS}` },
    ],
  };

  it('keeps the tables of the tier that names them and removes every other the tenant may have', () => {
    expect(collectionTablesBeyond(defaultConfig, recorded, 'business')).toEqual({
      remove: [],
      keep: recorded.collections,
    });
    expect(collectionTablesBeyond(defaultConfig, recorded, 'enterprise')).toEqual({
      remove: [DOCS],
      keep: [],
    });
    expect(collectionTablesBeyond(defaultConfig, { tenantId: 'acme' }, undefined)).toEqual({
      remove: [DOCS],
      keep: [],
    });
  });
});
