import { createHash } from 'node:crypto';
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseClientConfig, documentClient, s3ClientConfig } from '../../../../domain/aws/clients';
import { CatalogRepository } from '../../../../domain/catalog/repository';
import { loadConfig, resourceName } from '../../../../domain/config';
import { siloStackName } from '../../../../domain/keys';
import { createSiloStack, siloClientsPerTarget } from '../../../../domain/lifecycle/silo-stack';
import { type SiloUpdateSettings, updateSiloStacks } from '../../../../domain/lifecycle/silo-update';
import { tableName } from '../../../../domain/tables';
import type { Tenant } from '../../../../domain/tenant/tenant';
import { siloTemplateBuild } from '../../../../infra/silo-stack';
import { provisionLocalControlPlane } from '../../../../local/control-plane';
import { LOCAL_ACCOUNT } from '../../../../local/lifecycle';
import { publishSiloServiceCode } from '../../../../local/silo-code';
import { resetLocalAws, useLocalAws } from '../../support';

// Silo stacks follow code updates, on moto's CloudFormation in two regions: two silo tenants' stacks
// are created from the silo template (the local build: moto cannot create Aurora), the template
// changes, the update runs, and each stack — in its own region — ends on the new template with its
// parameters kept, the catalog recording the version. A tenant whose stack cannot be updated is
// reported and does not stop the others; a rerun changes nothing and succeeds.

const config = loadConfig('');
const tenants = {
  north: { tenantId: 'upd-north', region: 'us-east-1' },
  south: { tenantId: 'upd-south', region: 'eu-central-1' },
  gone: { tenantId: 'upd-gone', region: 'eu-central-1' },
} as const;
type TenantKey = keyof typeof tenants;

let catalog: CatalogRepository;
let templateUrlOf: (key: string) => string;
const bodies = {} as Record<'v1' | 'v2', string>;
const s3 = () => new S3Client({ ...s3ClientConfig(), forcePathStyle: true });
const cfnIn = (region: string) => new CloudFormationClient(baseClientConfig({ region }));
const sha16 = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 16);

/** The local silo template with one change a code update could bring: a new output. */
function changedTemplate(template: Record<string, unknown>): Record<string, unknown> {
  const outputs = template.Outputs as Record<string, unknown>;
  return { ...template, Outputs: { ...outputs, TemplateRevision: { Value: 'second' } } };
}

function settings(version: 'v1' | 'v2'): SiloUpdateSettings {
  const template = JSON.parse(bodies[version]) as { Parameters: Record<string, unknown> };
  return {
    templateUrl: templateUrlOf(`silo-${version}.json`),
    templateVersion: sha16(bodies[version]),
    parameterKeys: Object.keys(template.Parameters),
    pollMs: 100,
    maxPolls: 100,
    concurrency: 2,
  };
}

async function tenantsInCatalog(): Promise<Tenant[]> {
  return Promise.all(Object.values(tenants).map((t) => catalog.get(t.tenantId)));
}

