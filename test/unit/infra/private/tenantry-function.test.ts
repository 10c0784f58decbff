import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type TenantryConfig } from '../../../../domain/config';
import { TenantryFunction } from '../../../../infra/private/tenantry-function';
import { contract as siloDeprovision } from '../../../../lambdas/silo-deprovision/contract';
import { contract as transition } from '../../../../lambdas/tenant-transition/contract';

const customConfig: TenantryConfig = { ...defaultConfig, naming: { product: 'quillstream', stage: 'prod' } };

function synth(build: (stack: Stack) => void) {
  const app = new App();
  const stack = new Stack(app, 'Functions', { env: { account: '111122223333', region: 'us-east-1' } });
  build(stack);
  return { template: Template.fromStack(stack), outdir: app.synth().directory };
}

describe('TenantryFunction', { timeout: 60_000 }, () => {
  it('sets environment, timeout, memory and one IAM statement per grant from the contract', () => {
    // Prepare / Act
    const { template } = synth((stack) => {
      new TenantryFunction(stack, 'Transition', {
        contract: transition,
        config: defaultConfig,
        environment: { CATALOG_TABLE_NAME: 'catalog' },
        grants: { catalog: ['arn:aws:dynamodb:us-east-1:111122223333:table/catalog'] },
      });
    });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 10,
      MemorySize: 256,
      Environment: { Variables: Match.objectLike({ CATALOG_TABLE_NAME: 'catalog' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
            Effect: 'Allow',
            Resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/catalog',
          },
        ]),
      },
    });
  });

  it("merges a binding's deployment conditions with the grant's own, and grants nothing for an empty binding", () => {
    // Prepare / Act
    const { template } = synth((stack) => {
      new TenantryFunction(stack, 'Deprovision', {
        contract: siloDeprovision,
        config: defaultConfig,
        environment: {},
        grants: {
          siloStacks: [],
          siloTables: [],
          siloKeys: {
            resources: ['arn:aws:kms:us-east-1:111122223333:key/*'],
            conditions: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': ['alias/silo-*'] } },
          },
          assumeDeploymentRole: [],
          passDeploymentRole: ['arn:aws:iam::111122223333:role/deploy'],
        },
      });
    });

    // Assess
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Condition?: unknown }[],
    );
    expect(statements.some((s) => JSON.stringify(s.Action).includes('cloudformation:'))).toBe(false);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['kms:ScheduleKeyDeletion', 'kms:DescribeKey'],
        Condition: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': ['alias/silo-*'] } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }),
    );
  });

  it('refuses a grant the stack left unbound, naming it', () => {
    // Prepare / Act
    const building = () =>
      synth((stack) => {
        new TenantryFunction(stack, 'Transition', {
          contract: transition,
          config: defaultConfig,
          environment: { CATALOG_TABLE_NAME: 'catalog' },
          grants: {} as never,
        });
      });

    // Assess
    expect(building).toThrow('no resources bound to grant "catalog" of tenant-transition');
  });

  it("compiles the deployment's configuration into the bundle, so the function does not run on the default", () => {
    // Prepare / Act
    const { template, outdir } = synth((stack) => {
      new TenantryFunction(stack, 'Deprovision', {
        contract: siloDeprovision,
        config: customConfig,
        environment: {},
        grants: {
          siloStacks: [],
          siloTables: [],
          siloKeys: [],
          passDeploymentRole: [],
          assumeDeploymentRole: [],
        },
      });
    });

    // Assess
    const code = Object.values(template.findResources('AWS::Lambda::Function'))[0]?.Properties.Code;
    const assetDir = join(outdir, `asset.${String(code.S3Key).replace(/\.zip$/, '')}`);
    const bundle = readdirSync(assetDir)
      .filter((file) => file.endsWith('.mjs'))
      .map((file) => readFileSync(join(assetDir, file), 'utf8'))
      .join('\n');
    expect(bundle).toContain('"naming":{"product":"quillstream","stage":"prod"}');
    expect(bundle).not.toMatch(/typeof TENANTRY_BUNDLED_CONFIG/);
  });
});
