import { describe, expect, it } from 'vitest';
import { computeMargins } from '../../../domain/billing/margin';
import { defaultConfig } from '../../../domain/config';
import { renderMarginHtml, renderMarginSvg } from '../../../reporting/margin-report';
import { MARGIN_PERIOD, referenceMarginUsage } from '../support/margin';

// The margin reference scenario (support/margin.ts).
const { tenants, byTenant } = referenceMarginUsage();
const report = computeMargins(defaultConfig, tenants, byTenant, MARGIN_PERIOD, MARGIN_PERIOD.to);

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
