// `tenantry onboard | promote | offboard` against the lifecycle deployed on the local environment: the
// real state machines and handlers, followed by the command's progress line.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourceName } from '../../../../domain/config';
import { functionEnvironment } from '../../../../domain/function-contract';
import { pooledItem } from '../../../../domain/pooled-items';
import { contract as copyContract } from '../../../../lambdas/tenant-data-copy/contract';
import { executionPath } from '../../../../local/lifecycle';
import { injectFault, listInvocations, setFunctionEnv } from '../../support';
import { activeTenant, config, type Harness, seedItems, setupHarness, tally } from '../../workflows/support';
import { cli, json } from '../support';

let h: Harness;

/** `count` items of the tenant in one collection of the pooled table. */
async function seedItemsIn(h: Harness, tenantId: string, collection: string, count: number) {
  for (let i = 0; i < count; i += 1) {
    await h.dynamo.send(
      new PutItemCommand({
        TableName: h.life.pooledTable,
        Item: pooledItem(tenantId, collection, `doc-${i}`, { title: { S: `doc ${i}` } }),
      }),
    );
  }
}

beforeAll(async () => {
  h = await setupHarness();
});

const PROGRESS = /^(\w+) ([a-z0-9-]+): ([A-Za-z?]+)(?: · copied (\d+)\/(\d+))? · \d+\.\d s$/;

describe('tenantry promote', () => {
  it('follows the promotion line by line: states in workflow order, copied rising to the total', async () => {
    // Prepare: an active pro tenant with 600 pooled items, copied 100 per chunk (6 chunks)
    await activeTenant(h, 'climber', 'pro');
    await seedItems(h, h.life.pooledTable, 'climber', 600);
    await setFunctionEnv(
      copyContract.name,
      functionEnvironment(copyContract, { POOLED_TABLE_NAME: h.life.pooledTable, COPY_CHUNK_ITEMS: '100' }),
    );

    // Act
    const result = await cli('promote', 'climber', '--to', 'enterprise');

    // Assess: every stderr line is a progress line of this run
    expect(result.code).toBe(0);
    const lines = result.err.map((line) => {
      const match = PROGRESS.exec(line);
      expect(match, `not a progress line: ${line}`).not.toBeNull();
      const [, workflow, tenant, state, copied, total] = match as RegExpExecArray;
      return { workflow, tenant, state, copied: copied === undefined ? undefined : Number(copied), total };
    });
    expect(new Set(lines.map((l) => `${l.workflow} ${l.tenant}`))).toEqual(new Set(['promotion climber']));
    // The states shown appear in the order the execution entered them (the history is the ground truth).
    const executionArn = String(result.out.find((l) => l.includes('execution:'))?.split('execution: ')[1]);
    const path = await executionPath(h.sfn, executionArn);
    let cursor = 0;
    for (const { state } of lines.filter((l) => l.state !== 'starting')) {
      const at = path.indexOf(state as string, cursor);
      expect(at, `${state} out of order in ${path.join(' → ')}`).toBeGreaterThanOrEqual(0);
      cursor = at;
    }
    // Copy progress: out of the 600 items, never going back, ending at 600/600.
    const copies = lines.filter((l) => l.copied !== undefined);
    expect(copies.length).toBeGreaterThan(0);
    for (const l of copies) expect(l.total).toBe('600');
    const counts = copies.map((l) => l.copied as number);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(600);
    expect(lines.at(-1)?.state).toBe(path.at(-1));
    expect(result.out[0]).toMatch(/^promotion climber: SUCCEEDED in \d+\.\d s$/);
    expect((await h.catalog.get('climber')).tier).toBe('enterprise');
  });

  it('changes a pool tier: --to business moves the documents collection into its own table', async () => {
    // Prepare: a pro tenant with 6 pooled items, 2 of them in its documents collection
    await activeTenant(h, 'riser', 'pro');
    await seedItems(h, h.life.pooledTable, 'riser', 4);
    await seedItemsIn(h, 'riser', 'documents', 2);

    // Act
    const result = await cli('promote', 'riser', '--to', 'business');

    // Assess: the copy total is the 2 documents; the tenant is on business with its table recorded
    expect(result.code, result.err.join('\n')).toBe(0);
    expect(result.err.filter((l) => l.includes('copied')).at(-1)).toMatch(/copied 2\/2/);
    const tenant = await h.catalog.get('riser');
    expect(tenant).toMatchObject({ status: 'ACTIVE', tier: 'business', isolation: 'pool' });
    expect(tenant.collections?.map((t) => t.collection)).toEqual(['documents']);
  });

  it('refuses the tier the tenant is on, naming targetTier and the value, and starts nothing', async () => {
    // Prepare
    await activeTenant(h, 'stayer', 'pro');
    const before = await h.catalog.get('stayer');

    // Act
    const result = await cli('promote', 'stayer', '--to', 'pro');

    // Assess
    expect(result.code).toBe(2);
    expect(result.err.join('\n')).toContain('targetTier: "pro": tenant stayer is already on that tier');
    expect(await h.catalog.get('stayer')).toEqual(before);
  });

  it('exits 3 for a tenant that does not exist', async () => {
    const result = await cli('promote', 'nobody-here', '--to', 'enterprise');
    expect(result.code).toBe(3);
    expect(result.err).toEqual(['tenantry: TenantNotFoundError: tenant nobody-here does not exist']);
  });
});

