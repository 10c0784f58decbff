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
