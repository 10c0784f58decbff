/**
 * Per-tenant margin for a period: revenue (the tier's monthly price, prorated) against cost (the
 * tier's fixed cost per tenant, prorated, plus usage × each metric's unit cost from the
 * configuration). Negative margins are flagged; so is usage far above the tier's average (the
 * "pro tenant secretly costing enterprise money" signal). Pure: usage comes in as exact totals.
 */
import type { TenantryConfig } from '../config';
import { requireTier } from '../config';
import type { CountersReader } from './counters';
import { microToNumber } from './decimal';

/** Proration base: a 30-day month. */
export const MONTH_HOURS = 30 * 24;

export interface MarginTenant {
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
export const HEAVY_USAGE_FACTOR = 5;

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

/** Usage totals of a period from the DAY counters (whole UTC days in [from, to)). */
export async function loadDailyUsage(
  counters: CountersReader,
  config: TenantryConfig,
  tenantIds: readonly string[],
  period: { from: Date; to: Date },
): Promise<Map<string, Map<string, bigint>>> {
  const out = new Map<string, Map<string, bigint>>();
  for (const tenantId of tenantIds) {
    const perMetric = new Map<string, bigint>();
    for (const m of config.metrics) {
      const rows = await counters.range(tenantId, m.name, 'DAY', period.from, period.to);
      perMetric.set(
        m.name,
        rows.reduce((s, r) => s + r.quantityMicro, 0n),
      );
    }
    out.set(tenantId, perMetric);
  }
  return out;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A horizontal bar chart of margin per tenant (red = negative), as a standalone SVG. */
export function renderMarginSvg(report: MarginReport, maxTenants = 40): string {
  // Bars show margin as a share of revenue, so a $290 pro tenant and a $45,000 enterprise silo read on
  // one scale; beyond ±100 % the bar is clipped and ends in an arrow. Labels give the dollars.
  const rows = report.tenants.slice(0, maxTenants);
  const width = 960;
  const rowH = 22;
  const top = 50;
  const height = top + rows.length * rowH + 40;
  const labelW = 260;
  const valueW = 190;
  const gap = 14; // room for the clipped-bar arrow
  const half = (width - labelW - gap - valueW) / 2;
  const zero = labelW + gap + half;
  const share = (r: TenantMargin) =>
    r.revenueUsd > 0 ? r.marginUsd / r.revenueUsd : r.marginUsd < 0 ? -Infinity : 0;
  const bars = rows
    .map((r, i) => {
      const y = top + i * rowH;
      const ratio = share(r);
      const clipped = Math.max(-1, Math.min(1, ratio));
      const w = Math.abs(clipped) * half;
      const x = clipped < 0 ? zero - w : zero;
      const color = r.marginUsd < 0 ? '#c62828' : '#2e7d32';
      const label = `${r.name ?? r.tenantId} (${r.tier})`;
      const pct = Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)} %` : 'no revenue';
      const arrow =
        Math.abs(ratio) > 1
          ? `<path d="M${(clipped < 0 ? x : x + w).toFixed(1)} ${y + 3} l${clipped < 0 ? -8 : 8} ${(rowH - 6) / 2} l${clipped < 0 ? 8 : -8} ${(rowH - 6) / 2} z" fill="${color}"/>`
          : '';
      return [
        `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end" font-size="12">${esc(label)}</text>`,
        `<rect x="${x.toFixed(1)}" y="${y + 3}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 6}" fill="${color}"><title>${esc(`${r.tenantId}: margin $${r.marginUsd} (revenue $${r.revenueUsd}, cost $${r.costUsd}) ${r.flags.join(' ')}`)}</title></rect>`,
        arrow,
        `<text x="${width - valueW + 10}" y="${y + 15}" font-size="11" fill="${color}">$${r.marginUsd.toFixed(2)} (${pct})</text>`,
      ].join('');
    })
    .join('\n');
  const axisY = height - 28;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="16" font-weight="bold">Margin per tenant, ${esc(report.period.from.slice(0, 10))} to ${esc(report.period.to.slice(0, 10))} (share of revenue; USD at right)</text>
<line x1="${zero}" y1="${top - 5}" x2="${zero}" y2="${axisY}" stroke="#555"/>
<text x="${zero - half}" y="${axisY + 16}" font-size="11" text-anchor="middle">-100 %</text>
<text x="${zero}" y="${axisY + 16}" font-size="11" text-anchor="middle">0</text>
<text x="${zero + half}" y="${axisY + 16}" font-size="11" text-anchor="middle">+100 %</text>
${bars}
</svg>`;
}

/** An HTML page: the chart plus a table of every tenant, flagged ones first. */
export function renderMarginHtml(report: MarginReport): string {
  const rows = report.tenants
    .map(
      (r) =>
        `<tr class="${r.flags.includes('NEGATIVE_MARGIN') ? 'neg' : ''}"><td>${esc(r.tenantId)}</td><td>${esc(r.name ?? '')}</td><td>${esc(r.tier)}</td><td>${r.revenueUsd.toFixed(2)}</td><td>${r.costUsd.toFixed(2)}</td><td>${r.marginUsd.toFixed(2)}</td><td>${esc(r.flags.join(', '))}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Tenantry margin report</title>
<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:nth-child(-n+3){text-align:left}tr.neg{background:#fde0e0}</style></head>
<body><h1>Margin report</h1><p>Period ${esc(report.period.from)} → ${esc(report.period.to)}; revenue $${report.totals.revenueUsd.toFixed(2)}, cost $${report.totals.costUsd.toFixed(2)}, margin $${report.totals.marginUsd.toFixed(2)}. Negative margin: ${report.flagged.length} tenant(s).</p>
${renderMarginSvg(report)}
<table><thead><tr><th>tenant</th><th>name</th><th>tier</th><th>revenue</th><th>cost</th><th>margin</th><th>flags</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
}
