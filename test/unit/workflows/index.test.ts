import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import {
  allStates,
  checkDefinition,
  DefinitionError,
  type StateMachineDefinition,
} from '../../../workflows/asl';
import { buildWorkflows } from '../../../workflows/build';
import { sub, substitutionNames, transientErrors } from '../../../workflows/common';
import {
  buildDefinition,
  definitionJson,
  substitute,
  usedSubstitutions,
  workflowNames,
} from '../../../workflows/index';
import { accountConfig } from '../support/account-config';

type Validator = (definition: unknown) => { isValid: boolean; errorsText: (sep?: string) => string };
const require = createRequire(import.meta.url);
const aslModule = require('asl-validator') as Validator | { default: Validator };
const aslValidator: Validator = typeof aslModule === 'function' ? aslModule : aslModule.default;

const JSONPATH_ONLY_FIELDS = ['InputPath', 'OutputPath', 'Parameters', 'ResultPath', 'ResultSelector'];

// The default configuration, and one with account tenants (their states exist only with `accounts`).
const configs = { default: defaultConfig, 'with accounts': accountConfig } as const;
const definitions = workflowNames.flatMap((name) =>
  Object.entries(configs).map(([label, config]) => [name, label, config] as const),
);

describe.each(definitions)('the %s definition (%s configuration)', (name, _label, config) => {
  const definition = buildDefinition(name, config);

  it('is accepted by asl-validator (JSONata, with placeholders and with substitutions applied)', () => {
    // Prepare
    const text = definitionJson(name, config);
    const values = Object.fromEntries(
      substitutionNames.map((n) => [
        n,
        n.endsWith('Arn') ? `arn:aws:lambda:us-east-1:123456789012:function:${n}` : n,
      ]),
    );
    // Act
    const raw = aslValidator(JSON.parse(text));
    const substituted = aslValidator(JSON.parse(substitute(text, values)));
    // Assess
    expect(raw.isValid, raw.errorsText('\n')).toBe(true);
    expect(substituted.isValid, substituted.errorsText('\n')).toBe(true);
  });

  it('uses JSONata only (no JSONPath-only fields anywhere)', () => {
    const fields = allStates(definition).flatMap(({ name: state, state: s }) =>
      JSONPATH_ONLY_FIELDS.filter((f) => f in s).map((f) => `${state}.${f}`),
    );
    expect(definition.QueryLanguage).toBe('JSONata');
    expect(fields).toEqual([]);
  });

  it('gives every Task state a Retry on its integration transient errors and a catch-all Catch', () => {
    const tasks = allStates(definition).filter(({ state }) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(5);
    for (const { name: state, state: task } of tasks) {
      if (task.Type !== 'Task') continue;
      const retried = (task.Retry ?? []).flatMap((r) => r.ErrorEquals);
      const caught = (task.Catch ?? []).flatMap((c) => c.ErrorEquals);
      const integration = task.Resource.includes(':lambda:')
        ? 'lambda'
        : task.Resource.includes('cognitoidentityprovider')
          ? 'cognito'
          : 'events';
      expect(retried, `${state} Retry`).toEqual(expect.arrayContaining([...transientErrors[integration]]));
      expect(retried, `${state} must not retry everything`).not.toContain('States.ALL');
      expect(caught, `${state} Catch`).toContain('States.ALL');
      for (const r of task.Retry ?? []) expect(r.MaxAttempts ?? 3).toBeLessThanOrEqual(5);
    }
  });

  it('never retries a domain error that a retry cannot fix', () => {
    const retried = allStates(definition).flatMap(({ state }) =>
      state.Type === 'Task' ? (state.Retry ?? []).flatMap((r) => r.ErrorEquals) : [],
    );
    for (const error of [
      'ValidationError',
      'IllegalTransitionError',
      'TenantAlreadyExistsError',
      'DataVerificationError',
      'PurgeRefusedError',
      'StaleLifecyclePlanError',
    ]) {
      expect(retried).not.toContain(error);
    }
  });

  it('takes deployment-specific values only from known definition substitutions', () => {
    const used = usedSubstitutions(definitionJson(name, config));
    expect(used.length).toBeGreaterThan(3);
    for (const sub of used) expect(substitutionNames).toContain(sub);
    expect(() => substitute(definitionJson(name, config), {})).toThrow(/definition substitutions missing: /);
  });

  it('records the execution ARN on every catalog status change', () => {
    const transitions = allStates(definition).filter(
      ({ state }) =>
        state.Type === 'Task' && JSON.stringify(state.Arguments).includes('TenantTransitionFunctionArn'),
    );
    expect(transitions.length).toBeGreaterThanOrEqual(2);
    for (const { state } of transitions) {
      expect(JSON.stringify(state)).toContain('$states.context.Execution.Id');
    }
  });
});

describe('asl-validator as a gate', () => {
  it('rejects a JSONata definition carrying a JSONPath-only field, and a dangling Next', () => {
    const jsonPathField = JSON.parse(definitionJson('offboarding', defaultConfig));
    jsonPathField.States.Validate.ResultPath = '$.plan';
    const dangling = JSON.parse(definitionJson('offboarding', defaultConfig));
    dangling.States.FinalBill.Next = 'NoSuchState';
    const first = aslValidator(jsonPathField);
    const second = aslValidator(dangling);
    expect(first.isValid).toBe(false);
    expect(first.errorsText('\n')).toContain('/States/Validate');
    expect(second.isValid).toBe(false);
    expect(second.errorsText('\n')).toContain('NoSuchState');
  });
});

describe('checkDefinition', () => {
  it('names every transition to a missing state and every unreachable state', () => {
    const broken: StateMachineDefinition = {
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Next: 'Nowhere' },
        Orphan: { Type: 'Succeed' },
        Bad: { Type: 'Fail', Error: 'X' },
      },
    };
    expect(() => checkDefinition('broken', broken)).toThrow(DefinitionError);
    expect(() => checkDefinition('broken', broken)).toThrow(
      /A: transition to unknown state "Nowhere"[\s\S]*Orphan: unreachable/,
    );
  });
});

