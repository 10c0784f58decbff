/**
 * The margin report as a picture and a page (domain/billing/margin.ts computes it): a bar chart of
 * margin per tenant (SVG) and an HTML page with the chart and a table of every tenant.
 */
import type { MarginReport, TenantMargin } from '../domain/billing/margin';

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
