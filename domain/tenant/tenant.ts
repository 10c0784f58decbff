import { z } from 'zod';
import { collectionName, isolationModels } from '../config/schema';
import { IllegalTransitionError } from '../errors';
import { erasureRecordSchema } from './erasure';
import { canTransition, type TenantStatus, tenantStatuses } from './status';
import { tenantIdSchema } from './tenant-id';

export const tenantNameSchema = z
  .string({ error: 'name is required' })
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

const historyEntrySchema = z.object({
  from: z.enum(tenantStatuses).nullable(),
  to: z.enum(tenantStatuses),
  at: z.iso.datetime(),
  reason: z.string().max(500).optional(),
  /** The Step Functions execution (or other actor) that made the change. */
  executionArn: z.string().max(2048).optional(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/**
 * Where a silo tenant's dedicated resources live: the ARNs its stack's outputs reported (the runtime
 * uses these, never ARNs rebuilt from names).
 */
export const siloResourcesSchema = z.object({
  stackId: z.string().min(1),
  tableName: z.string().min(1),
  tableArn: z.string().regex(/^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/, {
    error: 'must be a DynamoDB table ARN',
  }),
  kmsKeyArn: z.string().min(1),
  /** The tenant's own documents function; absent on silos created before silo compute existed. */
  serviceFunctionArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$/, {
      error: 'must be a Lambda function ARN',
    })
    .optional(),
  /** The tenant's dedicated Aurora cluster (the tier's `siloDatabase`), created with its function. */
  databaseClusterArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:[a-z][a-z0-9-]{0,62}$/, {
      error: 'must be an RDS cluster ARN',
    })
    .optional(),
  /** Its writer endpoint (host name) the function connects to. */
  databaseEndpoint: z.string().min(1).max(255).optional(),
  /** Its master secret (RDS-managed, `rds!cluster-…`): the RDS Data API authenticates with it. */
  databaseSecretArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]{1,512}$/, {
      error: 'must be a Secrets Manager secret ARN',
    })
    .optional(),
  /** The silo template version the stack was last created or updated with (`tenantry silos update`). */
  templateVersion: z
    .string()
    .regex(/^[0-9a-f]{16}$/, { error: 'must be 16 hex digits' })
    .optional(),
});
export type SiloResources = z.infer<typeof siloResourcesSchema>;

/**
 * A tenant's dedicated collection table (a pool tier's `dedicatedCollections`): the ARN DynamoDB
 * reported when the lifecycle created it (the runtime uses it, never an ARN rebuilt from the name).
 */
export const collectionTableSchema = z.object({
  collection: collectionName,
  tableName: z.string().min(3),
  tableArn: siloResourcesSchema.shape.tableArn,
});
export type CollectionTable = z.infer<typeof collectionTableSchema>;

/** An AWS account id: twelve digits. */
export const awsAccountIdSchema = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

export const accountStatuses = ['ACTIVE', 'PENDING_CLOSURE', 'SUSPENDED', 'CLOSE_FAILED'] as const;
export type AccountStatus = (typeof accountStatuses)[number];

/**
 * A silo a promotion to the tenant's own account left behind in the platform account, torn down after
 * the catalog switched: TEARDOWN_PENDING from the switch, ERASED once a verification found its stack,
 * its table and a usable key gone (`remaining` all false, `verifiedAt`, `keyDeletionDate`),
 * TEARDOWN_FAILED (flagged, with the `error`) when the teardown or its verification failed: running
 * the promotion again retries it. Never undoes the switch.
 */
export const retiredSiloStatuses = ['TEARDOWN_PENDING', 'ERASED', 'TEARDOWN_FAILED'] as const;
export const retiredSiloSchema = z
  .object({
    silo: siloResourcesSchema,
    region: z.string().min(1),
    status: z.enum(retiredSiloStatuses),
    /** The execution that recorded this status. */
    executionArn: z.string().min(1),
    verifiedAt: z.iso.datetime().nullable().default(null),
    keyDeletionDate: z.iso.datetime().nullable().default(null),
    remaining: z
      .object({ siloStack: z.boolean(), table: z.boolean(), kmsKey: z.boolean() })
      .nullable()
      .default(null),
    error: z.string().max(1000).nullable().default(null),
  })
  .refine(
    (r) =>
      r.status !== 'ERASED' ||
      (r.remaining !== null &&
        r.verifiedAt !== null &&
        !r.remaining.siloStack &&
        !r.remaining.table &&
        !r.remaining.kmsKey),
    { path: ['remaining'], message: 'ERASED needs a verification that found nothing left' },
  );
