// The lifecycle workflows on moto's Step Functions interpreter: real definitions (workflows/*.ts),
// real task handlers (lambdas/*) run by the local handler host, real CloudFormation/Cognito/DynamoDB/S3
// in moto. Happy paths, idempotency and input validation; faults are in faults.test.ts.

import {
  AdminGetUserCommand,
  CreateUserPoolClientCommand,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeKeyCommand, EncryptCommand, KMSClient, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { functionEnvironment } from '../../../domain/function-contract';
import { siloStackName } from '../../../domain/keys';
import { SIGNUP_DETAIL_TYPE, SIGNUP_EVENT_SOURCE } from '../../../domain/lifecycle/events';
import { onboardingExecutionName } from '../../../domain/lifecycle/execution-name';
import { contract as preTokenContract } from '../../../lambdas/pre-token-generation/contract';
import {
  offboardingOutputSchema,
  onboardingOutputSchema,
  promotionOutputSchema,
} from '../../../workflows/schemas';
import { listInvocations, setFunctionEnv, useLocalAws } from '../support';
import {
  activeTenant,
  config,
  eventsOf,
  groupExists,
  type Harness,
  objectKeys,
  plantedItemExists,
  plantForeignItem,
  putObjects,
  rowsOf,
  run,
  seedItems,
  seedRows,
  setupHarness,
  siloTable,
  stackStatus,
  tableExists,
  tally,
  tenantUser,
  userTenant,
  userTier,
} from './support';

let h: Harness;

beforeAll(async () => {
  h = await setupHarness();
});

const signup = (tenantId: string, tier: string) => ({
  tenantId,
  name: `${tenantId} Inc.`,
  tier,
  adminEmail: `admin@${tenantId}.example`,
});

describe('onboarding', () => {
  it('onboards a pooled tenant: catalog ACTIVE with the execution in its history, group and admin user, event', async () => {
    // Act
    const result = await run(h, 'onboarding', signup('pool-one', 'pro'));
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(onboardingOutputSchema.parse(result.output)).toEqual({
      tenantId: 'pool-one',
      status: 'ACTIVE',
      tier: 'pro',
      isolation: 'pool',
      silo: null,
    });
    expect(result.path).not.toContain('CreateSiloStack');
    const tenant = await h.catalog.get('pool-one');
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'pro', isolation: 'pool' });
    expect(tenant.history.map((e) => [e.to, e.executionArn])).toEqual([
      ['PENDING', result.executionArn],
      ['ACTIVE', result.executionArn],
    ]);
    expect(await groupExists(h, 'pool-one')).toBe(true);
    expect(await userTenant(h, 'admin@pool-one.example')).toBe('pool-one');
    expect(eventsOf(await h.events(), 'TenantOnboarded', 'pool-one')).toHaveLength(1);
  });

  it('onboards a silo tenant: its stack, table and KMS key exist and the catalog points at them', async () => {
    const result = await run(h, 'onboarding', signup('silo-one', 'enterprise'));
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const output = onboardingOutputSchema.parse(result.output);
    expect(result.path).toEqual(
      expect.arrayContaining([
        'CreateSiloStack',
        'DescribeSiloStack',
        'RecordSiloResources',
        'ActivateTenant',
      ]),
    );
    const tenant = await h.catalog.get('silo-one');
    expect(tenant).toMatchObject({ status: 'ACTIVE', isolation: 'silo', tier: 'enterprise' });
    expect(tenant.silo).toEqual(output.silo);
    expect(tenant.silo?.tableName).toBe('tenantry-dev-silo-data-silo-one');
    expect(await stackStatus(h, 'silo-one')).toBe('CREATE_COMPLETE');
    expect(await tableExists(h, tenant.silo?.tableName as string)).toBe(true);
    const kms = new KMSClient({ region: 'us-east-1', endpoint: h.endpoint });
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: tenant.silo?.kmsKeyArn, Plaintext: Buffer.from('tenant secret') }),
    );
    expect(encrypted.KeyId).toBe(tenant.silo?.kmsKeyArn);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: tenant.silo?.kmsKeyArn }));
    expect(KeyMetadata).toMatchObject({ KeyState: 'Enabled', Arn: tenant.silo?.kmsKeyArn });
    const { Tags } = await kms.send(new ListResourceTagsCommand({ KeyId: tenant.silo?.kmsKeyArn }));
    expect(Tags).toEqual(
      expect.arrayContaining([
        { TagKey: 'tenantry:tenant-id', TagValue: 'silo-one' },
        { TagKey: 'tenantry:tier', TagValue: 'enterprise' },
      ]),
    );
    expect(eventsOf(await h.events(), 'TenantOnboarded', 'silo-one')[0]?.detail).toMatchObject({
      isolation: 'silo',
    });
  });

  it('starts from a signup event; the same signup delivered twice makes one run, one tenant, one group, one stack', async () => {
    // Prepare
    const detail = signup('signup-twice', 'enterprise');
    const events = new EventBridgeClient({ region: 'us-east-1', endpoint: h.endpoint });
    const entry = {
      EventBusName: h.life.eventBusName,
      Source: SIGNUP_EVENT_SOURCE,
      DetailType: SIGNUP_DETAIL_TYPE,
      Detail: JSON.stringify(detail),
    };
    // Act: two deliveries of the same signup
    await events.send(new PutEventsCommand({ Entries: [entry] }));
    await events.send(new PutEventsCommand({ Entries: [entry] }));
    // Assess: wait for both starter invocations and the single execution
    const name = onboardingExecutionName(detail);
    const { starterCalls, executions } = await vi.waitFor(
      async () => {
        const starters = (await listInvocations()).filter((c) => c.folder === 'signup-starter').length;
        const list = await h.sfn.send(
          new ListExecutionsCommand({ stateMachineArn: h.life.stateMachineArns.onboarding }),
        );
        const runs = (list.executions ?? []).filter((e) => e.name?.startsWith('onboard-signup-twice'));
        if (starters < 2 || runs.length === 0 || runs.some((e) => e.status === 'RUNNING')) {
          throw new Error(`${starters} starter call(s), executions ${JSON.stringify(runs)}`);
        }
        return { starterCalls: starters, executions: runs };
      },
      { timeout: 60_000, interval: 250 },
    );
    expect(starterCalls).toBe(2);
    expect(executions.map((e) => [e.name, e.status])).toEqual([[name, 'SUCCEEDED']]);
    expect(await h.catalog.get('signup-twice')).toMatchObject({ status: 'ACTIVE', isolation: 'silo' });
    expect(await groupExists(h, 'signup-twice')).toBe(true);
    expect(await stackStatus(h, 'signup-twice')).toBe('CREATE_COMPLETE');
    expect(eventsOf(await h.events(), 'TenantOnboarded', 'signup-twice')).toHaveLength(1);
  });

  it('rejects another signup for an existing tenant id without touching the existing tenant', async () => {
    const result = await run(h, 'onboarding', { ...signup('pool-one', 'starter'), name: 'Impostor' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('OnboardingRejected');
    expect(result.cause).toContain('CreateTenantRecord: TenantAlreadyExistsError');
    expect(result.path).toEqual([
      'Validate',
      'CreateTenantRecord',
      'EmitOnboardingRejected',
      'OnboardingRejected',
    ]);
    expect(await h.catalog.get('pool-one')).toMatchObject({
      status: 'ACTIVE',
      tier: 'pro',
      name: 'pool-one Inc.',
    });
    expect(await groupExists(h, 'pool-one')).toBe(true);
    expect(await userTenant(h, 'admin@pool-one.example')).toBe('pool-one');
  });

  it.each([
    [
      'a missing name',
      { tenantId: 'bad-one', tier: 'pro', adminEmail: 'a@b.example' },
      'name: name is required',
    ],
    [
      'an empty name',
      { tenantId: 'bad-two', name: '   ', tier: 'pro', adminEmail: 'a@b.example' },
      'name: must not be empty',
    ],
    [
      'an unknown tier',
      { tenantId: 'bad-three', name: 'X', tier: 'platinum', adminEmail: 'a@b.example' },
      'tier: unknown tier "platinum"',
    ],
    [
      'a malformed tenant id',
      { tenantId: 'Bad#Id', name: 'X', tier: 'pro', adminEmail: 'a@b.example' },
      'tenantId: must be 3-40 characters',
    ],
    [
      'an invalid admin email',
      { tenantId: 'bad-five', name: 'X', tier: 'pro', adminEmail: 'admin-at-example' },
      'adminEmail: must be an email address',
    ],
  ])('fails at Validate on %s, with a clear error, and creates nothing', async (_case, input, message) => {
    await h.events();
    const result = await run(h, 'onboarding', input);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('OnboardingRejected');
    expect(result.cause).toContain('Validate: ValidationError');
    expect(result.cause).toContain(message);
    expect(result.path).toEqual(['Validate', 'EmitOnboardingRejected', 'OnboardingRejected']);
    const tenantId = String(input.tenantId);
    if (/^[a-z][a-z0-9-]+$/.test(tenantId)) {
      expect(await h.catalog.find(tenantId)).toBeUndefined();
      expect(await groupExists(h, tenantId)).toBe(false);
    }
    expect(await userTenant(h, String(input.adminEmail))).toBeNull();
    const rejected = (await h.events()).filter((e) => e.detailType === 'TenantOnboardingFailed');
    expect(rejected.map((e) => e.detail.stage)).toEqual(['rejected']);
  });
});

