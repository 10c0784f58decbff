import jsonataEngine from 'jsonata';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { copyCursorSchema } from '../../../lambdas/tenant-data-copy/contract';
import { purgeCursorSchema } from '../../../lambdas/tenant-data-purge/contract';
import { verifyCursorSchema } from '../../../lambdas/tenant-data-verify/contract';
import { userTierCursorSchema } from '../../../lambdas/tenant-user-tiers/contract';
import { allStates, jsonata, jsonataObject, jsonataString, type State } from '../../../workflows/asl';
import { catchFailure, substitutionNames } from '../../../workflows/common';
import { buildDefinition, workflowNames } from '../../../workflows/index';

/** The expression inside an embedded `{% … %}` one. */
function unwrap(embedded: unknown): string {
  const match = /^\{%(.*)%\}$/s.exec(String(embedded));
  if (match?.[1] === undefined) throw new Error(`not an embedded expression: ${String(embedded)}`);
  return match[1];
}

/** Evaluates an embedded expression the way Step Functions does (`$parse` is its extension). */
async function evaluate(embedded: unknown, bindings: Record<string, unknown>): Promise<unknown> {
  const parse = (text: string) => JSON.parse(text) as unknown;
  return jsonataEngine(unwrap(embedded)).evaluate({}, { parse, ...bindings });
}

function embeddedExpressions(value: unknown): string[] {
  if (typeof value === 'string') return /^\{%.*%\}$/s.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(embeddedExpressions);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(embeddedExpressions);
  return [];
}

describe('JSONata composition', () => {
  it('embeds an expression, quotes a string literal and builds an object constructor', async () => {
    // Prepare
    const object = jsonataObject({ name: jsonataString("it's \\ here"), size: '1 + 2' });
    // Act
    const value = await evaluate(jsonata(object), {});
    // Assess
    expect(object).toBe("{'name': 'it\\u0027s \\\\ here', 'size': 1 + 2}");
    expect(value).toEqual({ name: "it's \\ here", size: 3 });
  });

  it.each(workflowNames)('%s: every embedded expression compiles', (name) => {
    const expressions = embeddedExpressions(buildDefinition(name, defaultConfig));
    expect(expressions.length).toBeGreaterThan(20);
    for (const expression of expressions) {
      expect(() => jsonataEngine(unwrap(expression)), expression).not.toThrow();
    }
  });
});

describe('catchFailure', () => {
  const states = {
    errorOutput: {
      Error: 'PurgeRefusedError',
      Cause: JSON.stringify({ errorType: 'PurgeRefusedError', errorMessage: 'item a differs', trace: [] }),
    },
  };

  it('records the caught error as $failure, keeping a Lambda error message only', async () => {
    // Act
    const catcher = catchFailure('PurgePoolChunk', 'Rollback');
    const failure = await evaluate(catcher.Assign?.failure, { states });
    // Assess
    expect(catcher).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'Rollback' });
    expect(failure).toEqual({ state: 'PurgePoolChunk', error: 'PurgeRefusedError', cause: 'item a differs' });
  });

  it('appends to a compensation list and keeps $failure, or records nothing', async () => {
    // Prepare
    const earlier = { state: 'A', error: 'E', cause: 'c' };
    // Act
    const appended = catchFailure('MarkFailed', 'Next', {
      log: { appendTo: 'compensationErrors' },
      assign: { stage: 'rolled-forward' },
    });
    const kept = catchFailure('EmitFailed', 'Failed', { log: 'keep', errors: ['X'] });
    const list = await evaluate(appended.Assign?.compensationErrors, {
      states: { errorOutput: { Error: 'States.Timeout', Cause: 'no answer' } },
      compensationErrors: [earlier],
    });
    // Assess
    expect(Object.keys(appended.Assign ?? {})).toEqual(['compensationErrors', 'stage']);
    expect(appended.Assign?.stage).toBe('rolled-forward');
    expect(list).toEqual([earlier, { state: 'MarkFailed', error: 'States.Timeout', cause: 'no answer' }]);
    expect(kept).toEqual({ ErrorEquals: ['X'], Next: 'Failed' });
  });
});

describe('task functions', () => {
  it('carry their ARN in a substitution named after the function (PascalCase + FunctionArn)', () => {
    expect(substitutionNames.filter((name) => name.endsWith('FunctionArn'))).toEqual([
      'LifecycleValidateFunctionArn',
      'TenantCatalogFunctionArn',
      'TenantCollectionsFunctionArn',
      'TenantTransitionFunctionArn',
      'TenantDataCopyFunctionArn',
      'TenantDataVerifyFunctionArn',
      'TenantDataPurgeFunctionArn',
      'TenantRowsFunctionArn',
      'TenantErasureVerifyFunctionArn',
      'TenantIdentityPurgeFunctionArn',
      'TenantUserTiersFunctionArn',
      'SiloStackFunctionArn',
      'SiloDeprovisionFunctionArn',
      'TenantAccountFunctionArn',
      'BillingFinalFunctionArn',
    ]);
  });
});

