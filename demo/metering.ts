import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TenantryConfig } from '../domain/config';
import type { CounterItem } from '../domain/usage/counters';
import { generateEvents } from '../flink/events';
import { runLocal } from '../flink/local';
import { canonicalDecimal, referenceAggregate, toUnits } from '../flink/reference';

export interface MeteringDemoContext {
  readonly config: TenantryConfig;
  readonly tenants: readonly { tenantId: string; tier: string }[];
  readonly log: (line: string) => void;
  /** The demo's output folder (demo/context.ts `outDir`); the step writes into `<outDir>/metering`. */
  readonly outDir?: string;
}

/**
 * The metering step of `make demo`: usage for the sample tenants (with duplicates, late and malformed
 * lines), the generated Flink job on a local MiniCluster, and the per-tenant totals it wrote printed
 * next to the reference aggregator's. Returns whether every total matched.
 */
export async function runMeteringDemo(ctx: MeteringDemoContext): Promise<{ matched: boolean }> {
  const dir = join(ctx.outDir ?? join('.local', 'demo'), 'metering');
  mkdirSync(dir, { recursive: true });
  const tenants = ctx.tenants.map((t) => t.tenantId);
  const generated = generateEvents({
    config: ctx.config,
    tenants,
    events: 40 * Math.max(1, tenants.length),
    seed: 2026,
    lateRatio: 0.04,
  });
  const eventsPath = join(dir, 'events.jsonl');
  writeFileSync(eventsPath, `${generated.lines.join('\n')}\n`);
  ctx.log(`metering: ${generated.lines.length} usage lines for ${tenants.length} tenants -> ${eventsPath}`);

  const { outputs, durationMs } = await runLocal({
    config: ctx.config,
    eventsPath,
    outDir: join(dir, 'out'),
    now: generated.now,
  });
  const reference = referenceAggregate(generated.lines, { config: ctx.config, now: new Date(generated.now) });
  ctx.log(
    `metering: Flink job finished in ${(durationMs / 1000).toFixed(1)} s (outputs in ${join(dir, 'out')})`,
  );

  const perTenant = (rows: readonly CounterItem[]) => {
    const sums = new Map<string, bigint>();
    for (const r of rows) {
      const k = `${r.tenantId}|${r.metric}`;
      sums.set(k, (sums.get(k) ?? 0n) + toUnits(String(r.quantity)));
    }
    return sums;
  };
  const flinkTotals = perTenant(outputs.daily);
  const referenceTotals = perTenant(reference.daily);
  const tierOf = new Map(ctx.tenants.map((t) => [t.tenantId, t.tier]));
  let matched = true;
  ctx.log('metering: tenant            tier        metric          flink          reference');
  for (const key of [...new Set([...flinkTotals.keys(), ...referenceTotals.keys()])].sort()) {
    const [tenantId = '', metric = ''] = key.split('|');
    const f = canonicalDecimal(flinkTotals.get(key) ?? 0n);
    const r = canonicalDecimal(referenceTotals.get(key) ?? 0n);
    if (f !== r) matched = false;
    ctx.log(
      `metering: ${tenantId.padEnd(18)}${(tierOf.get(tenantId) ?? '?').padEnd(12)}${metric.padEnd(16)}${f.padStart(12)}  ${r.padStart(12)}${f === r ? '' : '  MISMATCH'}`,
    );
  }
  const b = reference.books;
  ctx.log(
    `metering: books: ${b.input} lines = ${b.counted} counted + ${b.duplicates} duplicates + ${b.late} late + ${b.rejected} rejected` +
      ` (Flink: ${outputs.late.length} late, ${outputs.rejected.length} rejected)`,
  );
  if (outputs.late.length !== b.late || outputs.rejected.length !== b.rejected) matched = false;
  ctx.log(`metering: ${matched ? 'every total matches the reference' : 'MISMATCH against the reference'}`);
  return { matched };
}