beforeAll(async () => {
  const aws = useLocalAws();
  await resetLocalAws();
  await provisionLocalControlPlane(config);
  catalog = new CatalogRepository({ client: documentClient(), tableName: tableName(config, 'catalog') });
  const build = siloTemplateBuild(config, 'in-process');
  await publishSiloServiceCode(s3(), config, LOCAL_ACCOUNT, build, aws.endpoint);
  const bucket = resourceName(config, 'templates');
  await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  bodies.v1 = JSON.stringify(build.template);
  bodies.v2 = JSON.stringify(changedTemplate(build.template));
  for (const version of ['v1', 'v2'] as const) {
    await s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: `silo-${version}.json`, Body: bodies[version] }),
    );
  }
  templateUrlOf = (key) => `${aws.endpoint.replace('127.0.0.1', 'localhost')}/${bucket}/${key}`;
  const clientsFor = siloClientsPerTarget();
  for (const tenant of Object.values(tenants)) {
    await catalog.create({ ...tenant, name: tenant.tenantId, tier: 'enterprise', isolation: 'silo' });
    const stack = await createSiloStack(
      clientsFor({ region: tenant.region }),
      config,
      { tenantId: tenant.tenantId, tier: 'enterprise' },
      {
        templateUrl: templateUrlOf('silo-v1.json'),
        deploymentRoleArn: null,
        tenantAccessRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'tenant-runtime')}`,
        dataMoverRoleArns: [`arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'tenant-data-copy')}`],
      },
    );
    expect(stack.status).toBe('CREATE_COMPLETE');
    await catalog.update(tenant.tenantId, (t) => ({ ...t, silo: stack.silo ?? undefined }));
    await catalog.transition(tenant.tenantId, 'ACTIVE', { reason: 'silo update test' });
  }
  // One tenant's stack disappears out of band: its update must fail and be reported.
  await cfnIn(tenants.gone.region).send(
    new DeleteStackCommand({ StackName: siloStackName(config, tenants.gone.tenantId) }),
  );
}, 240_000);

describe('tenantry silos update (UpdateStack in each silo region)', () => {
  it('updates each stack in its own region to the current template, keeps its parameters, records the version; a failed one does not stop the others', async () => {
    // Act
    const reports = await updateSiloStacks(
      { config, catalog, clientsFor: siloClientsPerTarget() },
      await tenantsInCatalog(),
      settings('v2'),
    );

    // Assess
    expect(reports.map((r) => [r.tenantId, r.region, r.outcome])).toEqual([
      ['upd-north', 'us-east-1', 'UPDATED'],
      ['upd-south', 'eu-central-1', 'UPDATED'],
      ['upd-gone', 'eu-central-1', 'FAILED'],
    ]);
    expect(reports[2]?.reason).toMatch(/does not exist/);
    for (const key of ['north', 'south'] as TenantKey[]) {
      const { region, tenantId } = tenants[key];
      const stackName = siloStackName(config, tenantId);
      const { TemplateBody } = await cfnIn(region).send(new GetTemplateCommand({ StackName: stackName }));
      expect(JSON.parse(TemplateBody ?? '{}')).toEqual(JSON.parse(bodies.v2));
      const { Stacks } = await cfnIn(region).send(new DescribeStacksCommand({ StackName: stackName }));
      expect(Stacks?.[0]?.StackStatus).toBe('UPDATE_COMPLETE');
      expect(Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'TemplateRevision')?.OutputValue).toBe(
        'second',
      );
      expect(Stacks?.[0]?.Parameters?.find((p) => p.ParameterKey === 'TenantId')?.ParameterValue).toBe(
        tenantId,
      );
      const recorded = await catalog.get(tenantId);
      expect(recorded.silo?.templateVersion).toBe(sha16(bodies.v2));
      expect(recorded.silo?.tableArn).toMatch(new RegExp(`^arn:aws:dynamodb:${region}:`));
    }
    // Each stack lives only in its tenant's region.
    await expect(
      cfnIn('us-east-1').send(new DescribeStacksCommand({ StackName: siloStackName(config, 'upd-south') })),
    ).rejects.toThrow(/does not exist/);
    expect((await catalog.get('upd-gone')).silo?.templateVersion).toBeUndefined();
  });

  it('is idempotent: a rerun finds nothing to update, succeeds, and leaves the catalog on the version', async () => {
    // Act
    const reports = await updateSiloStacks(
      { config, catalog, clientsFor: siloClientsPerTarget() },
      await tenantsInCatalog(),
      settings('v2'),
    );

    // Assess
    expect(reports.map((r) => [r.tenantId, r.outcome])).toEqual([
      ['upd-north', 'UNCHANGED'],
      ['upd-south', 'UNCHANGED'],
      ['upd-gone', 'FAILED'],
    ]);
    for (const key of ['north', 'south'] as TenantKey[]) {
      expect((await catalog.get(tenants[key].tenantId)).silo?.templateVersion).toBe(sha16(bodies.v2));
    }
  });

  it('skips a tenant that is not ACTIVE (a workflow owns it) and says why', async () => {
    // Prepare
    await catalog.transition('upd-north', 'OFFBOARDING', { reason: 'silo update test' });

    // Act
    const reports = await updateSiloStacks(
      { config, catalog, clientsFor: siloClientsPerTarget() },
      [await catalog.get('upd-north')],
      settings('v1'),
    );

    // Assess
    expect(reports.map((r) => [r.tenantId, r.outcome, r.reason])).toEqual([
      ['upd-north', 'SKIPPED', 'tenant upd-north is OFFBOARDING, not ACTIVE'],
    ]);
    const { TemplateBody } = await cfnIn('us-east-1').send(
      new GetTemplateCommand({ StackName: siloStackName(config, 'upd-north') }),
    );
    expect(JSON.parse(TemplateBody ?? '{}')).toEqual(JSON.parse(bodies.v2));
  });
});
