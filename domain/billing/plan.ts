/**
 * Step 2 of the billing run — plan the records of one hour (pure): for each due (tenant, metric), the
 * hour's exact usage from the counters plus the late usage adjustments scheduled into that hour, turned
 * into integer units by the rounding rule (rounding.ts) from the carried remainder; the closing rule
 * for the last hour of a final bill. The result is the new ledger entry, written PENDING next.
 */
import { ledgerKey } from '../keys';
import type { AdjustmentSlot } from './adjustments';
import { toMicro } from './decimal';
import type { Cursor, NewLedgerEntry } from './ledger';
import { roundClosing, roundHour } from './rounding';
import type { BilledPair } from './tenants';

interface HourPlan {
  /** Start of the hour (ISO). */
  readonly hour: string;
  /** The due pairs: where each resumes (its cursor's carry is carried into this hour) and its usage. */
  readonly due: readonly {
    readonly pair: BilledPair;
    readonly cursor: Cursor;
    /** Exact usage of the hour from the counters (zero without a row: a zero record is still sent). */
    readonly usageMicro: bigint;
    /** Late usage scheduled into this hour, if any. */
    readonly slot: AdjustmentSlot | undefined;
  }[];
  /** The last hour of a final bill: rounded by the closing rule and marked final. */
  readonly final: boolean;
}

export function planHour(plan: HourPlan): NewLedgerEntry[] {
  return plan.due.map(({ pair: { tenant, metric }, cursor, usageMicro, slot }) => {
    const dimension = metric.billing.dimension;
    const perUnitMicro = toMicro(metric.billing.quantityPerUnit, `${metric.name} quantityPerUnit`);
    const rounded = (plan.final ? roundClosing : roundHour)({
      usageMicro: usageMicro + (slot?.usageMicro ?? 0n),
      carryInMicro: cursor.carry,
      perUnitMicro,
    });
    return {
      ...(slot === undefined
        ? {}
        : { adjustmentMicro: slot.usageMicro.toString(), adjustmentIds: slot.adjustmentIds }),
      ...ledgerKey(tenant.tenantId, dimension, plan.hour),
      tenantId: tenant.tenantId,
      dimension,
      metric: metric.name,
      hour: plan.hour,
      units: Number(rounded.units),
      usageMicro: usageMicro.toString(),
      carryInMicro: cursor.carry.toString(),
      carryOutMicro: rounded.carryOutMicro.toString(),
      closingAdjustmentMicro: rounded.closingAdjustmentMicro.toString(),
      perUnitMicro: perUnitMicro.toString(),
      customerAwsAccountId: tenant.marketplace.customerAwsAccountId,
      licenseArn: tenant.marketplace.licenseArn,
      productCode: tenant.marketplace.productCode,
      final: plan.final,
    };
  });
}
