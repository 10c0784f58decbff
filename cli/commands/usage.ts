/**
 * `usage ID [--day D | --hour H]`: what a tenant used in a UTC hour or day — the metering job's HOUR
 * counters per metric, and the tenant's events the job set aside: late (the late sink) and rejected
 * (the rejected sink, by reason), read from the usage lake.
 */

import { CountersReader, countersDocumentClient } from '../../domain/billing/counters';
import { fromMicro } from '../../domain/billing/decimal';
import { LATE_SINK_PREFIX, readLakeLines, readLateEvents } from '../../domain/billing/lake';
import { lakeClient } from '../../domain/billing/runtime';
import { addHours } from '../../domain/billing/windows';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';
import type { CliContext } from '../context';
import { ArgumentError } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { emit, table } from '../output';
import { parseDay, parseHour } from './time-arguments';

/** The Flink rejected sink's prefix in the lake (flink/sql.ts: `<lakeUri>/rejected`). */
const REJECTED_SINK_PREFIX = LATE_SINK_PREFIX.replace(/late\/$/, 'rejected/');

export interface UsageReport {
  readonly tenantId: string;
  readonly from: string;
  readonly to: string;
  readonly metrics: { metric: string; unit: string; quantity: string; events: number }[];
  readonly late: number;
  readonly rejected: Record<string, number>;
}

export async function usage(
  ctx: CliContext,
  tenantId: string,
  options: { day?: string; hour?: string; lakeBucket: string },
): Promise<ExitCode> {
  const id = tenantIdSchema.safeParse(tenantId);
  if (!id.success) throw new ArgumentError('ID', id.error.issues[0]?.message ?? 'not a tenant id');
  if (options.day !== undefined && options.hour !== undefined)
    throw new ArgumentError('--day/--hour', 'give one of them, not both');
  const from = options.hour
    ? parseHour('--hour', options.hour)
    : parseDay('--day', options.day ?? new Date().toISOString().slice(0, 10));
  const to = addHours(from, options.hour ? 1 : 24);
  const tenant = await ctx.catalog().get(id.data);

  const counters = new CountersReader(countersDocumentClient(), ctx.tables.counters);
  const metrics: UsageReport['metrics'] = [];
  for (const m of ctx.config.metrics) {
    const rows = await counters.range(tenant.tenantId, m.name, 'HOUR', from, to);
    metrics.push({
      metric: m.name,
      unit: m.unit,
      quantity: fromMicro(rows.reduce((sum, r) => sum + r.quantityMicro, 0n)),
      events: rows.reduce((sum, r) => sum + (r.eventCount ?? 0), 0),
    });
  }
  const inWindow = (t: Date) => t >= from && t < to;
  const s3 = lakeClient();
  const late = (await readLateEvents(s3, options.lakeBucket)).filter(
    (e) => e.tenantId === tenant.tenantId && inWindow(e.eventTime),
  ).length;
  const rejected: Record<string, number> = {};
  for (const line of await readLakeLines(s3, options.lakeBucket, REJECTED_SINK_PREFIX)) {
    const row = JSON.parse(line) as { reason?: string; line?: string; receivedAt?: string };
    if (!inWindow(new Date(String(row.receivedAt))) || rejectedTenant(row.line) !== tenant.tenantId) continue;
    const reason = row.reason ?? 'unknown';
    rejected[reason] = (rejected[reason] ?? 0) + 1;
  }
  const report: UsageReport = {
    tenantId: tenant.tenantId,
    from: from.toISOString(),
    to: to.toISOString(),
    metrics,
    late,
    rejected,
  };
  emit(ctx, report, () => [
    `${tenant.tenantId} usage ${report.from} → ${report.to}`,
    ...table([
      ['METRIC', 'QUANTITY', 'UNIT', 'EVENTS'],
      ...metrics.map((m) => [m.metric, m.quantity, m.unit, String(m.events)]),
    ]),
    `late events: ${late}`,
    `rejected events: ${
      Object.entries(rejected)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ') || '0'
    }`,
  ]);
  return EXIT.ok;
}

/** The tenant a rejected raw line names, when it is JSON with a string tenantId. */
function rejectedTenant(line: string | undefined): string | undefined {
  try {
    const value = JSON.parse(line ?? '') as { tenantId?: unknown };
    return typeof value.tenantId === 'string' ? value.tenantId : undefined;
  } catch {
    return undefined;
  }
}