export type RetiredSilo = z.infer<typeof retiredSiloSchema>;

/**
 * An increase of a tenant account's Lambda concurrency quota the lifecycle requested (Service Quotas),
 * because the quota could not keep the tier's reserved concurrency: the silo stack reserves none until
 * an operator applies it (README.md, "Tenants in their own AWS account").
 */
export const concurrencyQuotaSchema = z.object({
  requestId: z.string().min(1),
  desired: z.number().int().positive(),
  /** The request's Service Quotas status when recorded (PENDING, CASE_OPENED, …). */
  status: z.string().min(1),
});
export type ConcurrencyQuota = z.infer<typeof concurrencyQuotaSchema>;

/** AWS Marketplace identity of a tenant that buys through Marketplace. */
const marketplaceIdentitySchema = z.object({
  customerAwsAccountId: awsAccountIdSchema,
  licenseArn: z.string().min(1),
  productCode: z.string().min(1),
});
export type MarketplaceIdentity = z.infer<typeof marketplaceIdentitySchema>;

/** The catalog record of one tenant: the control plane's system of record. */
export const tenantSchema = z.object({
  tenantId: tenantIdSchema,
  name: tenantNameSchema,
  tier: z.string().min(1),
  isolation: z.enum(isolationModels),
  status: z.enum(tenantStatuses),
  region: z.string().min(1),
  silo: siloResourcesSchema.optional(),
  /** The tenant's dedicated collection tables (pool tiers naming `dedicatedCollections`). */
  collections: z.array(collectionTableSchema).optional(),
  /** The tenant's own AWS account (isolation `account`); its silo resources live there. */
  accountId: awsAccountIdSchema.optional(),
  /**
   * Where that account stands: ACTIVE while the tenant uses it; PENDING_CLOSURE / SUSPENDED once
   * closed; CLOSE_FAILED flags an account the lifecycle could not close (an operator must).
   */
  accountStatus: z.enum(accountStatuses).optional(),
  /**
   * A CreateAccount request of the tenant still IN_PROGRESS when a compensation's bound passed: its
   * account, once created, serves nobody and is open until an operator closes it (flagged, never
   * forgotten; `tenantry` does not know its account id yet).
   */
  pendingAccountRequestId: z.string().min(1).optional(),
  /** Flagged: the account's concurrency quota was too low for the tier's reservation (none is set). */
  concurrencyQuota: concurrencyQuotaSchema.optional(),
  /** Silos a promotion to an account left behind, and where their teardown stands. */
  retiredSilos: z.array(retiredSiloSchema).optional(),
  marketplace: marketplaceIdentitySchema.optional(),
  /** Set with OFFBOARDED: what the offboarding erased and verified (domain/tenant/erasure.ts). */
  erasure: erasureRecordSchema.optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Optimistic-concurrency version; every write increments it. */
  version: z.number().int().nonnegative(),
  history: z.array(historyEntrySchema),
});
export type Tenant = z.infer<typeof tenantSchema>;

export interface NewTenant {
  readonly tenantId: string;
  readonly name: string;
  readonly tier: string;
  readonly isolation: Tenant['isolation'];
  readonly region: string;
  readonly marketplace?: MarketplaceIdentity;
}

export interface TransitionDetails {
  readonly at?: Date;
  readonly reason?: string;
  readonly executionArn?: string;
}

/** A brand-new PENDING tenant record (version 0). */
export function newTenant(input: NewTenant, at: Date = new Date()): Tenant {
  const now = at.toISOString();
  return tenantSchema.parse({
    ...input,
    status: 'PENDING',
    createdAt: now,
    updatedAt: now,
    version: 0,
    history: [{ from: null, to: 'PENDING', at: now }],
  });
}

/** The tenant after a legal status change, with the change appended to its history. */
export function transition(tenant: Tenant, to: TenantStatus, details: TransitionDetails = {}): Tenant {
  if (!canTransition(tenant.status, to)) {
    throw new IllegalTransitionError(tenant.tenantId, tenant.status, to);
  }
  const at = (details.at ?? new Date()).toISOString();
  const entry: HistoryEntry = { from: tenant.status, to, at };
  if (details.reason !== undefined) entry.reason = details.reason.slice(0, 500);
  if (details.executionArn !== undefined) entry.executionArn = details.executionArn;
  return { ...tenant, status: to, updatedAt: at, history: [...tenant.history, entry] };
}
