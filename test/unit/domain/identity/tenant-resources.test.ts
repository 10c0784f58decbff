import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { tenantDataResources } from '../../../../domain/identity/tenant-resources';
import { accountConfig } from '../../support/account-config';

const PLATFORM = '111122223333';
const TENANT_ACCOUNT = '210987654321';
const location = {
  pooledTableArn: `arn:aws:dynamodb:us-east-1:${PLATFORM}:table/tenantry-dev-pooled-data`,
  bucketName: 'tenantry-dev-tenant-data',
};
const siloIn = (account: string) => ({
  stackId: `arn:aws:cloudformation:eu-central-1:${account}:stack/tenantry-dev-silo-rhein/1`,
  tableName: 'tenantry-dev-silo-data-rhein',
  tableArn: `arn:aws:dynamodb:eu-central-1:${account}:table/tenantry-dev-silo-data-rhein`,
  kmsKeyArn: `arn:aws:kms:eu-central-1:${account}:key/0a1b2c3d-0000-4000-8000-000000000001`,
});
const accountTenant = {
  tenantId: 'rhein',
  isolation: 'account' as const,
  region: 'eu-central-1',
  accountId: TENANT_ACCOUNT,
  silo: siloIn(TENANT_ACCOUNT),
};

describe('tenantDataResources', () => {
  it('gives an account tenant its recorded table and key in its account, and the runtime role of that account', () => {
    // Act
    const resources = tenantDataResources(accountConfig, location, accountTenant);

    // Assess
    expect(resources).toEqual({
      tableArns: [siloIn(TENANT_ACCOUNT).tableArn],
      collectionTableArns: {},
      bucketArn: 'arn:aws:s3:::tenantry-dev-tenant-data',
      siloKeyArn: siloIn(TENANT_ACCOUNT).kmsKeyArn,
      roleArn: `arn:aws:iam::${TENANT_ACCOUNT}:role/TenantryTenantRuntime`,
    });
  });

  it.each([
    [
      'silo resources outside the recorded account',
      { ...accountTenant, silo: siloIn(PLATFORM) },
      accountConfig,
      /is not in the tenant's region eu-central-1 of account 210987654321/,
    ],
    [
      'no recorded account',
      { ...accountTenant, accountId: undefined },
      accountConfig,
      /account tenant has no account in the catalog/,
    ],
    ['no accounts settings', accountTenant, defaultConfig, /no accounts settings/],
  ])('refuses an account tenant with %s', (_case, tenant, config, message) => {
    // Act / Assess
    expect(() => tenantDataResources(config, location, tenant)).toThrow(message);
  });

  it('gives a business tenant the pooled table and its recorded collection table, by collection', () => {
    // Prepare
    const tableArn = `arn:aws:dynamodb:us-east-1:${PLATFORM}:table/tenantry-dev-collection-lumen.documents`;
    const tenant = {
      tenantId: 'lumen',
      isolation: 'pool' as const,
      region: 'us-east-1',
      collections: [
        { collection: 'documents', tableName: 'tenantry-dev-collection-lumen.documents', tableArn },
      ],
    };

    // Act
    const resources = tenantDataResources(defaultConfig, location, tenant);

    // Assess
    expect(resources).toEqual({
      tableArns: [location.pooledTableArn, tableArn],
      collectionTableArns: { documents: tableArn },
      bucketArn: 'arn:aws:s3:::tenantry-dev-tenant-data',
    });
  });

  it.each([
    [
      'in another account',
      `arn:aws:dynamodb:us-east-1:${TENANT_ACCOUNT}:table/tenantry-dev-collection-lumen.documents`,
    ],
    [
      'in another region',
      `arn:aws:dynamodb:eu-central-1:${PLATFORM}:table/tenantry-dev-collection-lumen.documents`,
    ],
    [
      'of another tenant',
      `arn:aws:dynamodb:us-east-1:${PLATFORM}:table/tenantry-dev-collection-rhein.documents`,
    ],
    ['not a collection table', `arn:aws:dynamodb:us-east-1:${PLATFORM}:table/tenantry-dev-catalog`],
  ])('refuses a recorded collection table %s', (_case, tableArn) => {
    // Prepare
    const tenant = {
      tenantId: 'lumen',
      isolation: 'pool' as const,
      region: 'us-east-1',
      collections: [{ collection: 'documents', tableName: 'x-documents', tableArn }],
    };

    // Act / Assess
    expect(() => tenantDataResources(defaultConfig, location, tenant)).toThrow(
      /collection table .* is not tenantry-dev-collection-lumen\.documents in the tenant's region us-east-1 of account 111122223333/,
    );
  });

  it('keeps a silo tenant on the platform role (no roleArn)', () => {
    // Act
    const resources = tenantDataResources(defaultConfig, location, {
      ...accountTenant,
      isolation: 'silo',
      accountId: undefined,
      silo: siloIn(PLATFORM),
    });

    // Assess
    expect(resources).not.toHaveProperty('roleArn');
    expect(resources.tableArns).toEqual([siloIn(PLATFORM).tableArn]);
  });
});
