import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../domain/config';
import type { PolicyDocument } from '../../../domain/identity/session-policy';
import { buildTenantryApp, type TenantryStacks } from '../../../infra/tenantry-app';
import { accountConfig } from '../support/account-config';

// The CDK app with account tenants (`accounts` configured): what lets a tenant account's documents
// function be reached by the router and reach the platform, as synthesized. The router's cross-account
// invoke is evaluated with the policy evaluator from the synthesized router policy and the function
// policy the silo template creates in the tenant account (moto evaluates neither).

const PLATFORM = '123456789012';
const MEMBER = '210987654321';
const ORG = 'o-a1b2c3d4e5';
const FUNCTION = `arn:aws:lambda:eu-central-1:${MEMBER}:function:tenantry-dev-rhein-documents`;
let stacks: TenantryStacks;
let plain: TenantryStacks;

beforeAll(() => {
  const context = { 'aws:cdk:bundling-stacks': [] };
  stacks = buildTenantryApp(accountConfig, { context });
  plain = buildTenantryApp(defaultConfig, { context });
}, 120_000);

type Statement = { Sid?: string; Effect: string; Action: unknown; Resource?: unknown; Condition?: unknown };
const statementsOf = (template: Template, type: string, path: string[]): Statement[] =>
  Object.values(template.findResources(type)).flatMap((r) => {
    let value: unknown = r.Properties;
    for (const key of path) value = (value as Record<string, unknown>)[key];
    const document = typeof value === 'string' ? JSON.parse(value) : value;
    return (document as { Statement: Statement[] }).Statement;
  });

/** IAM's verdict on lambda:InvokeFunction of a tenant account's documents function from the platform. */
async function invokeVerdict(
  caller: string,
  identity: PolicyDocument,
  resource: string,
  resourceOrg: string,
): Promise<string> {
  const [, account, role] = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(caller) ?? [];
  const routerRole = `arn:aws:iam::${PLATFORM}:role/tenantry-dev-documents-router`;
  const result = await runSimulation(
    {
      request: {
        principal: caller,
        action: 'lambda:InvokeFunction',
        resource: { resource, accountId: resource.split(':')[4] as string },
        contextVariables: {
          'aws:PrincipalArn': `arn:aws:iam::${account}:role/${role}`,
          'aws:PrincipalOrgID': ORG,
          'aws:ResourceOrgID': resourceOrg,
        },
      },
      identityPolicies: [{ name: 'router', policy: identity }],
      // The silo template's AWS::Lambda::Permission (RouterRoleArn) as the function policy.
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: routerRole },
            Action: 'lambda:InvokeFunction',
            Resource: FUNCTION,
          },
        ],
      },
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

describe('the router invokes account tenants’ functions across accounts', () => {
  it('is allowed for a documents function in an account of this organization, nothing else', async () => {
    // Prepare: the router's synthesized grant for account tenants' functions
    const template = Template.fromStack(stacks.documents);
    const grant = statementsOf(template, 'AWS::IAM::Policy', ['PolicyDocument']).filter((s) =>
      JSON.stringify(s.Condition ?? {}).includes('aws:ResourceOrgID'),
    );
    expect(grant).toHaveLength(1);
    const identity: PolicyDocument = {
      Version: '2012-10-17',
      Statement: grant.map((s) => ({ ...s, Sid: 'AccountServices' })) as PolicyDocument['Statement'],
    };
    const router = `arn:aws:sts::${PLATFORM}:assumed-role/tenantry-dev-documents-router/router`;
    const other = `arn:aws:sts::${PLATFORM}:assumed-role/tenantry-dev-billing-hourly/x`;

    // Act / Assess
    expect(await invokeVerdict(router, identity, FUNCTION, ORG)).toBe('Allowed');
    expect(await invokeVerdict(router, identity, FUNCTION, 'o-zzzzzzzzzz')).not.toBe('Allowed');
    expect(await invokeVerdict(other, identity, FUNCTION, ORG)).not.toBe('Allowed');
    const notDocuments = `arn:aws:lambda:eu-central-1:${MEMBER}:function:tenantry-dev-rhein-admin`;
    expect(await invokeVerdict(router, identity, notDocuments, ORG)).not.toBe('Allowed');
  });

  it('has no grant beyond its own account without `accounts`', () => {
    const statements = statementsOf(Template.fromStack(plain.documents), 'AWS::IAM::Policy', [
      'PolicyDocument',
    ]);
    expect(JSON.stringify(statements)).not.toContain('aws:ResourceOrgID');
  });
});

describe('the platform resources admit the tenant accounts by resource policy, only with `accounts`', () => {
  it('catalog: GetItem of the own record; usage stream: PutRecords, never a tenant session; data bucket: the runtime role by tenant prefix', () => {
    const catalog = statementsOf(Template.fromStack(stacks.controlPlane), 'AWS::DynamoDB::Table', [
      'ResourcePolicy',
      'PolicyDocument',
    ]);
    const stream = statementsOf(Template.fromStack(stacks.metering), 'AWS::Kinesis::ResourcePolicy', [
      'ResourcePolicy',
    ]);
    const bucket = statementsOf(Template.fromStack(stacks.pooledPlane), 'AWS::S3::BucketPolicy', [
      'PolicyDocument',
    ]);

    expect(catalog.map((s) => s.Sid)).toEqual(['TenantAccountServicesReadOwnRecord']);
    expect(stream.map((s) => s.Sid)).toEqual(['TenantAccountServicesEmitUsage', 'NeverTenantSessions']);
    expect(bucket.map((s) => s.Sid)).toEqual(
      expect.arrayContaining(['TenantAccountRuntimeRolesOwnObjects', 'TenantAccountRuntimeRolesOwnListing']),
    );
    for (const s of [
      ...catalog,
      ...stream.slice(0, 1),
      ...bucket.filter((b) => b.Sid?.startsWith('TenantAccount')),
    ]) {
      expect(s.Condition).toMatchObject({ StringEquals: { 'aws:PrincipalOrgID': ORG } });
    }
  });

  it('adds none of them without `accounts`', () => {
    expect(Template.fromStack(plain.metering).findResources('AWS::Kinesis::ResourcePolicy')).toEqual({});
    const tables = Template.fromStack(plain.controlPlane).findResources('AWS::DynamoDB::Table');
    expect(Object.values(tables).some((t) => t.Properties.ResourcePolicy !== undefined)).toBe(false);
    const bucket = JSON.stringify(
      Template.fromStack(plain.pooledPlane).findResources('AWS::S3::BucketPolicy'),
    );
    expect(bucket).not.toContain('aws:PrincipalOrgID');
  });

  it("publishes the silo template in the primary region's artifacts bucket, where a tenant account's CreateStack reads it", () => {
    const artifacts = Template.fromStack(
      stacks.app.node.findChild('tenantry-dev-silo-code-us-east-1') as Parameters<
        typeof Template.fromStack
      >[0],
    );
    const policy = statementsOf(artifacts, 'AWS::S3::BucketPolicy', ['PolicyDocument']);
    expect(policy.find((s) => s.Sid === 'TenantAccountsReadSiloArtifacts')).toMatchObject({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
    });
    Template.fromStack(stacks.lifecycle).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          ACCOUNT_TEMPLATE_URL: {
            'Fn::Join': [
              '',
              [
                'https://tenantry-dev-silo-artifacts-',
                { Ref: 'AWS::AccountId' },
                '-us-east-1.s3.us-east-1.amazonaws.com/silo-tenant.template.json',
              ],
            ],
          },
        },
      },
    });
  });
});
