/**
 * Per-tenant margin for a period: revenue (the tier's monthly price, prorated) against cost (the
 * tier's fixed cost per tenant, prorated, plus usage × each metric's unit cost from the
 * configuration). Negative margins are flagged; so is usage far above the tier's average (the
 * "pro tenant secretly costing enterprise money" signal). `computeMargins` is pure: usage comes in as
 * exact totals (`CountersReader.dailyTotals`, which `marginReport` reads first); reporting/margin-report.ts
 * renders the report as SVG and HTML.
 */
import type { TenantryConfig } from '../config';
import { requireTier } from '../config';
import type { CountersReader } from './counters';
import { microToNumber } from './decimal';

/** Proration base: a 30-day month. */
const MONTH_HOURS = 30 * 24;

interface MarginTenant {
  readonly tenantId: string;
  readonly name?: string;
  readonly tier: string;
}

export interface TenantMargin {
  readonly tenantId: string;
  readonly name: string | undefined;
  readonly tier: string;
  readonly revenueUsd: number;
  readonly baseCostUsd: number;
  readonly usageCostUsd: number;
  readonly costUsd: number;
  readonly marginUsd: number;
  /** margin / revenue (−∞ … 1); null when revenue is 0. */
  readonly marginRatio: number | null;
  readonly usage: Record<string, { quantity: number; costUsd: number; vsTierAverage: number | null }>;
  readonly flags: string[];
}

export interface MarginReport {
  readonly period: { readonly from: string; readonly to: string; readonly hours: number };
  readonly generatedAt: string;
  readonly currency: 'USD';
  readonly tenants: TenantMargin[];
  readonly totals: { revenueUsd: number; costUsd: number; marginUsd: number };
  readonly flagged: string[];
}

/** Usage above this multiple of the tier's average is flagged as heavy. */
const HEAVY_USAGE_FACTOR = 5;

const cents = (n: number) => Math.round(n * 100) / 100;

export function computeMargins(
  config: TenantryConfig,
  tenants: readonly MarginTenant[],
  /** Exact usage totals for the period: tenantId → metric → micro-units. */
  usage: ReadonlyMap<string, ReadonlyMap<string, bigint>>,
  period: { from: Date; to: Date },
  generatedAt: Date = new Date(),
): MarginReport {
  const hours = (period.to.getTime() - period.from.getTime()) / 3_600_000;
  if (!(hours > 0)) throw new RangeError('the margin period must end after it starts');
  const share = hours / MONTH_HOURS;
  // Tier averages per metric (for the heavy-usage flag).
  const sums = new Map<string, { total: number; n: number }>();
  for (const t of tenants) {
    for (const m of config.metrics) {
      const key = `${t.tier}#${m.name}`;
      const s = sums.get(key) ?? { total: 0, n: 0 };
      s.total += microToNumber(usage.get(t.tenantId)?.get(m.name) ?? 0n);
      s.n += 1;
      sums.set(key, s);
    }
  }
  const rows: TenantMargin[] = tenants.map((t) => {
    const tier = requireTier(config, t.tier);
    const revenueUsd = tier.monthlyPriceUsd * share;
    const baseCostUsd = tier.baseCostUsdPerMonth * share;
    const perMetric: TenantMargin['usage'] = {};
    let usageCostUsd = 0;
    const flags: string[] = [];
    for (const m of config.metrics) {
      const quantity = microToNumber(usage.get(t.tenantId)?.get(m.name) ?? 0n);
      const costUsd = quantity * m.unitCostUsd;
      usageCostUsd += costUsd;
      const s = sums.get(`${t.tier}#${m.name}`);
      // Average of the OTHER tenants of the tier, so one heavy tenant does not hide itself.
      const others = s && s.n > 1 ? (s.total - quantity) / (s.n - 1) : null;
      const vsTierAverage = others !== null && others > 0 ? quantity / others : null;
      if (vsTierAverage !== null && vsTierAverage >= HEAVY_USAGE_FACTOR) {
        flags.push(`HEAVY_${m.name.toUpperCase().replace(/\W/g, '_')}`);
      }
      perMetric[m.name] = {
        quantity,
        costUsd: cents(costUsd),
        vsTierAverage: vsTierAverage === null ? null : Math.round(vsTierAverage * 10) / 10,
      };
    }
    const costUsd = baseCostUsd + usageCostUsd;
    const marginUsd = revenueUsd - costUsd;
    if (marginUsd < 0) flags.unshift('NEGATIVE_MARGIN');
    return {
      tenantId: t.tenantId,
      name: t.name,
      tier: t.tier,
      revenueUsd: cents(revenueUsd),
      baseCostUsd: cents(baseCostUsd),
      usageCostUsd: cents(usageCostUsd),
      costUsd: cents(costUsd),
      marginUsd: cents(marginUsd),
      marginRatio: revenueUsd > 0 ? Math.round((marginUsd / revenueUsd) * 1000) / 1000 : null,
      usage: perMetric,
      flags,
    };
  });
  rows.sort((a, b) => a.marginUsd - b.marginUsd);
  const totals = rows.reduce(
    (acc, r) => ({
      revenueUsd: acc.revenueUsd + r.revenueUsd,
      costUsd: acc.costUsd + r.costUsd,
      marginUsd: acc.marginUsd + r.marginUsd,
    }),
    { revenueUsd: 0, costUsd: 0, marginUsd: 0 },
  );
  return {
    period: { from: period.from.toISOString(), to: period.to.toISOString(), hours },
    generatedAt: generatedAt.toISOString(),
    currency: 'USD',
    tenants: rows,
    totals: {
      revenueUsd: cents(totals.revenueUsd),
      costUsd: cents(totals.costUsd),
      marginUsd: cents(totals.marginUsd),
    },
    flagged: rows.filter((r) => r.flags.includes('NEGATIVE_MARGIN')).map((r) => r.tenantId),
  };
}

/**
 * The margin report of `tenants` over `period`, from the counters: the DAY totals of whole UTC days, or
 * the HOUR totals of whole hours (`granularity`).
 */
export async function marginReport(
  config: TenantryConfig,
  counters: Pick<CountersReader, 'dailyTotals'>,
  tenants: readonly MarginTenant[],
  period: { from: Date; to: Date },
  options: { readonly granularity?: 'DAY' | 'HOUR'; readonly generatedAt?: Date } = {},
): Promise<MarginReport> {
  const usage = await counters.dailyTotals(
    tenants.map((t) => t.tenantId),
    config.metrics,
    period,
    options.granularity,
  );
  return computeMargins(
    config,
    tenants.map((t) => ({ tenantId: t.tenantId, name: t.name, tier: t.tier })),
    usage,
    period,
    options.generatedAt,
  );
}
