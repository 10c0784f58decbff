import { describe, expect, it } from 'vitest';
import { retiredSiloSchema } from '../../../../domain/tenant/tenant';

// The catalog record of a silo a promotion to an account left behind: ERASED only with a clean verification.
const silo = {
  stackId: 'arn:aws:cloudformation:eu-central-1:123456789012:stack/tenantry-dev-silo-acme/1',
  tableName: 'tenantry-dev-silo-data-acme',
  tableArn: 'arn:aws:dynamodb:eu-central-1:123456789012:table/tenantry-dev-silo-data-acme',
  kmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000001',
};
const base = {
  silo,
  region: 'eu-central-1',
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:p:1',
};
const clean = { siloStack: false, table: false, kmsKey: false };

describe('retired silo record', () => {
  it('accepts ERASED with a verification that found nothing left, and the other statuses without one', () => {
    expect(
      retiredSiloSchema.safeParse({
        ...base,
        status: 'ERASED',
        remaining: clean,
        verifiedAt: '2026-12-01T10:00:00.000Z',
      }).success,
    ).toBe(true);
    expect(retiredSiloSchema.parse({ ...base, status: 'TEARDOWN_PENDING' })).toMatchObject({
      remaining: null,
      verifiedAt: null,
      error: null,
    });
  });

  it.each([
    [{ remaining: { ...clean, kmsKey: true }, verifiedAt: '2026-12-01T10:00:00.000Z' }],
    [{ remaining: { ...clean, table: true }, verifiedAt: '2026-12-01T10:00:00.000Z' }],
    [{ remaining: clean }],
    [{}],
  ])('refuses ERASED without a clean verification (%j), naming remaining', (verification) => {
    const result = retiredSiloSchema.safeParse({ ...base, status: 'ERASED', ...verification });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['remaining'] });
  });
});