describe('onboarding definition', () => {
  it('freezes writes after SetMigrating for the substituted WriteFreezeSeconds, and rejects a stale or illegal SetMigrating', () => {
    const promotion = buildDefinition('promotion', defaultConfig);
    const states = promotion.States as unknown as Record<string, Record<string, unknown>>;
    expect(states.SetMigrating?.Next).toBe('WriteFreeze');
    expect(states.WriteFreeze).toMatchObject({ Type: 'Wait', Next: 'ToSilo?' });
    expect(states['ToSilo?']).toEqual({
      Type: 'Choice',
      Choices: [
        { Condition: "{% $plan.isolation = 'silo' %}", Next: 'CreateSiloStack' },
        { Condition: "{% $plan.move.direction = 'silo-to-pool' %}", Next: 'CreateDemotionTables' },
      ],
      Default: 'CreateCollectionTables',
    });
    expect(usedSubstitutions(JSON.stringify(states.WriteFreeze))).toEqual(['WriteFreezeSeconds']);
    const [first] = (states.SetMigrating?.Catch ?? []) as { ErrorEquals: string[]; Next: string }[];
    expect(first).toMatchObject({
      ErrorEquals: ['IllegalTransitionError', 'StaleLifecyclePlanError'],
      Next: 'EmitPromotionRejected',
    });
  });

  it('offboarding freezes writes for the substituted OffboardingFreezeSeconds, verifies, purges once more, then fails', () => {
    const offboarding = buildDefinition('offboarding', defaultConfig);
    const states = offboarding.States as unknown as Record<string, Record<string, unknown>>;
    expect(states.SetOffboarding?.Next).toBe('WriteFreeze');
    expect(states.WriteFreeze).toMatchObject({ Type: 'Wait', Next: 'FinalBill' });
    expect(usedSubstitutions(JSON.stringify(states.WriteFreeze))).toEqual(['OffboardingFreezeSeconds']);
    expect(states['MoreObjects?']?.Choices).toEqual([
      { Condition: '{% $purge.done %}', Next: 'VerifyErasure' },
    ]);
    expect(states['Erased?']).toEqual({
      Type: 'Choice',
      Choices: [
        { Condition: '{% $verification.verdict.clean %}', Next: 'SetOffboarded' },
        { Condition: '{% $erasureAttempts < 2 %}', Next: 'PurgeAgain' },
      ],
      Default: 'ErasureIncomplete',
    });
    expect(states.PurgeAgain).toMatchObject({ Type: 'Pass', Next: 'PurgeIdentity' });
    expect(states.ErasureIncomplete).toMatchObject({ Type: 'Pass', Next: 'EmitOffboardingFailed' });
    expect(JSON.stringify(states.SetOffboarded)).toContain('"erasure":"{% $verification.verdict.record %}"');
    // The final check runs in checkpointed chunks until one gives the verdict
    expect(states.VerifyErasure).toMatchObject({ Type: 'Pass', Next: 'VerifyErasureChunk' });
    expect(states.VerifyErasureChunk).toMatchObject({ Type: 'Task', Next: 'ErasureChecked?' });
    expect(states['ErasureChecked?']).toEqual({
      Type: 'Choice',
      Choices: [{ Condition: '{% $verification.done %}', Next: 'Erased?' }],
      Default: 'VerifyErasureChunk',
    });
  });

  it('polls the silo stack with the configured interval and bound', () => {
    const config = {
      ...defaultConfig,
      lifecycle: { ...defaultConfig.lifecycle, stackPollSeconds: 9, stackMaxPolls: 17 },
    };
    const definition = buildDefinition('onboarding', config);
    const wait = definition.States.WaitForSiloStack;
    const choice = definition.States['SiloStackReady?'];
    expect(wait).toMatchObject({ Type: 'Wait', Seconds: 9 });
    expect(JSON.stringify(choice)).toContain('$stackPolls < 17');
  });

  it('polls an account creation with accounts.createPollSeconds and createMaxPolls', () => {
    // Prepare
    const config = {
      ...accountConfig,
      accounts: { ...accountConfig.accounts, createPollSeconds: 7, createMaxPolls: 13 },
    } as typeof accountConfig;

    // Act
    const definition = buildDefinition('onboarding', config);

    // Assess
    expect(definition.States.WaitForAccount).toMatchObject({ Type: 'Wait', Seconds: 7 });
    expect(JSON.stringify(definition.States['AccountReady?'])).toContain('$accountPolls < 13');
  });

  it('has no account states without the accounts settings', () => {
    const names = workflowNames.flatMap((name) => Object.keys(buildDefinition(name, defaultConfig).States));
    expect(names.filter((n) => /Account|RuntimeRole/.test(n))).toEqual([]);
  });
});

