// `make demo` — the main job, on the local environment: moto (AWS APIs, Step Functions with real
// JSONata), the local Lambda handler host running the project's real handlers, and a local Flink.
// Each part of the product adds one step; the story reads top to bottom.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { documentClient } from '../domain/aws/clients';
import { CatalogRepository } from '../domain/catalog/repository';
import { loadConfig } from '../domain/config';
import { provisionLocalControlPlane } from '../local/control-plane';
import { REPO_ROOT, startLocalAws } from '../local/env';
import { runBillingDemo } from './billing';
import type { DemoContext, DemoTenant } from './context';
import { documentsDemo } from './documents';
import { runIdentityDemo } from './identity';
import { lifecycleDemo } from './lifecycle';
import { runMeteringDemo } from './metering';
import { operatorDemo } from './operator';

const sampleNames: Record<string, string> = {
  starter: 'Brightpath Studio',
  pro: 'Harbor & Vance LLP',
  business: 'Northwind Analytics',
  enterprise: 'Rheinbank AG',
};

function heading(title: string): void {
  console.log(`\n━━ ${title} ${'━'.repeat(Math.max(0, 70 - title.length))}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  const log = (line: string) => console.log(`  ${line}`);

  heading('1. Local environment');
  const aws = await startLocalAws({ applyToProcessEnv: true });
  log(`moto (AWS APIs + Step Functions) at ${aws.endpoint}; Lambda handler host at ${aws.handlerHostUrl}`);
  log(`started in ${aws.startupMs} ms; logs: ${aws.logs.moto}, ${aws.logs.handlerHost}`);
  try {
    heading('2. Control plane');
    const controlPlane = await provisionLocalControlPlane(config);
    for (const [key, name] of Object.entries(controlPlane.tables)) log(`table ${name.padEnd(34)} (${key})`);
    log(`event bus ${controlPlane.eventBusName}`);

    const catalog = new CatalogRepository({
      client: documentClient(),
      tableName: controlPlane.tables.catalog,
    });
    const tenants: DemoTenant[] = config.tiers.map((tier) => ({
      tenantId: `demo-${tier.name}`,
      name: sampleNames[tier.name] ?? `Sample ${tier.name}`,
      tier: tier.name,
      isolation: tier.isolation,
    }));

    const outDir = join(REPO_ROOT, '.local', 'demo');
    mkdirSync(outDir, { recursive: true });
    const ctx: DemoContext = { config, log, aws, controlPlane, catalog, tenants, outDir };

    heading('3. Lifecycle: sample tenants onboarded, then onboarding, promotion, offboarding');
    await lifecycleDemo(ctx);

    heading("3b. The operator's view: the tenantry command on the same environment");
    await operatorDemo(ctx, 'lifecycle-harbor');

    heading('4. Identity: sign-in, tenant claims, the authorizer, a cross-tenant attempt');
    await runIdentityDemo({ config, log, endpoint: aws.endpoint, region: aws.region, catalog });

    heading('5. Metering: usage → emitter → Kinesis → the generated Flink SQL (aws profile) → counters');
    const metering = await runMeteringDemo({
      config,
      log,
      catalog,
      aws,
      tables: controlPlane.tables,
      outDir,
      tenants,
    });
    if (!metering.matched)
      throw new Error('metering totals or the plan-limit decision differ from the reference');

    heading('6. Billing: the metered hour → Marketplace, ledger, reconciliation, margin report');
    const billing = await runBillingDemo({
      config,
      log,
      tables: controlPlane.tables,
      outDir,
      metered: metering,
    });
    log(
      `pipeline: ${metering.lines.length} events → ${billing.billedRecords} records billed in ${billing.marketplaceCalls} ` +
        `BatchMeterUsage calls; rerun ${billing.rerunRecords} records; ${billing.discrepancies} discrepancies; ` +
        `flagged: ${billing.flagged.join(', ') || 'none'}`,
    );

    heading('7. Documents: one request per plane, a real token through the authorizer and the router');
    await documentsDemo(ctx);

    heading('Done');
    log(`the whole story ran in ${((Date.now() - started) / 1000).toFixed(1)} s on this machine`);
  } finally {
    await aws.stop();
    log('local environment stopped');
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.exit(1);
});
