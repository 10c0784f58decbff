import { z } from 'zod';
import { billingRunEnv, lakeEnv } from '../../domain/billing/runtime';
import { envVar } from '../../domain/env';
import { defineFunction } from '../../domain/function-contract';

export const contract = defineFunction({
  name: 'reconciliation',
  description:
    'Reconciles a period (default: the previous UTC month): raw usage lake vs counters vs billing ledger; ' +
    'writes the report and alerts on discrepancies.',
  env: {
    ...billingRunEnv,
    ...lakeEnv,
    /** Where `reports/reconciliation/<from>_<to>.json` and `.txt` are written. */
    REPORT_BUCKET_NAME: envVar.name(),
  },
  /** On demand `{from, to}` (ISO); the monthly EventBridge schedule's event has neither. */
  input: z.object({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() }).loose().default({}),
  output: z.object({
    period: z.object({ from: z.iso.datetime(), to: z.iso.datetime() }),
    discrepancies: z.number().int().nonnegative(),
    reportKey: z.string(),
  }),
  timeoutSeconds: 900,
  memoryMb: 1024,
  grants: {
    /** The catalog's by-status index: billed and offboarded tenants. */
    listTenantsByStatus: { actions: ['dynamodb:Query'] },
    /** The counters table: HOUR totals of the period. */
    readCounters: { actions: ['dynamodb:Query'] },
    /** The ledger table: the period's entries, adjustments and their target hours' entries. */
    readLedger: { actions: ['dynamodb:BatchGetItem', 'dynamodb:Query'] },
    /** The ledger table: one TransactWriteItems (Put + Update + ConditionCheck) per missing adjustment. */
    scheduleAdjustments: {
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
    },
    /** The lake's raw events and late-sink objects. */
    readLake: { actions: ['s3:GetObject'] },
    /** Listing the lake, under the raw and late-sink prefixes only. */
    listLake: {
      actions: ['s3:ListBucket'],
      conditions: { StringLike: { 's3:prefix': ['raw/*', 'metering/late/*'] } },
    },
    /** The report objects. */
    writeReports: { actions: ['s3:PutObject'] },
    /** The control-plane bus: the discrepancies alert. */
    publishAlerts: { actions: ['events:PutEvents'] },
  },
});
