import jsonataEngine from 'jsonata';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import type { State } from '../../../workflows/asl';
import { buildDefinition } from '../../../workflows/index';
import { accountConfig } from '../support/account-config';

// The compensation of an account tenant's provisioning (workflows/account.ts) waits, with a bound, for a
// CreateAccount request still IN_PROGRESS; it is shared by onboarding's compensation and the promotion's
// rollback. The Choice rules and assignments are evaluated with the JSONata engine Step Functions uses.

type States = Record<string, State & Record<string, unknown>>;
type Choice = { Choices: { Condition: string; Next: string }[]; Default: string };

/** Evaluates an embedded `{% … %}` expression with `bindings` as variables. */
function evaluate(embedded: unknown, bindings: Record<string, unknown>): Promise<unknown> {
  const match = /^\{%(.*)%\}$/s.exec(String(embedded));
  if (match?.[1] === undefined) throw new Error(`not an embedded expression: ${String(embedded)}`);
  return jsonataEngine(match[1]).evaluate({}, bindings);
}

/** Where the Choice `name` goes with `bindings`: its first matching rule, else its Default. */
async function choose(states: States, name: string, bindings: Record<string, unknown>): Promise<string> {
  const choice = states[name] as unknown as Choice;
  for (const rule of choice.Choices)
    if ((await evaluate(rule.Condition, bindings)) === true) return rule.Next;
  return choice.Default;
}

const POLL_SECONDS = 7;
const MAX_POLLS = 4;
const config = {
  ...accountConfig,
  accounts: { ...accountConfig.accounts, createPollSeconds: POLL_SECONDS, createMaxPolls: MAX_POLLS },
} as typeof accountConfig;
const inProgress = { requestId: 'car-1', state: 'IN_PROGRESS', accountId: null, failureReason: null };
const nothingFound = { requestId: null, state: 'FAILED', accountId: null, failureReason: 'no account' };

describe.each([
  ['onboarding', 'CompensateSiloTeardown', 'MarkFailed'],
  ['promotion', 'AccountRollbackSiloTeardown', 'RestoreActive'],
] as const)('the %s compensation of an account request', (workflow, teardown, done) => {
  const states = buildDefinition(workflow, config).States as States;

  it("asks FindAccount about the run's own request, or none when its answer never came", async () => {
    // Prepare
    const { Payload: payload } = (states.FindAccount?.Arguments ?? {}) as {
      Payload: Record<string, unknown>;
    };

    // Act
    const own = await evaluate(payload.requestId, { accountRequest: inProgress });
    const none = await evaluate(payload.requestId, { accountRequest: null });

    // Assess
    expect(payload.action).toBe('find');
    expect(own).toBe('car-1');
    expect(none).toBeNull();
  });

  it('tears down and closes an account that exists; ends when nothing of the tenant was found', async () => {
    // Act
    const found = await choose(states, 'AccountFound?', {
      accountId: '210987654321',
      accountRequest: { ...inProgress, state: 'SUCCEEDED', accountId: '210987654321' },
      pendingPolls: 0,
    });
    const none = await choose(states, 'AccountFound?', {
      accountId: null,
      accountRequest: nothingFound,
      pendingPolls: 0,
    });

    // Assess
    expect(found).toBe(teardown);
    expect(none).toBe(done);
  });

  it(`waits createPollSeconds between reads, at most createMaxPolls (${MAX_POLLS}) times, then flags the request`, async () => {
    // Prepare: a request that stays IN_PROGRESS through every read
    const wait = states.WaitForPendingAccount as {
      Seconds: number;
      Next: string;
      Assign: Record<string, string>;
    };
    let bindings: Record<string, unknown> = { accountId: null, accountRequest: inProgress, pendingPolls: 0 };
    const path: string[] = [];

    // Act: AccountFound? → WaitForPendingAccount → DescribePendingAccount → AccountFound? …
    let next = await choose(states, 'AccountFound?', bindings);
    while (next === 'WaitForPendingAccount' && path.length < 100) {
      path.push(next);
      bindings = { ...bindings, pendingPolls: await evaluate(wait.Assign.pendingPolls, bindings) };
      expect(wait.Next).toBe('DescribePendingAccount');
      expect(states.DescribePendingAccount?.Next).toBe('AccountFound?');
      next = await choose(states, 'AccountFound?', bindings);
    }

    // Assess
    expect(wait).toMatchObject({ Type: 'Wait', Seconds: POLL_SECONDS });
    expect(path).toHaveLength(MAX_POLLS);
    expect(next).toBe('FlagAccountRequestPending');
    expect(states.FlagAccountRequestPending?.Next).toBe(done);
  });

  it('goes to the teardown as soon as a read reports the account created', async () => {
    // Prepare: DescribePendingAccount's assignments after a SUCCEEDED answer
    const assign = states.DescribePendingAccount?.Assign as Record<string, string>;
    const result = { Payload: { ...inProgress, state: 'SUCCEEDED', accountId: '210987654321' } };
    const before = { accountId: null, accountRequest: inProgress, pendingPolls: 2, states: { result } };

    // Act
    const accountId = await evaluate(assign.accountId, before);
    const next = await choose(states, 'AccountFound?', {
      ...before,
      accountId,
      accountRequest: result.Payload,
    });

    // Assess
    expect(accountId).toBe('210987654321');
    expect(next).toBe(teardown);
  });

  it('flags the request when a read fails (the account may still be created)', () => {
    // Act
    const catchers = (states.DescribePendingAccount?.Catch ?? []) as {
      ErrorEquals: string[];
      Next: string;
    }[];

    // Assess
    expect(catchers).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'FlagAccountRequestPending' }),
    ]);
  });
});

