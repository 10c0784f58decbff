import { z } from 'zod';

/**
 * A tenant id is URL-safe and valid, unchanged, everywhere it is used: DynamoDB key segments
 * (`TENANT#<id>#…`, so no `#`), IAM condition values (no `*` or `?` wildcards), S3 prefixes,
 * Cognito group names, CloudFormation stack names (must start with a letter) and STS session names.
 */
export const TENANT_ID_PATTERN = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

export const tenantIdSchema = z
  .string({ error: 'tenantId is required' })
  .regex(
    TENANT_ID_PATTERN,
    'must be 3-40 characters: a lower-case letter, then lower-case letters, digits or "-"',
  )
  .refine((id) => !id.includes('--'), 'must not contain "--"');

export type TenantId = z.infer<typeof tenantIdSchema>;

export function isTenantId(value: unknown): value is TenantId {
  return tenantIdSchema.safeParse(value).success;
}