describe('tenantry onboard', () => {
  it('onboards a tenant and prints the outcome as JSON', async () => {
    // Act
    const result = await cli(
      '--json',
      'onboard',
      '--id',
      'newcomer',
      '--name',
      'Newcomer Ltd',
      '--tier',
      'starter',
      '--admin-email',
      'admin@newcomer.example',
    );

    // Assess
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ workflow: 'onboarding', tenantId: 'newcomer', status: 'SUCCEEDED' });
    expect(result.err).toEqual([]);
    expect((await h.catalog.get('newcomer')).status).toBe('ACTIVE');
  });

  it('a failing onboarding exits 1 with its cause and the compensation taken', async () => {
    // Prepare: the catalog function refuses the tenant record once (not a retried error)
    await injectFault({
      function: resourceName(config, 'tenant-catalog'),
      errorName: 'InjectedFault',
      errorMessage: 'catalog unavailable',
      times: 1,
    });

    // Act
    const result = await cli(
      'onboard',
      '--id',
      'unlucky',
      '--name',
      'Unlucky Co',
      '--tier',
      'pro',
      '--admin-email',
      'admin@unlucky.example',
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.out[0]).toMatch(/^onboarding unlucky: FAILED in \d+\.\d s$/);
    expect(result.out).toContain('  error: OnboardingFailed');
    expect(result.out).toContain('  cause: CreateTenantRecord: InjectedFault: catalog unavailable');
    expect(result.out).toContain('  failed in: CreateTenantRecord');
    const compensation = result.out.find((l) => l.startsWith('  compensation: '));
    expect(compensation).toBe('  compensation: CompensateIdentity → CompensateCollectionTables → MarkFailed');
    expect((await listInvocations()).filter((c) => c.error === 'InjectedFault')).toHaveLength(1);
    expect(await h.catalog.find('unlucky')).toBeUndefined();
  });

  it('refuses an unknown tier, naming --tier and the allowed values, and starts nothing', async () => {
    const result = await cli(
      'onboard',
      '--id',
      'typo',
      '--name',
      'T',
      '--tier',
      'gold',
      '--admin-email',
      'a@b.example',
    );
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(
      "error: option '--tier <tier>' argument 'gold' is invalid. Allowed choices are starter, pro, business, enterprise.",
    );
    expect(await h.catalog.find('typo')).toBeUndefined();
  });

  it('refuses a bad email, naming --adminEmail, and starts nothing', async () => {
    const result = await cli(
      'onboard',
      '--id',
      'typo2',
      '--name',
      'T',
      '--tier',
      'pro',
      '--admin-email',
      'nope',
    );
    expect(result.code).toBe(2);
    expect(result.err).toEqual(['tenantry: ArgumentError: --adminEmail: must be an email address']);
    expect(await h.catalog.find('typo2')).toBeUndefined();
  });
});

describe('tenantry offboard', () => {
  it('offboards a tenant: its items are gone, it is OFFBOARDED', async () => {
    // Prepare
    await activeTenant(h, 'leaving', 'pro');
    await seedItems(h, h.life.pooledTable, 'leaving', 40);

    // Act
    const result = await cli('offboard', 'leaving', '--reason', 'contract ended');

    // Assess
    expect(result.code).toBe(0);
    expect(result.out[0]).toMatch(/^offboarding leaving: SUCCEEDED in \d+\.\d s$/);
    expect((await h.catalog.get('leaving')).status).toBe('OFFBOARDED');
    expect((await tally(h, h.life.pooledTable, 'leaving')).count).toBe(0);
    const shown = await cli('tenants', 'show', 'leaving');
    expect(shown.out).toContainEqual(
      expect.stringMatching(
        /^ {2}erasure: verified \S+ \(attempt 1\) by arn:aws:states:\S+ · erased 40 items, 0 object versions, 0 users · left 0 items, 0 objects, 0 users, silo stack gone, key not usable$/,
      ),
    );
  });
});
