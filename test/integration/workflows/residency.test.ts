// Data residency on the local environment with two regions (moto keeps regions apart): the state
// machines run in us-east-1, and a silo tenant's stack, table and key must land in — and be deleted
// from — the tenant's own region. The session the token-vending code asks STS for names what the
// catalog recorded.

import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { type AssumeRoleCommandInput, STSClient } from '@aws-sdk/client-sts';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../domain/identity/session-policy';
import { tenantDataResources } from '../../../domain/identity/tenant-resources';
import { TokenVendingMachine } from '../../../domain/identity/token-vending';
import { LOCAL_ACCOUNT } from '../../../local/lifecycle';
import { config, failure, type Harness, run, setupHarness, stackStatusIn } from './support';

const EU = 'eu-central-1';
const US = 'us-east-1';
const TENANT = 'bank-de';
const STACK = `tenantry-dev-silo-${TENANT}`;
const TABLE = `tenantry-dev-silo-data-${TENANT}`;
const EU_TABLE_ARN = `arn:aws:dynamodb:${EU}:${LOCAL_ACCOUNT}:table/${TABLE}`;

let h: Harness;
const clients = (region: string) => ({
  cfn: new CloudFormationClient({ region, endpoint: h.endpoint }),
  dynamo: new DynamoDBClient({ region, endpoint: h.endpoint }),
  kms: new KMSClient({ region, endpoint: h.endpoint }),
});

/** The stack's status in `region`, 'ABSENT' when that region's CloudFormation does not know it. */
const stackStatusInRegion = (region: string) => stackStatusIn(clients(region).cfn, TENANT);

beforeAll(async () => {
  h = await setupHarness();
});

describe("a silo in the tenant's region", () => {
  it('onboards an eu-central-1 enterprise tenant: its stack, table and key exist in eu-central-1, not in us-east-1', async () => {
    // Act
    const result = await run(h, 'onboarding', {
      tenantId: TENANT,
      name: 'Bank DE AG',
      tier: 'enterprise',
      adminEmail: 'admin@bank-de.example',
      region: EU,
    });

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const tenant = await h.catalog.get(TENANT);
    expect(tenant).toMatchObject({ status: 'ACTIVE', isolation: 'silo', region: EU });
    const eu = clients(EU);
    const us = clients(US);
    const { Table } = await eu.dynamo.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table?.TableArn).toBe(EU_TABLE_ARN);
    expect(await failure(us.dynamo.send(new DescribeTableCommand({ TableName: TABLE })))).toBe(
      'ResourceNotFoundException',
    );
    const kmsKeyArn = tenant.silo?.kmsKeyArn as string;
    expect(kmsKeyArn).toMatch(new RegExp(`^arn:aws:kms:${EU}:${LOCAL_ACCOUNT}:key/`));
    const { KeyMetadata } = await eu.kms.send(new DescribeKeyCommand({ KeyId: kmsKeyArn }));
    expect(KeyMetadata).toMatchObject({ KeyState: 'Enabled', Arn: kmsKeyArn });
    const keyId = KeyMetadata?.KeyId as string;
    expect(await failure(us.kms.send(new DescribeKeyCommand({ KeyId: keyId })))).toBe('NotFoundException');
    expect(await stackStatusInRegion(EU)).toBe('CREATE_COMPLETE');
    expect(await stackStatusInRegion(US)).toBe('ABSENT');
    // the catalog holds the real ARNs the stack reported
    const { Stacks } = await eu.cfn.send(new DescribeStacksCommand({ StackName: STACK }));
    expect(tenant.silo).toEqual({
      stackId: Stacks?.[0]?.StackId,
      tableName: TABLE,
      tableArn: EU_TABLE_ARN,
      kmsKeyArn,
      serviceFunctionArn: Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'ServiceFunctionArn')
        ?.OutputValue,
    });
    expect(tenant.silo?.stackId).toMatch(new RegExp(`^arn:aws:cloudformation:${EU}:`));
    expect(tenant.silo?.serviceFunctionArn).toMatch(new RegExp(`^arn:aws:lambda:${EU}:\\d{12}:function:`));
  });

  it('the session the token vending asks STS for names the eu-central-1 table and key', async () => {
    // Prepare: the real token vending against the local STS, recording what it sends
    const sent: AssumeRoleCommandInput[] = [];
    const sts = new STSClient({ region: US, endpoint: h.endpoint });
    sts.middlewareStack.add(
      (next) => async (args) => {
        sent.push(args.input as AssumeRoleCommandInput);
        return next(args);
      },
      { step: 'initialize' },
    );
    const vending = new TokenVendingMachine({
      sts,
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/tenantry-dev-tenant-runtime`,
    });
    const tenant = await h.catalog.get(TENANT);
    const pooled = await h.dynamo.send(new DescribeTableCommand({ TableName: h.life.pooledTable }));
    const location = { pooledTableArn: pooled.Table?.TableArn as string, bucketName: h.life.dataBucket };

    // Act: what the authorizer does for an allowed request of this tenant
    const resources = tenantDataResources(config, location, tenant);
    await vending.credentialsFor({ tenantId: TENANT, tier: tenant.tier, access: 'read-write', ...resources });

    // Assess
    expect(sent).toHaveLength(1);
    const policy = JSON.parse(sent[0]?.Policy as string) as PolicyDocument;
    const items = policy.Statement.find((s) => s.Sid === 'TenantItemsOnly');
    expect(items?.Resource).toEqual([EU_TABLE_ARN]);
    const key = policy.Statement.find((s) => s.Sid === 'SiloKeyThroughDynamoDbOnly');
    expect(key).toMatchObject({
      Resource: tenant.silo?.kmsKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${EU}.amazonaws.com` } },
    });
  });

  it('offboarding removes the stack and the table in eu-central-1 and schedules the key there', async () => {
    // Prepare
    const tenant = await h.catalog.get(TENANT);
    expect(await stackStatusInRegion(EU)).toBe('CREATE_COMPLETE');

    // Act
    const result = await run(h, 'offboarding', { tenantId: TENANT, reason: 'contract ended' });

    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toEqual(expect.arrayContaining(['SiloTeardown', 'DeleteSilo', 'SiloGone?']));
    expect(await stackStatusInRegion(EU)).toBe('ABSENT');
    const eu = clients(EU);
    expect(await failure(eu.dynamo.send(new DescribeTableCommand({ TableName: TABLE })))).toBe(
      'ResourceNotFoundException',
    );
    const { KeyMetadata } = await eu.kms.send(new DescribeKeyCommand({ KeyId: tenant.silo?.kmsKeyArn }));
    expect(KeyMetadata?.KeyState).toBe('PendingDeletion');
    expect((await h.catalog.get(TENANT)).status).toBe('OFFBOARDED');
  });
});

