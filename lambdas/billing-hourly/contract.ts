import { z } from 'zod';
import { billingRunSummarySchema, DEFAULT_LOOKBACK_HOURS } from '../../domain/billing/billing-run';
import { billingRunEnv } from '../../domain/billing/runtime';
import { defineFunction } from '../../domain/function-contract';

export const contract = defineFunction({
  name: 'billing-hourly',
  description:
    'Bills every closed, unbilled hour of every subscribed tenant through AWS Marketplace (zero records ' +
    'included) and resends what earlier runs left PENDING.',
  env: {
    ...billingRunEnv,
    /** How many past hours of ledger each run reads back (0-23). */
    BILLING_LOOKBACK_HOURS: z.coerce.number().int().min(0).max(23).default(DEFAULT_LOOKBACK_HOURS),
  },
  /** The EventBridge schedule's event; its content is not used. */
  input: z.object({}).loose(),
  output: billingRunSummarySchema,
  timeoutSeconds: 600,
  memoryMb: 512,
  grants: {
    /** The catalog's by-status index: the subscribed tenants. */
    listTenantsByStatus: { actions: ['dynamodb:Query'] },
    /** The counters table: the hour's totals. */
    readHourCounters: { actions: ['dynamodb:BatchGetItem'] },
    /** The counters table: the metering job's progress (the latest progress item). */
    readMeteringProgress: { actions: ['dynamodb:Query'] },
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
