import { describe, expect, it } from 'vitest';
import { toMicro } from '../../../domain/billing/decimal';
import { computeMargins } from '../../../domain/billing/margin';
import { defaultConfig } from '../../../domain/config';
import { renderMarginHtml, renderMarginSvg } from '../../../reporting/margin-report';

// The reference scenario over 30 days: five ordinary pro tenants and one at 11× their API volume
// with 2.1 TB stored (margin −$1,615.80 on a $290 plan; see test/unit/domain/billing/margin.test.ts).
const period = { from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z') };
const usage = (api: number, gbHours: number, docs: number) =>
  new Map([
    ['api.call', toMicro(api)],
    ['storage.gb', toMicro(gbHours)],
    ['doc.processed', toMicro(docs)],
  ]);
const tenants = [
  ...[1, 2, 3, 4, 5].map((i) => ({ tenantId: `pro-${i}`, tier: 'pro' })),
  { tenantId: 'harbor-vance', name: 'Harbor & Vance LLP', tier: 'pro' },
];
const byTenant = new Map(tenants.map((t) => [t.tenantId, usage(30 * 90_000, 30 * 40 * 24, 30 * 300)]));
byTenant.set('harbor-vance', usage(30 * 990_000, 30 * 2_100 * 24, 30 * 2_700));
const report = computeMargins(defaultConfig, tenants, byTenant, period, new Date('2026-03-03T00:00:00Z'));

describe('margin report rendering', () => {
  it('draws one bar per tenant, the negative one red, its name escaped, clipped beyond −100 % with an arrow', () => {
    const svg = renderMarginSvg(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Harbor &amp; Vance LLP (pro)');
    expect(svg).toContain('fill="#c62828"');
    expect(svg.match(/<rect x=/g)).toHaveLength(6);
    // −1,615.80 / 290 = −557 %: the bar is clipped and ends in an arrow
    expect(svg).toContain('$-1615.80 (-557 %)');
    expect(svg.match(/<path /g)).toHaveLength(1);
  });

  it('writes an HTML page with the chart and every tenant, the negative-margin row marked', () => {
    const html = renderMarginHtml(report);
    expect(html).toContain('<tr class="neg"><td>harbor-vance</td>');
    expect(html).toContain('<svg');
    expect(html.match(/<tr class="/g)).toHaveLength(6);
    expect(html).toContain('Negative margin: 1 tenant(s).');
  });
});
