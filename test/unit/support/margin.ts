// The margin reference scenario: 30 days (2026-02-01 to 2026-03-03), five ordinary pro tenants (90,000 calls,
// 40 GB, 300 documents a day) and harbor-vance at 11× their API volume with 2.1 TB stored and 2,700
// documents a day (margin −$1,615.80 on a $290 plan; see test/unit/domain/billing/margin.test.ts).
import { toMicro } from '../../../domain/billing/decimal';

/** The 30 days the reference scenario covers. */
export const MARGIN_PERIOD = { from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z') };

const usage = (api: number, gbHours: number, docs: number) =>
  new Map([
    ['api.call', toMicro(api)],
    ['storage.gb', toMicro(gbHours)],
    ['doc.processed', toMicro(docs)],
  ]);

/** The reference scenario's tenants and their usage over MARGIN_PERIOD, by tenant id. */
export function referenceMarginUsage() {
  const tenants = [
    ...[1, 2, 3, 4, 5].map((i) => ({ tenantId: `pro-${i}`, tier: 'pro' })),
    { tenantId: 'harbor-vance', name: 'Harbor & Vance LLP', tier: 'pro' },
  ];
  const byTenant = new Map(tenants.map((t) => [t.tenantId, usage(30 * 90_000, 30 * 40 * 24, 30 * 300)]));
  byTenant.set('harbor-vance', usage(30 * 990_000, 30 * 2_100 * 24, 30 * 2_700));
  return { tenants, byTenant };
}