describe.each([
  ['default', defaultConfig],
  ['with accounts', accountConfig],
] as const)('the promotion resuming an old silo flagged TEARDOWN_FAILED (%s configuration)', (_, cfg) => {
  const states = buildDefinition('promotion', cfg).States as States;

  it('goes from Validate to the retirement alone for a resume plan, to SetMigrating otherwise', async () => {
    // Act
    const resume = await choose(states, 'RetirementOnly?', { plan: { resumeRetirement: true } });
    const promotion = await choose(states, 'RetirementOnly?', { plan: { toTier: 'enterprise' } });

    // Assess
    expect(states.Validate?.Next).toBe('RetirementOnly?');
    expect(resume).toBe('ResumeRetirement');
    expect(states.ResumeRetirement?.Next).toBe('ResumeRetireOldSilo');
    expect(promotion).toBe('SetMigrating');
  });

  it('records the retirement with its execution ARN and ends without freezing or moving anything', () => {
    // Prepare: every state the resume may pass through
    const seen = new Set<string>();
    const visit = (name: string) => {
      const state = states[name];
      if (seen.has(name) || state === undefined) return;
      seen.add(name);
      const next = [
        ...(typeof state.Next === 'string' ? [state.Next] : []),
        ...(state.Type === 'Choice' ? [...state.Choices.map((r) => r.Next), state.Default ?? ''] : []),
        ...((state.Catch ?? []) as { Next: string }[]).map((c) => c.Next),
      ];
      for (const n of next) visit(n);
    };

    // Act
    visit('ResumeRetirement');

    // Assess
    expect([...seen].filter((n) => /Migrating|WriteFreeze|Switch(To|Catalog)|Copy|Rollback/.test(n))).toEqual(
      [],
    );
    expect(seen).toContain('OldSiloRetired');
    expect(seen).toContain('RetirementIncomplete');
    const record = ((states.ResumeRecordOldSiloErased?.Arguments ?? {}) as { Payload: { retired: unknown } })
      .Payload;
    expect(record.retired).toMatchObject({
      status: 'ERASED',
      executionArn: '{% $states.context.Execution.Id %}',
    });
  });
});

describe.each([
  ['onboarding', { tier: 'sovereign' }],
  ['promotion', { toTier: 'sovereign' }],
] as const)("the %s run's concurrency check in the account", (workflow, plan) => {
  const states = buildDefinition(workflow, config).States as States;
  const args = (name: string) =>
    ((states[name]?.Arguments ?? {}) as { Payload: Record<string, unknown> }).Payload;

  it("asks for the target tier's reservation in the tenant's region, after the runtime role and before the stack", async () => {
    // Prepare
    const payload = args('CheckConcurrency');
    const bindings = {
      plan: { tenantId: 'rhein', region: 'eu-central-1', ...plan },
      accountId: '210987654321',
    };

    // Act
    const tier = await evaluate(payload.tier, bindings);
    const region = await evaluate(payload.region, bindings);

    // Assess
    expect(payload.action).toBe('concurrency');
    expect(tier).toBe('sovereign');
    expect(region).toBe('eu-central-1');
    expect(states.EnsureRuntimeRole?.Next).toBe('CheckConcurrency');
  });

  it('flags a requested increase in the catalog, then creates the stack; goes straight on when none was needed', async () => {
    // Act
    const requested = await choose(states, 'ConcurrencyQuotaRequested?', {
      concurrency: { reserve: false, quotaRequest: { requestId: 'sq-1', desired: 150, status: 'PENDING' } },
    });
    const fits = await choose(states, 'ConcurrencyQuotaRequested?', {
      concurrency: { reserve: true, quotaRequest: null },
    });

    // Assess
    expect(requested).toBe('FlagConcurrencyQuota');
    expect(fits).toBe('CreateSiloStack');
    expect(states.FlagConcurrencyQuota?.Next).toBe('CreateSiloStack');
    expect(args('FlagConcurrencyQuota')).toMatchObject({ action: 'record-concurrency-quota' });
  });

  it('gives CreateSiloStack the decided reservation in an account only', async () => {
    // Prepare
    const payload = states.CreateSiloStack?.Arguments as { Payload: string };
    const plan = { tenantId: 'rhein', region: 'eu-central-1', tier: 'sovereign', toTier: 'sovereign' };

    // Act
    const inAccount = await evaluate(payload.Payload, {
      plan,
      accountId: '210987654321',
      reserveConcurrency: false,
    });
    const notInAccount = await evaluate(payload.Payload, { plan, accountId: null });

    // Assess
    expect(inAccount).toMatchObject({
      action: 'create',
      accountId: '210987654321',
      reserveConcurrency: false,
    });
    expect(notInAccount).not.toHaveProperty('reserveConcurrency');
    expect(notInAccount).not.toHaveProperty('accountId');
  });
});