describe('regions outside regions.siloAllowed', () => {
  it('refuses an onboarding at Validate, naming the region and the allowed list, creating nothing', async () => {
    // Act
    const result = await run(h, 'onboarding', {
      tenantId: 'bank-in',
      name: 'Bank IN',
      tier: 'enterprise',
      adminEmail: 'admin@bank-in.example',
      region: 'ap-south-1',
    });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('OnboardingRejected');
    expect(result.path).toEqual(['Validate', 'EmitOnboardingRejected', 'OnboardingRejected']);
    expect(result.cause).toContain(
      'Validate: ValidationError: invalid onboarding input: region: "ap-south-1" is not allowed for silo tenants (allowed: us-east-1, eu-central-1)',
    );
    expect(await h.catalog.find('bank-in')).toBeUndefined();
  });

  it('refuses at Validate to promote a tenant whose region is no longer allowed for silos, changing nothing', async () => {
    // Prepare: a pooled tenant recorded in a region the configuration no longer allows for silos
    await h.catalog.create({
      tenantId: 'old-region',
      name: 'Old',
      tier: 'pro',
      isolation: 'pool',
      region: 'ap-south-1',
    });
    const before = await h.catalog.transition('old-region', 'ACTIVE', { reason: 'test setup' });

    // Act
    const result = await run(h, 'promotion', { tenantId: 'old-region', targetTier: 'enterprise' });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionRejected');
    expect(result.path).toEqual(['Validate', 'EmitPromotionRejected', 'PromotionRejected']);
    expect(result.cause).toContain(
      'Validate: ValidationError: invalid promotion input: region: tenant old-region is in "ap-south-1", which is not allowed for silo tenants (allowed: us-east-1, eu-central-1)',
    );
    expect((await h.catalog.get('old-region')).version).toBe(before.version);
    for (const region of ['ap-south-1', US]) {
      const { cfn } = clients(region);
      expect(
        await failure(cfn.send(new DescribeStacksCommand({ StackName: 'tenantry-dev-silo-old-region' }))),
      ).not.toBe('none');
    }
  });
});
