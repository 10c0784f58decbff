import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Stack,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CatalogRepository } from '../../../../domain/catalog/repository';
import { defaultConfig } from '../../../../domain/config';
import type { SiloClients, SiloTarget } from '../../../../domain/lifecycle/silo-stack';
import { type SiloUpdateSettings, updateSiloStacks } from '../../../../domain/lifecycle/silo-update';
import type { Tenant } from '../../../../domain/tenant/tenant';
import { accountConfig } from '../../support/account-config';

const ACCOUNT = '111122223333';
const EU = 'eu-central-1';
const STACK = 'tenantry-dev-silo-acme';
const STACK_ID = `arn:aws:cloudformation:${EU}:${ACCOUNT}:stack/${STACK}/1f2e3d4c`;
const OUTPUTS = {
  TableName: 'tenantry-dev-silo-data-acme',
  TableArn: `arn:aws:dynamodb:${EU}:${ACCOUNT}:table/tenantry-dev-silo-data-acme`,
  KmsKeyArn: `arn:aws:kms:${EU}:${ACCOUNT}:key/0a1b2c3d-0000-4000-8000-000000000001`,
  ServiceFunctionArn: `arn:aws:lambda:${EU}:${ACCOUNT}:function:tenantry-dev-acme-documents`,
};
const cfn = mockClient(CloudFormationClient);

const stack = (StackStatus: Stack['StackStatus'], reason?: string): Stack => ({
  StackName: STACK,
  StackId: STACK_ID,
  StackStatus,
  ...(reason === undefined ? {} : { StackStatusReason: reason }),
  CreationTime: new Date('2026-01-05T10:00:00Z'),
  Parameters: [
    { ParameterKey: 'TenantId', ParameterValue: 'acme' },
    { ParameterKey: 'Tier', ParameterValue: 'enterprise' },
  ],
  Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
});

const tenant = (overrides: Partial<Tenant> = {}): Tenant =>
  ({
    tenantId: 'acme',
    name: 'Acme',
    tier: 'enterprise',
    isolation: 'silo',
    region: EU,
    status: 'ACTIVE',
    silo: { stackId: STACK_ID, ...OUTPUTS },
    ...overrides,
  }) as Tenant;

let targets: SiloTarget[];
let recorded: Tenant[];
let sleeps: number[];
const deps = (config = defaultConfig) => ({
  config,
  catalog: {
    update: async (id: string, change: (t: Tenant) => Tenant) => {
      const next = change(tenant({ tenantId: id }));
      recorded.push(next);
      return next;
    },
  } as unknown as CatalogRepository,
  clientsFor: (target: SiloTarget): SiloClients => {
    targets.push(target);
    return {
      region: target.region,
      ...(target.accountId === undefined ? {} : { accountId: target.accountId }),
      cfn: new CloudFormationClient({ region: target.region }),
      kms: new KMSClient({ region: target.region }),
    };
  },
});
const settings: SiloUpdateSettings = {
  templateUrl: 'https://s3.us-east-1.amazonaws.com/assets/silo.template.json',
  templateVersion: '0123456789abcdef',
  parameterKeys: ['TenantId', 'Tier', 'NewParameter'],
  pollMs: 10,
  maxPolls: 3,
  concurrency: 2,
  sleep: async (ms) => {
    sleeps.push(ms);
  },
};

beforeEach(() => {
  cfn.reset();
  targets = [];
  recorded = [];
  sleeps = [];
});

describe('updateSiloStacks', () => {
  it('keeps the stack parameters, lets a new one take its default, keeps the service role, acknowledges IAM', async () => {
    // Prepare
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('UPDATE_COMPLETE')] })
      .resolvesOnce({ Stacks: [stack('UPDATE_IN_PROGRESS')] })
      .resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });

    // Act
    const [report] = await updateSiloStacks(deps(), [tenant()], settings);

    // Assess
    expect(report).toMatchObject({
      tenantId: 'acme',
      region: EU,
      outcome: 'UPDATED',
      status: 'UPDATE_COMPLETE',
    });
    expect(cfn.commandCalls(UpdateStackCommand)[0]?.args[0].input).toEqual({
      StackName: STACK,
      TemplateURL: settings.templateUrl,
      Parameters: [
        { ParameterKey: 'TenantId', UsePreviousValue: true },
        { ParameterKey: 'Tier', UsePreviousValue: true },
      ],
      Capabilities: ['CAPABILITY_IAM'],
    });
    expect(sleeps).toEqual([10]);
    expect(recorded.map((t) => t.silo?.templateVersion)).toEqual(['0123456789abcdef']);
  });

  it("reports a rolled-back update as FAILED with CloudFormation's reason, and records nothing", async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('UPDATE_COMPLETE')] })
      .resolves({ Stacks: [stack('UPDATE_ROLLBACK_COMPLETE', 'Resource DocumentsService failed')] });
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });

    const [report] = await updateSiloStacks(deps(), [tenant()], settings);

    expect(report).toMatchObject({
      outcome: 'FAILED',
      status: 'UPDATE_ROLLBACK_COMPLETE',
      reason: 'Resource DocumentsService failed',
    });
    expect(recorded).toEqual([]);
  });

  it('waits at most maxPolls: a stack still updating is reported FAILED with how long it waited', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('UPDATE_COMPLETE')] })
      .resolves({ Stacks: [stack('UPDATE_IN_PROGRESS')] });
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });

    const [report] = await updateSiloStacks(deps(), [tenant()], settings);

    expect(report).toMatchObject({
      outcome: 'FAILED',
      status: 'UPDATE_IN_PROGRESS',
      reason: 'still UPDATE_IN_PROGRESS after 3 polls of 10 ms',
    });
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(1 + 3);
    expect(sleeps).toEqual([10, 10]);
    expect(recorded).toEqual([]);
  });

  it('treats "No updates are to be performed" as success and records the version', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    cfn
      .on(UpdateStackCommand)
      .rejects(Object.assign(new Error('No updates are to be performed.'), { name: 'ValidationError' }));

    const [report] = await updateSiloStacks(deps(), [tenant()], settings);

    expect(report).toMatchObject({ outcome: 'UNCHANGED', status: 'UPDATE_COMPLETE', reason: null });
    expect(recorded.map((t) => t.silo?.templateVersion)).toEqual(['0123456789abcdef']);
  });

  it("updates an account tenant's stack in its account, with the deployment role assumed there", async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    cfn.on(UpdateStackCommand).rejects(new Error('No updates are to be performed.'));
    const accountTenant = tenant({ tier: 'sovereign', isolation: 'account', accountId: ACCOUNT });

    await updateSiloStacks(deps(accountConfig), [accountTenant], settings);

    expect(targets).toEqual([{ region: EU, accountId: ACCOUNT, roleName: 'TenantryDeployment' }]);
  });

  it('skips a tenant in a workflow or without a silo, calling nothing', async () => {
    const reports = await updateSiloStacks(
      deps(),
      [tenant({ status: 'MIGRATING' }), tenant({ tenantId: 'pooled', silo: undefined })],
      settings,
    );

    expect(reports.map((r) => [r.tenantId, r.outcome, r.reason])).toEqual([
      ['acme', 'SKIPPED', 'tenant acme is MIGRATING, not ACTIVE'],
      ['pooled', 'SKIPPED', 'tenant pooled has no silo stack'],
    ]);
    expect(cfn.calls()).toHaveLength(0);
  });
});
