import { z } from 'zod';
import { billingRunSummarySchema } from '../../domain/billing/billing-run';
import { billingRunEnv } from '../../domain/billing/runtime';
import { defineFunction } from '../../domain/function-contract';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';

export const contract = defineFunction({
  name: 'billing-final',
  description:
    'Offboarding final bill: bills the tenant up to the current partial hour, rounds the last carried ' +
    'remainder once and closes its billing.',
  env: billingRunEnv,
  input: z.object({ tenantId: tenantIdSchema }),
  output: z.union([
    z.object({ tenantId: tenantIdSchema, billed: z.literal(false), reason: z.string() }),
    billingRunSummarySchema.extend({ tenantId: tenantIdSchema, billed: z.literal(true) }),
  ]),
  timeoutSeconds: 120,
  memoryMb: 512,
  grants: {
    /** The catalog table: the tenant's record. */
    readTenant: { actions: ['dynamodb:GetItem'] },
    /** The counters table: the hour's totals; the day's running total and hours for the partial hour; the metering progress. */
    readCounters: { actions: ['dynamodb:BatchGetItem', 'dynamodb:Query'] },
    /** The ledger table: cursors and adjustment slots read, PENDING written, outcomes written. */
    writeLedger: {
      actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
    },
    /** BatchMeterUsage supports no resource-level permissions: bound to `*`. */
    meterUsage: { actions: ['aws-marketplace:BatchMeterUsage'] },
    /** The control-plane bus: billing alerts. */
    publishAlerts: { actions: ['events:PutEvents'] },
  },
});