describe('chunked loops', () => {
  const cursors = {
    '${TenantDataCopyFunctionArn}': copyCursorSchema,
    '${TenantDataPurgeFunctionArn}': purgeCursorSchema,
    '${TenantDataVerifyFunctionArn}': verifyCursorSchema,
    '${TenantUserTiersFunctionArn}': userTierCursorSchema,
  } as const;
  const loops = workflowNames.flatMap((workflow) => {
    const definition = buildDefinition(workflow, defaultConfig);
    const states = definition.States as Record<string, State>;
    return allStates(definition).flatMap(({ name, state }) => {
      if (state.Type !== 'Task') return [];
      const args = state.Arguments as { FunctionName: string; Payload: unknown };
      const schema = cursors[args.FunctionName as keyof typeof cursors];
      return schema === undefined
        ? []
        : [{ loop: `${workflow}/${name}`, name, task: state, args, schema, states }];
    });
  });
  /** The identifying fields each loop starts with. */
  const startFields = {
    'promotion/DemotionCopyChunk': ['tenantId', 'direction', 'siloTable', 'collections'],
    'promotion/DemotionVerifyChunk': ['tenantId', 'direction', 'siloTable', 'collections'],
    'promotion/UpdateDemotionUserTiers': ['tenantId', 'tier', 'executionArn'],
    'promotion/RemoveDemotionCopiesChunk': [
      'store',
      'tenantId',
      'verifiedAgainst',
      'direction',
      'collections',
    ],
    'promotion/CopyChunk': ['tenantId', 'direction', 'siloTable', 'collections'],
    'promotion/VerifyChunk': ['tenantId', 'direction', 'siloTable', 'collections'],
    'promotion/UpdateUserTiers': ['tenantId', 'tier', 'executionArn'],
    'promotion/PurgePoolChunk': ['store', 'tenantId', 'verifiedAgainst', 'direction', 'collections'],
    'promotion/RestoreChunk': ['tenantId', 'direction', 'siloTable', 'collections'],
    'promotion/RevertUserTiers': ['tenantId', 'tier', 'executionArn'],
    'promotion/RemoveCopiesChunk': ['store', 'tenantId', 'direction', 'collections'],
    'offboarding/PurgePooledItems': ['store', 'tenantId'],
    'offboarding/PurgeObjects': ['store', 'tenantId'],
  };
  const bindings = {
    plan: {
      tenantId: 'acme',
      fromTier: 'business',
      toTier: 'enterprise',
      move: { direction: 'pool-to-silo', collections: ['documents'] },
      fromSilo: { tableName: 'tenantry-dev-silo-acme' },
    },
    states: { context: { Execution: { Id: 'arn:aws:states:us-east-1:111122223333:execution:p:run' } } },
    silo: { tableName: 'tenantry-dev-silo-acme' },
    stack: { status: 'CREATE_COMPLETE', silo: { tableName: 'tenantry-dev-silo-acme' } },
  };

  it('are the copy/purge loops, the verify loops and the user-tier loops of each path', () => {
    expect(loops.map(({ loop }) => loop)).toEqual(Object.keys(startFields));
  });

  it.each(loops.map((loop) => [loop.loop, loop] as const))(
    '%s starts from the identifying fields, which the contract completes, and passes each output on',
    async (loop, { name, task, args, schema, states }) => {
      // Prepare: the Pass entering the chunk task assigns the start cursor
      const variable = /^\{% \$(\w+) %\}$/.exec(String(args.Payload))?.[1] ?? '';
      const start = Object.values(states).find((s) => s.Type === 'Pass' && s.Next === name);
      // Act
      const cursor = await evaluate(start?.Type === 'Pass' ? start.Assign?.[variable] : undefined, bindings);
      const input = schema.parse(cursor);
      // Assess
      expect(Object.keys(cursor as object)).toEqual(startFields[loop as keyof typeof startFields]);
      expect(input).toMatchObject({ tenantId: 'acme', done: false });
      if ('source' in input) {
        const unread = { partition: null, startKey: null, count: 0, checksum: '0'.repeat(16), done: false };
        expect([input.source, input.target]).toEqual([unread, unread]);
      } else {
        expect('startKey' in input ? input.startKey : input.nextToken).toBeNull();
        expect('copied' in input ? input.copied : 'purged' in input ? input.purged : input.updated).toBe(0);
      }
      expect(task.Assign).toEqual({ [variable]: '{% $states.result.Payload %}' });
      expect(states[String(task.Next)]).toEqual({
        Type: 'Choice',
        Choices: [{ Condition: `{% $${variable}.done %}`, Next: expect.any(String) }],
        Default: name,
      });
    },
  );
});
