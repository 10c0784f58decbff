import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envVar } from '../../../domain/env';
import { EnvironmentError, ValidationError } from '../../../domain/errors';
import {
  contractHandler,
  defineFunction,
  functionEnvironment,
  parseFunctionInput,
  readFunctionEnv,
} from '../../../domain/function-contract';

const spec = {
  name: 'tenant-echo',
  description: 'Echoes a tenant id',
  env: { CATALOG_TABLE_NAME: envVar.name(), CACHE_SECONDS: envVar.seconds(30) },
  input: z.object({ tenantId: z.string().min(3) }),
  output: z.object({ tenantId: z.string(), echoed: z.boolean() }),
  grants: { readCatalog: { actions: ['dynamodb:GetItem'] } },
};

describe('defineFunction', () => {
  it('applies the default size (10 s, 256 MB) and keeps what the spec says', () => {
    const contract = defineFunction(spec);
    expect(contract).toMatchObject({ name: 'tenant-echo', timeoutSeconds: 10, memoryMb: 256 });
    expect(contract.grants.readCatalog.actions).toEqual(['dynamodb:GetItem']);
    expect(defineFunction({ ...spec, timeoutSeconds: 900, memoryMb: 10_240 })).toMatchObject({
      timeoutSeconds: 900,
      memoryMb: 10_240,
    });
  });

  it.each([
    [{ name: 'Tenant_Echo' }, 'name: must match', '(got "Tenant_Echo")'],
    [{ timeoutSeconds: 901 }, 'timeoutSeconds: must be 1-900', '(got 901)'],
    [{ timeoutSeconds: 0.5 }, 'timeoutSeconds: must be 1-900', '(got 0.5)'],
    [{ memoryMb: 64 }, 'memoryMb: must be 128-10240', '(got 64)'],
  ])('rejects %j naming the field and the bad value', (change, field, value) => {
    const define = () => defineFunction({ ...spec, ...change });
    expect(define).toThrow(ValidationError);
    expect(define).toThrow(field);
    expect(define).toThrow(value);
  });

  it('names the function whose contract is wrong', () => {
    expect(() => defineFunction({ ...spec, memoryMb: 1 })).toThrow('invalid function contract tenant-echo');
  });
});

describe('readFunctionEnv', () => {
  const contract = defineFunction(spec);

  it('returns the typed environment with defaults applied', () => {
    expect(readFunctionEnv(contract, { CATALOG_TABLE_NAME: 'catalog' })).toEqual({
      CATALOG_TABLE_NAME: 'catalog',
      CACHE_SECONDS: 30,
    });
  });

  it('names a missing variable', () => {
    const read = () => readFunctionEnv(contract, { CACHE_SECONDS: '5' });
    expect(read).toThrow(EnvironmentError);
    expect(read).toThrow('CATALOG_TABLE_NAME: is required but not set');
  });
});

describe('FunctionEnvironment (checked by `tsc` over the tests: a stale or missing name is an error)', () => {
  it('refuses a deployment that sets an old name or leaves a required variable out', () => {
    const contract = defineFunction(spec);
    // @ts-expect-error CATALOG_TABLE is not the contract's name (CATALOG_TABLE_NAME is)
    const stale = () => functionEnvironment(contract, { CATALOG_TABLE: 'catalog' });
    // @ts-expect-error CATALOG_TABLE_NAME is required
    const missing = () => functionEnvironment(contract, { CACHE_SECONDS: '5' });
    expect([stale, missing]).toHaveLength(2);
  });

  it('reads the environment under the contract names only', () => {
    const env = readFunctionEnv(defineFunction(spec), { CATALOG_TABLE_NAME: 'catalog' });
    // @ts-expect-error the handler cannot read a name the contract does not declare
    expect(env.CATALOG_TABLE).toBeUndefined();
    expect(env.CATALOG_TABLE_NAME).toBe('catalog');
  });
});

describe('functionEnvironment', () => {
  it('passes the values on, leaving out optional ones not given', () => {
    const contract = defineFunction(spec);
    expect(
      functionEnvironment(contract, { CATALOG_TABLE_NAME: 'catalog', CACHE_SECONDS: undefined }),
    ).toEqual({
      CATALOG_TABLE_NAME: 'catalog',
    });
  });
});

describe('parseFunctionInput', () => {
  const contract = defineFunction(spec);

  it('returns the parsed input', () => {
    expect(parseFunctionInput(contract, { tenantId: 'acme' })).toEqual({ tenantId: 'acme' });
  });

  it('names the bad field and the function', () => {
    const parse = () => parseFunctionInput(contract, { tenantId: 'a' });
    expect(parse).toThrow(ValidationError);
    expect(parse).toThrow(/^invalid tenant-echo input: tenantId: /);
  });
});

describe('contractHandler', () => {
  const contract = defineFunction(spec);

  it('gives the implementation the parsed input and its context, and rejects bad input before running it', async () => {
    // Prepare
    const seen: unknown[] = [];
    const handler = contractHandler(contract, async (input, context: { requestId: string } | undefined) => {
      seen.push(input, context);
      return { tenantId: input.tenantId, echoed: true };
    });
    // Act
    const output = await handler({ tenantId: 'acme' }, { requestId: 'r-1' });
    // Assess
    expect(output).toEqual({ tenantId: 'acme', echoed: true });
    expect(seen).toEqual([{ tenantId: 'acme' }, { requestId: 'r-1' }]);
    await expect(handler({ tenantId: 42 })).rejects.toThrow('invalid tenant-echo input: tenantId:');
    expect(seen).toHaveLength(2);
  });

  it('rejects an output that breaks the contract, naming the field', async () => {
    const handler = contractHandler(contract, async (input) => ({ tenantId: input.tenantId }) as never);
    await expect(handler({ tenantId: 'acme' })).rejects.toThrow(ValidationError);
    await expect(handler({ tenantId: 'acme' })).rejects.toThrow('invalid tenant-echo output: echoed:');
  });

  it('returns the output as the implementation gave it (checking never strips fields)', async () => {
    const handler = contractHandler(
      contract,
      async (input) => ({ tenantId: input.tenantId, echoed: true, extra: 'kept' }) as never,
    );
    expect(await handler({ tenantId: 'acme' })).toEqual({ tenantId: 'acme', echoed: true, extra: 'kept' });
  });
});
