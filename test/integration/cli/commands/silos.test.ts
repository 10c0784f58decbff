// `tenantry silos update` against the local environment: the template the local deployment publishes,
// a silo tenant's stack on moto's CloudFormation in its region, the catalog on moto.
import { createHash } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseClientConfig, documentClient, s3ClientConfig } from '../../../../domain/aws/clients';
import { CatalogRepository } from '../../../../domain/catalog/repository';
import { defaultConfig, resourceName } from '../../../../domain/config';
import { siloStackName } from '../../../../domain/keys';
import { createSiloStack, siloClients } from '../../../../domain/lifecycle/silo-stack';
import type { SiloUpdateReport } from '../../../../domain/lifecycle/silo-update';
import { tableName } from '../../../../domain/tables';
import { siloTemplateBuild } from '../../../../infra/silo-stack';
import { provisionLocalControlPlane } from '../../../../local/control-plane';
import { LOCAL_ACCOUNT, localSiloTemplateUrl } from '../../../../local/lifecycle';
import { publishSiloServiceCode } from '../../../../local/silo-code';
import { resetLocalAws, useLocalAws } from '../../support';
import { cli, json } from '../support';

const config = defaultConfig;
const REGION = 'eu-central-1';
let catalog: CatalogRepository;
let templateUrl: string;
const sha16 = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 16);

/** Publishes `template` where the local deployment keeps the current silo template. */
async function publishTemplate(template: Record<string, unknown>): Promise<string> {
  const body = JSON.stringify(template);
  const [bucket, ...key] = new URL(templateUrl).pathname.slice(1).split('/');
  await new S3Client(s3ClientConfig()).send(
    new PutObjectCommand({ Bucket: bucket, Key: key.join('/'), Body: body }),
  );
  return body;
}

let body: string;
beforeAll(async () => {
  const aws = useLocalAws();
  await resetLocalAws();
  await provisionLocalControlPlane(config);
  catalog = new CatalogRepository({ client: documentClient(), tableName: tableName(config, 'catalog') });
  const build = siloTemplateBuild(config, 'in-process');
  await publishSiloServiceCode(new S3Client(s3ClientConfig()), config, LOCAL_ACCOUNT, build, aws.endpoint);
  await new S3Client(s3ClientConfig()).send(
    new CreateBucketCommand({ Bucket: resourceName(config, 'templates') }),
  );
  templateUrl = localSiloTemplateUrl(config, aws.endpoint);
  body = await publishTemplate(build.template);
  await catalog.create({
    tenantId: 'cli-silo',
    name: 'Silo Inc.',
    tier: 'enterprise',
    isolation: 'silo',
    region: REGION,
  });
  await catalog.create({
    tenantId: 'cli-pool',
    name: 'Pool Inc.',
    tier: 'pro',
    isolation: 'pool',
    region: 'us-east-1',
  });
  const stack = await createSiloStack(
    siloClients({ region: REGION }),
    config,
    { tenantId: 'cli-silo', tier: 'enterprise' },
    {
      templateUrl,
      deploymentRoleArn: null,
      tenantAccessRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'tenant-runtime')}`,
      dataMoverRoleArns: [`arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'tenant-data-copy')}`],
    },
  );
  await catalog.update('cli-silo', (t) => ({ ...t, silo: stack.silo ?? undefined }));
  for (const id of ['cli-silo', 'cli-pool']) await catalog.transition(id, 'ACTIVE', { reason: 'cli test' });
}, 240_000);

describe('tenantry silos update', () => {
  it('finds nothing to change on a stack already on the current template, and records its version', async () => {
    const run = await cli('--json', 'silos', 'update');

    expect(run.code).toBe(0);
    const result = json<{ templateVersion: string; reports: SiloUpdateReport[] }>(run);
    expect(result.templateVersion).toBe(sha16(body));
    expect(result.reports.map((r) => [r.tenantId, r.region, r.outcome])).toEqual([
      ['cli-silo', REGION, 'UNCHANGED'],
    ]);
    expect((await catalog.get('cli-silo')).silo?.templateVersion).toBe(sha16(body));
  });

  it('updates the stack to a changed template and prints one line per tenant', async () => {
    // Prepare
    const build = siloTemplateBuild(config, 'in-process');
    const outputs = build.template.Outputs as Record<string, unknown>;
    const changed = await publishTemplate({
      ...build.template,
      Outputs: { ...outputs, Revision: { Value: '2' } },
    });

    // Act
    const run = await cli('silos', 'update', '--tenant', 'cli-silo');

    // Assess
    expect(run.code).toBe(0);
    expect(run.out[0]).toBe(`silo template ${sha16(changed)} (${templateUrl})`);
    expect(run.out[2]?.split(/\s+/).slice(0, 4)).toEqual(['cli-silo', REGION, 'UPDATED', 'UPDATE_COMPLETE']);
    expect(run.out[3]).toBe('1 silo(s): 1 updated, 0 unchanged, 0 failed, 0 skipped');
    const cfn = new CloudFormationClient(baseClientConfig({ region: REGION }));
    const { Stacks } = await cfn.send(
      new DescribeStacksCommand({ StackName: siloStackName(config, 'cli-silo') }),
    );
    expect(Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'Revision')?.OutputValue).toBe('2');
    expect((await catalog.get('cli-silo')).silo?.templateVersion).toBe(sha16(changed));
  });

  it('answers 3 for an unknown tenant and 2 for a malformed id, changing nothing', async () => {
    expect((await cli('silos', 'update', '--tenant', 'nobody')).code).toBe(3);
    const bad = await cli('silos', 'update', '--tenant', 'Not A Tenant');
    expect(bad.code).toBe(2);
    expect(bad.err.join(' ')).toMatch(/--tenant/);
  });
});