describe('promotion and offboarding', () => {
  it('promotes a pooled tenant to a silo: every item copied with an equal checksum, none left in the pool', async () => {
    // Prepare: the neighbour also planted an item under its own key labelled tenantId=grower (IAM cannot
    // pin attribute values); it is listed by the byTenant index for grower but must stay the neighbour's
    await activeTenant(h, 'grower', 'pro');
    await activeTenant(h, 'neighbour', 'pro');
    await seedItems(h, h.life.pooledTable, 'grower', 120);
    await seedItems(h, h.life.pooledTable, 'neighbour', 30);
    await plantForeignItem(h, 'neighbour', 'grower');
    await tenantUser(h, 'grower', 'ana@grower.example', 'pro');
    await tenantUser(h, 'grower', 'ben@grower.example', 'pro');
    await tenantUser(h, 'neighbour', 'nia@neighbour.example', 'pro');
    await seedRows(h, { place: 'pool' }, 'grower', 40);
    await seedRows(h, { place: 'pool' }, 'neighbour', 15);
    const before = await tally(h, h.life.pooledTable, 'grower');
    const neighbour = await tally(h, h.life.pooledTable, 'neighbour');
    const rows = await rowsOf(h, { place: 'pool' }, 'grower');
    const neighbourRows = await rowsOf(h, { place: 'pool' }, 'neighbour');
    // Act
    const result = await run(h, 'promotion', { tenantId: 'grower', targetTier: 'enterprise' });
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const output = promotionOutputSchema.parse(result.output);
    expect(output).toMatchObject({ items: 120, checksum: before.checksum, tier: 'enterprise' });
    expect(await tally(h, siloTable('grower'), 'grower')).toEqual(before);
    expect((await tally(h, siloTable('grower'), 'neighbour')).count).toBe(0);
    expect((await tally(h, h.life.pooledTable, 'grower')).count).toBe(0);
    expect(await tally(h, h.life.pooledTable, 'neighbour')).toEqual(neighbour);
    expect(await plantedItemExists(h, 'neighbour', 'grower')).toBe(true);
    // the PostgreSQL rows moved to the silo's database; the neighbour's stayed in the pool's
    expect(rows).toHaveLength(40);
    expect(await rowsOf(h, { place: 'silo', tenantId: 'grower' }, 'grower')).toEqual(rows);
    expect(await rowsOf(h, { place: 'pool' }, 'grower')).toEqual([]);
    expect(await rowsOf(h, { place: 'pool' }, 'neighbour')).toEqual(neighbourRows);
    expect(await rowsOf(h, { place: 'silo', tenantId: 'grower' }, 'neighbour')).toEqual([]);
    const tenant = await h.catalog.get('grower');
    expect(tenant).toMatchObject({
      status: 'ACTIVE',
      isolation: 'silo',
      tier: 'enterprise',
      silo: output.silo,
    });
    // every user of the tenant follows the catalog's tier; the neighbour's is untouched
    expect(await userTier(h, 'ana@grower.example')).toBe('enterprise');
    expect(await userTier(h, 'ben@grower.example')).toBe('enterprise');
    expect(await userTier(h, 'nia@neighbour.example')).toBe('pro');
    // every change audited with the execution ARN, the catalog switch and the users' tier as entries
    expect(tenant.history.slice(-4).map((e) => [e.from, e.to, e.executionArn])).toEqual([
      ['ACTIVE', 'MIGRATING', result.executionArn],
      ['MIGRATING', 'MIGRATING', result.executionArn],
      ['MIGRATING', 'MIGRATING', result.executionArn],
      ['MIGRATING', 'ACTIVE', result.executionArn],
    ]);
    expect(tenant.history.at(-3)?.reason).toBe(
      `placement: pro/pool → enterprise/silo (${siloTable('grower')})`,
    );
    expect(tenant.history.at(-2)?.reason).toBe('user tier → enterprise: 2 of 2 users');
    expect(eventsOf(await h.events(), 'TenantPromoted', 'grower')[0]?.detail).toMatchObject({
      items: 120,
      checksum: before.checksum,
    });
  });

  it('a user of the promoted tenant signs in: the token carries the new tier and the silo route', async () => {
    // Prepare: an app client, and the real pre-token trigger on the handler host (moto runs no triggers)
    const { UserPoolClient } = await h.cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: h.life.userPoolId,
        ClientName: 'promotion-sign-in',
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      }),
    );
    await setFunctionEnv(
      preTokenContract.name,
      functionEnvironment(preTokenContract, { CATALOG_TABLE_NAME: h.life.catalogTable }),
    );
    // Act: sign in, then the trigger Cognito runs with the user's attributes as the pool holds them
    const auth = await h.cognito.send(
      new InitiateAuthCommand({
        ClientId: UserPoolClient?.ClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'ana@grower.example', PASSWORD: 'Local-Passw0rd!' },
      }),
    );
    const idToken = String(auth.AuthenticationResult?.IdToken);
    const payload = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const user = await h.cognito.send(
      new AdminGetUserCommand({ UserPoolId: h.life.userPoolId, Username: 'ana@grower.example' }),
    );
    const userAttributes = Object.fromEntries((user.UserAttributes ?? []).map((a) => [a.Name, a.Value]));
    const response = await fetch(
      `${useLocalAws().handlerHostUrl}/2015-03-31/functions/${h.life.functionName(preTokenContract.name)}/invocations`,
      {
        method: 'POST',
        body: JSON.stringify({
          version: '2',
          triggerSource: 'TokenGeneration_Authentication',
          region: 'us-east-1',
          userPoolId: h.life.userPoolId,
          userName: 'ana@grower.example',
          callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: UserPoolClient?.ClientId },
          request: {
            userAttributes,
            groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null },
            scopes: ['openid'],
          },
          response: { claimsAndScopeOverrideDetails: null },
        }),
      },
    );
    // Assess: the token Cognito signs carries the user's new tier, the trigger adds the silo route
    expect(payload).toMatchObject({ 'custom:tenantId': 'grower', 'custom:tier': 'enterprise' });
    expect(response.headers.get('x-amz-function-error')).toBeNull();
    const trigger = (await response.json()) as {
      response: { claimsAndScopeOverrideDetails: Record<string, { claimsToAddOrOverride: object }> };
    };
    const expected = {
      tenantId: 'grower',
      tier: 'enterprise',
      isolation: 'silo',
      route: `silo:${siloStackName(config, 'grower')}`,
      tenantStatus: 'ACTIVE',
    };
    expect(trigger.response.claimsAndScopeOverrideDetails).toEqual({
      idTokenGeneration: { claimsToAddOrOverride: expected },
      accessTokenGeneration: { claimsToAddOrOverride: expected },
    });
  });

  it('refuses to promote a tenant that already has a silo, changing nothing', async () => {
    const before = await h.catalog.get('grower');
    const result = await run(h, 'promotion', { tenantId: 'grower', targetTier: 'enterprise' });
    expect(result.error).toBe('PromotionRejected');
    expect(result.cause).toContain('LifecyclePreconditionError');
    expect((await h.catalog.get('grower')).version).toBe(before.version);
  });

  it('offboards a pooled tenant: no item, object, user or group left; tombstone with audit trail; event', async () => {
    // Prepare
    const onboarded = await run(h, 'onboarding', signup('leaver', 'starter'));
    expect(onboarded.status, onboarded.cause).toBe('SUCCEEDED');
    await seedItems(h, h.life.pooledTable, 'leaver', 60);
    await seedRows(h, { place: 'pool' }, 'leaver', 6);
    const neighbourRows = await rowsOf(h, { place: 'pool' }, 'neighbour');
    await plantForeignItem(h, 'neighbour', 'leaver');
    await putObjects(h, [
      'leaver/a.pdf',
      'leaver/sub/b.json',
      'leaverish/not-theirs.txt',
      'neighbour/keep.txt',
    ]);
    const neighbour = await tally(h, h.life.pooledTable, 'neighbour');
    // Act
    const result = await run(h, 'offboarding', { tenantId: 'leaver', reason: 'contract ended' });
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(offboardingOutputSchema.parse(result.output)).toEqual({
      tenantId: 'leaver',
      status: 'OFFBOARDED',
      purgedItems: 60,
      purgedObjects: 2,
      keyDeletionDate: null,
      erasure: {
        executionArn: result.executionArn,
        startedAt: expect.any(String),
        verifiedAt: expect.any(String),
        attempts: 1,
        erased: { items: 60, objects: 2, users: 1, rows: 6 },
        remaining: { items: 0, objects: 0, users: 0, collectionTables: 0, siloStack: false, kmsKey: false },
        keyDeletionDate: null,
      },
    });
    expect((await tally(h, h.life.pooledTable, 'leaver')).count).toBe(0);
    expect(await objectKeys(h, 'leaver/')).toEqual([]);
    expect((await objectKeys(h, 'leaverish/')).length).toBe(1);
    expect(await tally(h, h.life.pooledTable, 'neighbour')).toEqual(neighbour);
    expect(await rowsOf(h, { place: 'pool' }, 'leaver')).toEqual([]);
    expect(await rowsOf(h, { place: 'pool' }, 'neighbour')).toEqual(neighbourRows);
    expect(await plantedItemExists(h, 'neighbour', 'leaver')).toBe(true);
    expect(await userTenant(h, 'admin@leaver.example')).toBeNull();
    expect(await groupExists(h, 'leaver')).toBe(false);
    const tombstone = await h.catalog.get('leaver');
    expect(tombstone.status).toBe('OFFBOARDED');
    expect(tombstone.erasure).toEqual(offboardingOutputSchema.parse(result.output).erasure);
    expect(tombstone.history.map((e) => e.to)).toEqual(['PENDING', 'ACTIVE', 'OFFBOARDING', 'OFFBOARDED']);
    expect(tombstone.history.at(-2)).toMatchObject({
      reason: 'contract ended',
      executionArn: result.executionArn,
    });
    const offboarded = eventsOf(await h.events(), 'TenantOffboarded', 'leaver');
    expect(offboarded).toHaveLength(1);
    expect(offboarded[0]?.detail.erasure).toEqual(tombstone.erasure);
  });

  it('offboards a silo tenant: stack and table deleted, key deletion scheduled with the configured window', async () => {
    const tenant = await h.catalog.get('grower');
    await putObjects(h, ['grower/report.csv']);
    const started = Date.now();
    const result = await run(h, 'offboarding', { tenantId: 'grower' });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toEqual(expect.arrayContaining(['SiloTeardown', 'DeleteSilo', 'SiloGone?']));
    const output = offboardingOutputSchema.parse(result.output);
    const window = config.lifecycle.kmsPendingWindowDays;
    const days = (Date.parse(output.keyDeletionDate as string) - started) / 86_400_000;
    expect(days).toBeGreaterThan(window - 0.01);
    expect(days).toBeLessThan(window + 0.01);
    expect(await stackStatus(h, 'grower')).toBe('ABSENT');
    expect(await tableExists(h, siloTable('grower'))).toBe(false);
    // The key outlives its stack, pending deletion (as CloudFormation leaves it on AWS), and is unusable.
    const kms = new KMSClient({ region: 'us-east-1', endpoint: h.endpoint });
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: tenant.silo?.kmsKeyArn }));
    expect(KeyMetadata?.KeyState).toBe('PendingDeletion');
    const keyDays = ((KeyMetadata?.DeletionDate?.getTime() ?? Number.NaN) - started) / 86_400_000;
    expect(keyDays).toBeGreaterThan(window - 0.01);
    expect(keyDays).toBeLessThan(window + 0.01);
    expect(KeyMetadata?.DeletionDate?.toISOString()).toBe(output.keyDeletionDate);
    await expect(
      kms.send(new EncryptCommand({ KeyId: tenant.silo?.kmsKeyArn, Plaintext: Buffer.from('x') })),
    ).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    expect(await objectKeys(h, 'grower/')).toEqual([]);
    expect((await h.catalog.get('grower')).status).toBe('OFFBOARDED');
    expect(eventsOf(await h.events(), 'TenantOffboarded', 'grower')[0]?.detail).toMatchObject({
      isolation: 'silo',
      keyDeletionDate: output.keyDeletionDate,
    });
    // the 40 rows the promotion moved into the silo's database, erased before its stack went
    expect(output.erasure.erased.rows).toBe(40);
    expect(await rowsOf(h, { place: 'silo', tenantId: 'grower' }, 'grower')).toEqual([]);
    expect(output.erasure.remaining).toEqual({
      items: 0,
      objects: 0,
      users: 0,
      collectionTables: 0,
      siloStack: false,
      kmsKey: false,
    });
    expect(output.erasure.keyDeletionDate).toBe(output.keyDeletionDate);
  });
});
