import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { tenantRoute } from '../../../../domain/identity/claims';

describe('tenantRoute', () => {
  it('names the plane, and the dedicated collections a pooled tenant has in the catalog', () => {
    // Prepare
    const documents = {
      collection: 'documents',
      tableName: 'tenantry-dev-collection-lumen.documents',
      tableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/tenantry-dev-collection-lumen.documents',
    };

    // Act
    const routes = [
      tenantRoute(defaultConfig, { tenantId: 'lumen', isolation: 'pool' }),
      tenantRoute(defaultConfig, { tenantId: 'lumen', isolation: 'pool', collections: [documents] }),
      tenantRoute(defaultConfig, { tenantId: 'rhein', isolation: 'silo' }),
    ];

    // Assess
    expect(routes).toEqual(['pool', 'pool+documents', 'silo:tenantry-dev-silo-rhein']);
  });
});
