import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchPutDocuments } from '../../../../domain/aws/batch';
import { planLimitCheck } from '../../../../domain/billing/plan-limits';
import { cachedUsageLimitCheck } from '../../../../domain/identity/usage-limit';
import { counterKey } from '../../../../domain/keys';
import { clients, config, counterItem, startBillingTables, tables } from './support';

const DAY = new Date('2026-03-10T00:00:00.000Z');
const ctx = clients();

beforeAll(startBillingTables);

describe('plan limits over the CUMULATIVE counters', () => {
  const step = config.metering.cumulativeStepMinutes * 60_000;
  it('denies a tenant within one cumulative step of crossing its limit; the warm path reads nothing', async () => {
    // Prepare: starter tier allows 10,000 api.call per day; the tenant is at 9,999.
    const tenantId = 'tn-limit-over';
    await batchPutDocuments(ctx.docs, tables.counters, [
      counterItem(tenantId, 'api.call', 'CUMULATIVE', DAY, new Date('2026-03-10T10:00:00Z'), '9999'),
    ]);
    let clock = new Date('2026-03-10T10:00:30.000Z').getTime();
    let reads = 0;
    const { docs } = clients();
    docs.middlewareStack.add(
      (next) => async (args) => {
        reads++;
        return next(args);
      },
      { step: 'initialize' },
    );
    // As the authorizer composes it: the uncached check, cached for one cumulative step.
    const check = cachedUsageLimitCheck(
      planLimitCheck({ config, client: docs, countersTable: tables.counters, now: () => new Date(clock) }),
      config.metering.cumulativeStepMinutes * 60,
      () => clock,
    );
    // Act + Assess: under the limit
    expect(await check(tenantId, 'starter')).toEqual({ exceeded: false });
    expect(reads).toBe(1);
    for (let i = 0; i < 50; i++) await check(tenantId, 'starter');
    expect(reads).toBe(1); // warm path: no DynamoDB read per request
    // Flink's next step writes 10,000: the allowance is used up.
    await ctx.docs.send(
      new UpdateCommand({
        TableName: tables.counters,
        Key: counterKey(tenantId, 'api.call', 'CUMULATIVE', DAY.toISOString()),
        UpdateExpression: 'SET quantity = :q',
        ExpressionAttributeValues: { ':q': '10000' },
      }),
    );
    clock += step; // one cumulative step later the cached answer has expired
    expect(await check(tenantId, 'starter')).toEqual({ exceeded: true, metric: 'api.call' });
    expect(reads).toBe(2);
  });

  it('leaves a tenant under its limit, and yesterday’s total, unaffected', async () => {
    await batchPutDocuments(ctx.docs, tables.counters, [
      counterItem('tn-limit-under', 'api.call', 'CUMULATIVE', DAY, new Date('2026-03-10T10:00:00Z'), '50'),
      counterItem(
        'tn-limit-yday',
        'api.call',
        'CUMULATIVE',
        new Date(DAY.getTime() - 86_400_000),
        DAY,
        '99999',
      ),
    ]);
    const check = planLimitCheck({
      config,
      client: ctx.docs,
      countersTable: tables.counters,
      now: () => new Date('2026-03-10T10:00:30.000Z'),
    });
    expect(await check('tn-limit-under', 'starter')).toEqual({ exceeded: false });
    expect(await check('tn-limit-yday', 'starter')).toEqual({ exceeded: false });
  });
});
