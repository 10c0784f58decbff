import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../../../domain/config';
import { collectionTableNamesOf } from '../../../../domain/lifecycle/collections';
import { collectionTableName, collectionTableNamePrefix } from '../../../../domain/tables';

describe('collection table names', () => {
  it('are <product>-<stage>-collection-<tenantId>.<collection>, under the one IAM prefix', () => {
    // Act
    const name = collectionTableName(defaultConfig, 'acme-eu', 'documents');

    // Assess
    expect(name).toBe('tenantry-dev-collection-acme-eu.documents');
    expect(name.startsWith(collectionTableNamePrefix(defaultConfig))).toBe(true);
  });

  it('refuse a tenant id or collection that could widen or confuse the name', () => {
    // Act / Assess
    expect(() => collectionTableName(defaultConfig, 'acme*', 'documents')).toThrow();
    expect(() => collectionTableName(defaultConfig, 'acme', 'docs.x')).toThrow(
      'collection "docs.x" is not a dedicated collection name',
    );
  });

  it("lists the recorded tables and every tier's collections for the tenant, once each", () => {
    // Prepare: a second tier naming another collection.
    const config = parseConfig({
      ...defaultConfig,
      tiers: defaultConfig.tiers.map((t) =>
        t.name === 'pro' ? { ...t, dedicatedCollections: ['notes', 'documents'] } : t,
      ),
    });
    const recorded = {
      collection: 'documents',
      tableName: 'tenantry-dev-collection-acme.documents',
      tableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/tenantry-dev-collection-acme.documents',
    };

    // Act
    const names = collectionTableNamesOf(config, { tenantId: 'acme', collections: [recorded] });

    // Assess
    expect(names).toEqual(['tenantry-dev-collection-acme.documents', 'tenantry-dev-collection-acme.notes']);
  });
});
