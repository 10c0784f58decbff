import { type JobOutputs, sortRows } from '../../../flink/local';
import { canonicalDecimal } from '../../../flink/reference';

/** Quantities compared as canonical decimals (Flink prints plain numbers; the reference exact strings). */
export function comparable(outputs: JobOutputs) {
  const totals = (rows: JobOutputs['hourly']) =>
    sortRows(
      rows.map((r) => ({
        ...r,
        quantity: canonicalDecimal(String(r.quantity)),
        eventCount: Number(r.eventCount),
      })),
    );
  return {
    hourly: totals(outputs.hourly),
    daily: totals(outputs.daily),
    cumulative: totals(outputs.cumulative),
    late: sortRows(outputs.late.map((r) => ({ ...r, quantity: canonicalDecimal(String(r.quantity)) }))),
    rejected: sortRows(outputs.rejected.map(({ reason, line }) => ({ reason, line }))),
  };
}

/**
 * Each counters item's last running total (the one an item ends with: running totals overwrite one item per
 * tenant, metric and day), keyed by `pk|sk`.
 */
export function lastRunningTotals<T extends { pk: unknown; sk: unknown; windowEnd: unknown }>(
  rows: readonly T[],
) {
  const last = new Map<string, T>();
  for (const row of rows) {
    const item = `${row.pk}|${row.sk}`;
    const seen = last.get(item);
    if (!seen || String(seen.windowEnd) < String(row.windowEnd)) last.set(item, row);
  }
  return last;
}
