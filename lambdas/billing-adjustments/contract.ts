import { z } from 'zod';
import { billingRunEnv, lakeEnv } from '../../domain/billing/runtime';
import { defineFunction } from '../../domain/function-contract';

const count = z.number().int().nonnegative();

export const contract = defineFunction({
  name: 'billing-adjustments',
  description:
    'Schedules billable late usage (events the metering job found late, still inside Marketplace’s ' +
    'acceptance window) as adjustments billed with the open hour.',
  env: {
    CATALOG_TABLE_NAME: billingRunEnv.CATALOG_TABLE_NAME,
    LEDGER_TABLE_NAME: billingRunEnv.LEDGER_TABLE_NAME,
    ...lakeEnv,
  },
  /** The EventBridge schedule's event; its content is not used. */
  input: z.object({}).loose(),
  output: z.object({ lateEvents: count, billable: count, scheduled: count }),
  timeoutSeconds: 300,
  memoryMb: 512,
  grants: {
    /** The catalog's by-status index: the subscribed tenants. */
    listTenantsByStatus: { actions: ['dynamodb:Query'] },
    /** The ledger table: the existing ADJUSTMENT items of a tenant and dimension. */
    readAdjustments: { actions: ['dynamodb:Query'] },
    /** The ledger table: one TransactWriteItems (Put + Update + ConditionCheck) per adjustment. */
    scheduleAdjustments: {
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
    },
    /** The lake's late-sink objects. */
    readLateEvents: { actions: ['s3:GetObject'] },
    /** Listing the lake, under the late-sink prefix only. */
    listLateEvents: {
      actions: ['s3:ListBucket'],
      conditions: { StringLike: { 's3:prefix': ['metering/late/*'] } },
    },
  },
});
