/**
 * The `tenantry` command: one subcommand per operator question, each a thin module over the domain code
 * the Lambdas and workflows use. commander gives --help, unknown-option errors and choice validation.
 * `runCli` returns the exit code (cli/exit-codes.ts) and never calls process.exit (tests run it in-process).
 */
import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from '../domain/config';
import { TenantNotFoundError, TenantryError, ValidationError } from '../domain/errors';
import { lakeBucketName } from '../domain/naming';
import { type TenantStatus, tenantStatuses } from '../domain/tenant/status';
import { bill, margin, reconcileMonth } from './commands/billing';
import { offboard, onboard, promote } from './commands/lifecycle';
import { type LocalAction, local, localActions } from './commands/local';
import { updateSilos } from './commands/silos';
import { listTenants, showTenant } from './commands/tenants';
import { usage } from './commands/usage';
import { type CliContext, type CliIo, createContext, type Target, targets } from './context';
import { ArgumentError, EnvironmentUnavailableError } from './errors';
import { EXIT, type ExitCode } from './exit-codes';

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const config = loadConfig();
  const tierNames = config.tiers.map((t) => t.name);
  let code: ExitCode = EXIT.ok;
  const program = new Command('tenantry')
    .description('Operate Tenantry: tenants, lifecycle workflows, usage, billing, the local environment.')
    .addOption(new Option('--target <target>', 'where to run').choices(targets).default('local'))
    .option('--json', 'machine-readable output (one JSON document on stdout)', false)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
    })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok · 1 the operation failed (or found discrepancies) · 2 bad arguments, nothing changed\n' +
        '            3 not found · 4 environment unreachable',
    );
  const ctx = (): CliContext => {
    const { target, json } = program.opts<{ target: Target; json: boolean }>();
    return createContext({ config, target, json, io });
  };
  // commander passes the arguments and options its declaration names; each action types them itself.
  const run =
    <A extends unknown[]>(action: (...args: A) => Promise<ExitCode>) =>
    async (...args: A) => {
      code = await action(...args);
    };
  const lakeOption = () =>
    new Option(
      '--lake-bucket <bucket>',
      "the usage lake bucket (default: the deployment's, named from the config)",
    );
  const lakeBucket = async (c: CliContext, given: string | undefined) =>
    given ?? lakeBucketName(config, await c.account(), process.env.AWS_REGION ?? config.regions.primary);

  const tenants = program.command('tenants').description('the tenant catalog');
  tenants
    .command('list')
    .description('tenants, optionally by status and tier')
    .addOption(new Option('--status <status>', 'only this status').choices(tenantStatuses))
    .addOption(new Option('--tier <tier>', 'only this tier').choices(tierNames))
    .action(run(async (opts: { status?: TenantStatus; tier?: string }) => listTenants(ctx(), opts)));
  tenants
    .command('show')
    .description('one tenant: record, history, silo resources')
    .argument('<ID>', 'tenant id')
    .action(run(async (id: string) => showTenant(ctx(), id)));

  program
    .command('onboard')
    .description('start an onboarding and follow it')
    .requiredOption('--id <tenantId>', 'new tenant id')
    .requiredOption('--name <name>', 'tenant display name')
    .addOption(new Option('--tier <tier>', 'tier').choices(tierNames).makeOptionMandatory())
    .requiredOption('--admin-email <email>', "the tenant admin's email")
    .option('--region <region>', 'silo placement (default: the primary region)')
    .action(
      run(async (o: { id: string; name: string; tier: string; adminEmail: string; region?: string }) =>
        onboard(ctx(), {
          tenantId: o.id,
          name: o.name,
          tier: o.tier,
          adminEmail: o.adminEmail,
          ...(o.region ? { region: o.region } : {}),
        }),
      ),
    );
  program
    .command('promote')
    .description('promote a tenant into a silo tier, or change its pool tier, and follow the migration')
    .argument('<ID>', 'tenant id')
    .addOption(
      new Option('--to <tier>', 'target tier: a silo tier, or another pool tier')
        .choices(config.tiers.filter((t) => t.isolation !== 'account').map((t) => t.name))
        .makeOptionMandatory(),
    )
    .action(run(async (id: string, o: { to: string }) => promote(ctx(), id, o.to)));
  program
    .command('offboard')
    .description('offboard a tenant and follow it')
    .argument('<ID>', 'tenant id')
    .option('--reason <text>', 'recorded in the tenant history')
    .action(run(async (id: string, o: { reason?: string }) => offboard(ctx(), id, o.reason)));

  const silos = program.command('silos').description("silo tenants' stacks");
  silos
    .command('update')
    .description(
      "update each ACTIVE silo tenant's stack (in its region and account) to the current silo template; rerunning is safe",
    )
    .option('--tenant <id>', 'only this tenant')
    .option('--template-url <url>', "the template (default: the deployment's current silo template)")
    .action(run(async (o: { tenant?: string; templateUrl?: string }) => updateSilos(ctx(), o)));

  program
    .command('usage')
    .description("a tenant's usage in a UTC day (default today) or hour, with late and rejected counts")
    .argument('<ID>', 'tenant id')
    .addOption(new Option('--day <day>', 'UTC day, e.g. 2026-12-01').conflicts('hour'))
    .addOption(new Option('--hour <hour>', 'UTC hour, e.g. 2026-12-01T13'))
    .addOption(lakeOption())
    .action(
      run(async (id: string, o: { day?: string; hour?: string; lakeBucket?: string }) => {
        const c = ctx();
        return usage(c, id, { ...o, lakeBucket: await lakeBucket(c, o.lakeBucket) });
      }),
    );
  program
    .command('bill')
    .description('bill a closed hour through AWS Marketplace (or show what it would bill)')
    .requiredOption('--hour <hour>', 'UTC hour, e.g. 2026-12-01T13')
    .option('--dry-run', "show the hour's billable usage; send and write nothing", false)
    .action(run(async (o: { hour: string; dryRun: boolean }) => bill(ctx(), o)));
  program
    .command('reconcile')
    .description('reconcile a month: raw lake vs counters vs ledger (read-only)')
    .requiredOption('--month <month>', 'e.g. 2026-11')
    .addOption(lakeOption())
    .action(
      run(async (o: { month: string; lakeBucket?: string }) => {
        const c = ctx();
        return reconcileMonth(c, { month: o.month, lakeBucket: await lakeBucket(c, o.lakeBucket) });
      }),
    );
  program
    .command('margin')
    .description('per-tenant margin for a month; flags the tenants that lose money')
    .requiredOption('--month <month>', 'e.g. 2026-11')
    .option('--html <file>', 'also write the report as an HTML page')
    .action(run(async (o: { month: string; html?: string }) => margin(ctx(), o)));
  program
    .command('local')
    .description('the local environment (moto + handler host + the lifecycle deployed on it)')
    .addArgument(program.createArgument('<action>', 'what to do').choices(localActions))
    .action(run(async (action: LocalAction) => local({ json: program.opts().json, io }, config, action)));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    return failure(error, io);
  }
}

function failure(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) {
    // --help and --version "fail" with exit code 0; commander already wrote every other message.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  io.err(`tenantry: ${message}`);
  if (error instanceof ArgumentError || error instanceof ValidationError) return EXIT.usage;
  if (error instanceof TenantNotFoundError) return EXIT.notFound;
  if (error instanceof EnvironmentUnavailableError || unreachable(error)) return EXIT.unreachable;
  if (error instanceof TenantryError) return EXIT.failed;
  return EXIT.failed;
}

/** Connection refused / no credentials: the target cannot be reached. */
function unreachable(error: unknown): boolean {
  const e = error as { name?: string; code?: string; cause?: { code?: string } };
  return (
    e?.name === 'CredentialsProviderError' ||
    e?.code === 'ECONNREFUSED' ||
    e?.cause?.code === 'ECONNREFUSED' ||
    e?.name === 'NoSuchBucket'
  );
}
