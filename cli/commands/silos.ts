/**
 * `silos update [--tenant ID] [--template-url URL]`: every ACTIVE silo tenant's stack (or one tenant's)
 * updated, in its own region and account, to the current silo template — the one the lifecycle creates
 * new silos from (the lifecycle stack's output on AWS, the local deployment's template locally).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { baseClientConfig, s3ClientConfig } from '../../domain/aws/clients';
import { lifecycleStackName, SILO_TEMPLATE_URL_OUTPUT } from '../../domain/lifecycle/silo';
import { siloClientsPerTarget } from '../../domain/lifecycle/silo-stack';
import { siloTemplateVersion, updateSiloStacks } from '../../domain/lifecycle/silo-update';
import type { Tenant } from '../../domain/tenant/tenant';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';
import { localSiloTemplateUrl } from '../../local/lifecycle';
import type { CliContext } from '../context';
import { ArgumentError, EnvironmentUnavailableError } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { emit, table } from '../output';

/** Stacks updated at once: each waits on its own CloudFormation; this bounds the polling only. */
const CONCURRENCY = 4;

export async function updateSilos(
  ctx: CliContext,
  options: { tenant?: string; templateUrl?: string },
): Promise<ExitCode> {
  const { config } = ctx;
  let tenants: Tenant[];
  if (options.tenant !== undefined) {
    const id = tenantIdSchema.safeParse(options.tenant);
    if (!id.success) throw new ArgumentError('--tenant', id.error.issues[0]?.message ?? 'not a tenant id');
    tenants = [await ctx.catalog().get(id.data)];
  } else {
    tenants = (await ctx.catalog().listByStatus('ACTIVE')).filter((t) => t.silo !== undefined);
  }
  const templateUrl = options.templateUrl ?? (await currentTemplateUrl(ctx));
  const body = await templateBody(ctx, templateUrl);
  const parameters = (JSON.parse(body) as { Parameters?: Record<string, unknown> }).Parameters ?? {};
  const templateVersion = siloTemplateVersion(body);
  const reports = await updateSiloStacks(
    { config, catalog: ctx.catalog(), clientsFor: siloClientsPerTarget() },
    tenants,
    {
      templateUrl,
      templateVersion,
      parameterKeys: Object.keys(parameters),
      pollMs: config.lifecycle.stackPollSeconds * 1000,
      maxPolls: config.lifecycle.stackMaxPolls,
      concurrency: CONCURRENCY,
    },
  );
  emit(ctx, { templateUrl, templateVersion, reports }, () => [
    `silo template ${templateVersion} (${templateUrl})`,
    ...table([
      ['TENANT', 'REGION', 'OUTCOME', 'STATUS', 'SECONDS', 'REASON'],
      ...reports.map((r) => [
        r.tenantId,
        r.region,
        r.outcome,
        r.status ?? '-',
        (r.elapsedMs / 1000).toFixed(1),
        r.reason ?? '',
      ]),
    ]),
    `${reports.length} silo(s): ${['UPDATED', 'UNCHANGED', 'FAILED', 'SKIPPED']
      .map((o) => `${reports.filter((r) => r.outcome === o).length} ${o.toLowerCase()}`)
      .join(', ')}`,
  ]);
  return reports.some((r) => r.outcome === 'FAILED') ? EXIT.failed : EXIT.ok;
}

/** AWS: the lifecycle stack's output; local: the template the local deployment published. */
async function currentTemplateUrl(ctx: CliContext): Promise<string> {
  if (ctx.target === 'local') {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    if (endpoint === undefined)
      throw new EnvironmentUnavailableError('the local environment has no endpoint');
    return localSiloTemplateUrl(ctx.config, endpoint);
  }
  const stackName = lifecycleStackName(ctx.config);
  const cfn = new CloudFormationClient(baseClientConfig({ region: ctx.config.regions.primary }));
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const url = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === SILO_TEMPLATE_URL_OUTPUT)?.OutputValue;
  if (url === undefined) {
    throw new EnvironmentUnavailableError(`stack ${stackName} has no ${SILO_TEMPLATE_URL_OUTPUT} output`, {
      stackName,
    });
  }
  return url;
}

/** The template itself (path-style S3 URL, as the CDK asset and the local deployment give it). */
async function templateBody(ctx: CliContext, templateUrl: string): Promise<string> {
  const [bucket, ...key] = new URL(templateUrl).pathname.replace(/^\//, '').split('/');
  if (bucket === undefined || bucket === '' || key.length === 0) {
    throw new ArgumentError('--template-url', `"${templateUrl}" is not a path-style S3 object URL`);
  }
  const s3 = new S3Client(s3ClientConfig({ region: ctx.config.regions.primary }));
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') }));
  return (await object.Body?.transformToString()) ?? '';
}