describe('silo stacks in the tenant region', () => {
  it.each(workflowNames)(
    '%s: no CloudFormation service integration (it would act in the state machine region)',
    (name) => {
      const resources = allStates(buildDefinition(name, defaultConfig)).map(({ state }) =>
        state.Type === 'Task' ? state.Resource : '',
      );
      expect(resources.filter((r) => r.includes('cloudformation'))).toEqual([]);
    },
  );

  it.each([
    ['onboarding', ['CreateSiloStack', 'DescribeSiloStack', 'CompensateDeleteSilo']],
    ['promotion', ['CreateSiloStack', 'DescribeSiloStack', 'RollbackDeleteSilo']],
    ['offboarding', ['DeleteSilo']],
  ] as const)('%s: the silo stack tasks %j act in the region of the plan', (name, stateNames) => {
    const states = buildDefinition(name, defaultConfig).States as Record<string, { Arguments?: unknown }>;
    for (const stateName of stateNames) {
      const args = states[stateName]?.Arguments as { FunctionName: string; Payload: { region?: string } };
      expect(args.Payload.region, stateName).toBe('{% $plan.region %}');
    }
  });
});

describe('workflows/build.ts', () => {
  it('writes <name>.asl.json for every workflow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-workflows-'));
    const files = buildWorkflows(dir);
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      'offboarding.asl.json',
      'onboarding.asl.json',
      'promotion.asl.json',
    ]);
    const onboarding = JSON.parse(readFileSync(join(dir, 'onboarding.asl.json'), 'utf8'));
    expect(onboarding.StartAt).toBe('Validate');
    expect(onboarding.States.CreateSiloStack.Arguments.FunctionName).toBe(sub('SiloStackFunctionArn'));
  });
});
