import { z } from 'zod';
import { httpResponseSchema } from '../../domain/documents/request';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';
import { AUTHORIZER_CATALOG_CACHE_SECONDS } from '../../domain/identity/usage-limit';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

/** A string/string map API Gateway may send as null when empty. */
const stringMap = z.record(z.string(), z.string()).nullish();

/**
 * The reference tenant service (documents: create, list, get, delete) behind the tenant authorizer.
 * Its own role reads the catalog, writes usage and connects to PostgreSQL as the application user;
 * tenant data is reached only with the credentials the authorizer vended for the request. The same
 * code runs as the pooled function and as each silo tenant's own function (`SILO_TENANT_ID`).
 */
export const contract = defineFunction({
  name: 'documents',
  description:
    "Reference tenant service: a tenant's documents in DynamoDB and PostgreSQL (row-level security)",
  env: {
    /** The catalog's name, or its ARN (a silo function in a tenant's own account reads it across accounts). */
    CATALOG_TABLE_NAME: envVar.name(),
    POOLED_TABLE_ARN: envVar.arn(),
    TENANT_BUCKET_NAME: envVar.name(),
    USAGE_STREAM_NAME: envVar.name(),
    /**
     * Set on a silo tenant's own function: the stream by ARN, which reaches it from a tenant's own
     * account (the stream's resource policy admits the function's role). Unset: by name.
     */
    USAGE_STREAM_ARN: envVar.arn().optional(),
    DATABASE_HOST: envVar.name(),
    DATABASE_PORT: z.coerce.number().int().min(1).max(65_535).default(5432),
    DATABASE_NAME: envVar.name(),
    /** The IAM-authenticated database user: the application role (no BYPASSRLS). */
    DATABASE_USER: envVar.name(),
    CATALOG_CACHE_SECONDS: envVar.seconds(AUTHORIZER_CATALOG_CACHE_SECONDS),
    /**
     * Set on a silo tenant's own function (the silo stack): the one tenant it serves. Unset on the
     * pooled function, which then refuses silo tenants (the router sends them to their function).
     */
    SILO_TENANT_ID: tenantIdSchema.optional(),
    /** Region of the catalog and the usage stream (the control plane); default: the function's region. */
    CONTROL_PLANE_REGION: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region name')
      .optional(),
    /** Path of a configuration file; default configuration when unset. */
    TENANTRY_CONFIG: z.string().optional(),
    AWS_REGION: z.string().min(1).default('us-east-1'),
  },
  // The fields the service reads; API Gateway's other fields pass through unchecked.
  input: z
    .object({
      httpMethod: z.string().min(1),
      pathParameters: stringMap,
      body: z.string().nullish(),
      isBase64Encoded: z.boolean().optional(),
      requestContext: z.object({ authorizer: z.record(z.string(), z.unknown()).nullish() }).loose(),
    })
    .loose(),
  output: httpResponseSchema,
  timeoutSeconds: 10,
  memoryMb: 512,
  grants: {
    /** The tenant's catalog record (where its data lives). */
    readCatalog: { actions: ['dynamodb:GetItem'] },
    /** Usage records to the metering stream. */
    emitUsage: { actions: ['kinesis:PutRecords'] },
    /** IAM database authentication as the application user. */
    connectDatabase: { actions: ['rds-db:connect'] },
  },
});
