import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import { siloServiceFunctionName } from '../../../domain/lifecycle/silo';
import {
  FaultBook,
  functionEnv,
  functionNameFromIdentifier,
  type HandlerEntry,
  listHandlerFolders,
  resolveHandler,
  shapeError,
  validateEnvMap,
} from '../../../local/handler-registry';

const entries: HandlerEntry[] = [
  { folder: 'authorizer', file: '/repo/lambdas/authorizer/handler.ts' },
  { folder: 'token', file: '/repo/lambdas/token/handler.ts' },
  { folder: 'pre-token', file: '/repo/lambdas/pre-token/handler.ts' },
  { folder: 'local-diagnostic', file: '/repo/test/fixtures/local-diagnostic/handler.ts' },
];

describe('functionNameFromIdentifier', () => {
  it.each([
    ['my-fn', 'my-fn'],
    ['my-fn:live', 'my-fn'],
    ['arn:aws:lambda:us-east-1:123456789012:function:tenantry-dev-authorizer', 'tenantry-dev-authorizer'],
    ['arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ax-token%3A%24LATEST', 'x-token'],
    ['123456789012:function:partial-arn', 'partial-arn'],
  ])('%s -> %s', (identifier, expected) => {
    expect(functionNameFromIdentifier(identifier)).toBe(expected);
  });

  it('rejects a malformed ARN, naming it', () => {
    expect(() => functionNameFromIdentifier('arn:aws:lambda:us-east-1')).toThrow(
      /malformed Lambda function ARN/,
    );
  });
});

describe('resolveHandler', () => {
  it('resolves the exact folder name', () => {
    expect(resolveHandler('authorizer', entries)?.file).toBe('/repo/lambdas/authorizer/handler.ts');
  });

  it('resolves <prefix>-<folder>, preferring the longest folder suffix', () => {
    expect(resolveHandler('tenantry-prod-authorizer', entries)?.folder).toBe('authorizer');
    expect(resolveHandler('tenantry-prod-pre-token', entries)?.folder).toBe('pre-token');
    expect(resolveHandler('tenantry-prod-token', entries)?.folder).toBe('token');
  });

  it('does not match a folder that is only a substring without the dash', () => {
    expect(resolveHandler('tenantryauthorizer', entries)).toBeUndefined();
    expect(resolveHandler('authorizer-v2', entries)).toBeUndefined();
  });

  it('lets a later directory override an earlier one for the same folder', () => {
    const override = { folder: 'token', file: '/repo/test/fixtures/token/handler.ts' };
    expect(resolveHandler('x-token', [...entries, override])?.file).toBe(override.file);
  });
});

describe("a silo tenant's documents function", () => {
  it('runs the documents handler (not the router) under its own name, with its own environment entry', () => {
    // Prepare
    const entries = [
      { folder: 'documents', file: '/repo/lambdas/documents/handler.ts' },
      { folder: 'documents-router', file: '/repo/lambdas/documents-router/handler.ts' },
    ];
    const name = siloServiceFunctionName(defaultConfig, 'rheinbank');
    const arn = `arn:aws:lambda:eu-central-1:123456789012:function:${name}`;

    // Act
    const entry = resolveHandler(functionNameFromIdentifier(arn), entries);
    const env = functionEnv(
      { documents: { SILO_TENANT_ID: 'pooled-must-not-see-this' }, [name]: { SILO_TENANT_ID: 'rheinbank' } },
      name,
      'documents',
    );

    // Assess
    expect(entry?.folder).toBe('documents');
    expect(env).toEqual({ SILO_TENANT_ID: 'rheinbank' });
  });
});

describe('listHandlerFolders', () => {
  it('lists only folders with a handler.ts, skipping missing directories', () => {
    const dir = mkdtempSync(join(tmpdir(), 'handlers-'));
    mkdirSync(join(dir, 'with-handler'));
    writeFileSync(join(dir, 'with-handler', 'handler.ts'), 'export const handler = () => 1;');
    mkdirSync(join(dir, 'without-handler'));
    writeFileSync(join(dir, 'stray.ts'), '');
    expect(listHandlerFolders([join(dir, 'missing'), dir])).toEqual([
      { folder: 'with-handler', file: join(dir, 'with-handler', 'handler.ts') },
    ]);
  });
});

describe('shapeError', () => {
  class TenantNotFoundError extends Error {
    override name = 'TenantNotFoundError';
  }

  it('uses the error NAME as errorType (what Step Functions Retry/Catch match)', () => {
    const shaped = shapeError(new TenantNotFoundError('tenant t-1 not found'));
    expect(shaped.errorType).toBe('TenantNotFoundError');
    expect(shaped.errorMessage).toBe('tenant t-1 not found');
    expect(shaped.trace[0]).toBe('TenantNotFoundError: tenant t-1 not found');
  });

  it('shapes non-Error throws like the Node.js runtime', () => {
    expect(shapeError('boom')).toEqual({ errorType: 'string', errorMessage: 'boom', trace: [] });
    expect(shapeError({ name: 'Custom', message: 'm' })).toEqual({
      errorType: 'Custom',
      errorMessage: 'm',
      trace: [],
    });
  });
});

describe('functionEnv', () => {
  it('layers * defaults, then the folder entry, then the exact function name', () => {
    const map = {
      '*': { A: 'all', B: 'all', C: 'all' },
      authorizer: { B: 'folder', C: 'folder' },
      'tenantry-dev-authorizer': { C: 'name' },
    };
    expect(functionEnv(map, 'tenantry-dev-authorizer', 'authorizer')).toEqual({
      A: 'all',
      B: 'folder',
      C: 'name',
    });
    expect(functionEnv(map, 'authorizer', 'authorizer')).toEqual({ A: 'all', B: 'folder', C: 'folder' });
  });

  it('rejects non-string values, naming the variable', () => {
    expect(() => validateEnvMap({ fn: { PORT: 8080 } }, 'TENANTRY_HANDLER_ENV')).toThrow(
      'TENANTRY_HANDLER_ENV.fn.PORT: environment values must be strings',
    );
  });
});

describe('FaultBook', () => {
  it('fails exactly the next N invocations of the function (by name or folder), then none', () => {
    const book = new FaultBook();
    book.add({ function: 'authorizer', errorName: 'Lambda.TooManyRequestsException', times: 2 });
    expect(book.take('other-fn', 'other')).toBeUndefined();
    expect(book.take('tenantry-dev-authorizer', 'authorizer')?.errorType).toBe(
      'Lambda.TooManyRequestsException',
    );
    expect(book.take('authorizer', 'authorizer')?.errorType).toBe('Lambda.TooManyRequestsException');
    expect(book.take('authorizer', 'authorizer')).toBeUndefined();
    expect(book.list()).toEqual([]);
  });

  it('validates faults, naming the bad field', () => {
    const book = new FaultBook();
    expect(() => book.add({ function: 'f', errorName: 'E', times: 0 })).toThrow('fault.times');
    expect(() => book.add({ errorName: 'E' })).toThrow('fault.function');
  });
});
