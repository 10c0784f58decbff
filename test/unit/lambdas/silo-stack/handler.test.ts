import {
  AlreadyExistsException,
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  type Stack,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/silo-stack/contract';
import { writeAccountConfig } from '../../support/account-config';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const EU = 'eu-central-1';
const ACCOUNT = '111122223333';
const STACK = 'tenantry-dev-silo-acme';
const STACK_ID = `arn:aws:cloudformation:${EU}:${ACCOUNT}:stack/${STACK}/1f2e3d4c`;
const TABLE_ARN = `arn:aws:dynamodb:${EU}:${ACCOUNT}:table/tenantry-dev-silo-data-acme`;
const KEY_ARN = `arn:aws:kms:${EU}:${ACCOUNT}:key/0a1b2c3d-0000-4000-8000-000000000001`;
const FUNCTION_ARN = `arn:aws:lambda:${EU}:${ACCOUNT}:function:tenantry-dev-acme-documents`;
const ENV = {
  AWS_REGION: 'us-east-1',
  SILO_TEMPLATE_URL: 'https://s3.us-east-1.amazonaws.com/assets/silo.template.json',
  SILO_DEPLOYMENT_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-silo-deployment`,
  TENANT_ACCESS_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-tenant-runtime`,
  DATA_MOVER_ROLE_ARNS: `arn:aws:iam::${ACCOUNT}:role/copy,arn:aws:iam::${ACCOUNT}:role/verify`,
  PLATFORM_ACCOUNT_ID: ACCOUNT,
  ROUTER_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/tenantry-dev-documents-router`,
  ACCOUNT_TEMPLATE_URL: `https://tenantry-dev-silo-artifacts-${ACCOUNT}-us-east-1.s3.us-east-1.amazonaws.com/silo-tenant.template.json`,
};
const load = () => import('../../../../lambdas/silo-stack/handler');
const cfn = mockClient(CloudFormationClient);

const stack = (StackStatus: StackStatus, outputs: Record<string, string> = {}): Stack => ({
  StackName: STACK,
  StackId: STACK_ID,
  StackStatus,
  CreationTime: new Date('2026-01-05T10:00:00Z'),
  Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
});
const COMPLETE_OUTPUTS = {
  TableName: 'tenantry-dev-silo-data-acme',
  TableArn: TABLE_ARN,
  KmsKeyArn: KEY_ARN,
  ServiceFunctionArn: FUNCTION_ARN,
};
/** The regions of the clients that sent `command`, in call order. */
async function regionsOf(command: typeof CreateStackCommand | typeof DescribeStacksCommand) {
  const calls = cfn.commandCalls(command as never) as unknown as {
    thisValue: { config: { region: () => Promise<string> } };
  }[];
  return Promise.all(calls.map((c) => c.thisValue.config.region()));
}

beforeEach(() => cfn.reset());
afterEach(() => vi.unstubAllEnvs());

describe('silo-stack cold start', () => {
  it.each(Object.keys(ENV).filter((name) => name !== 'AWS_REGION'))('requires %s', async (variable) => {
    await expectColdStartToRequire(load, ENV, variable);
  });
});

describe('silo-stack create', () => {
  it("creates the tenant's stack in the tenant's region from the silo template, and reports it", async () => {
    // Prepare
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_IN_PROGRESS')] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ action: 'create', tenantId: 'acme', tier: 'enterprise', region: EU });

    // Assess
    expect(result).toEqual({
      stackName: STACK,
      stackId: STACK_ID,
      status: 'CREATE_IN_PROGRESS',
      statusReason: null,
      silo: null,
    });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(cfn).toHaveReceivedCommandWith(CreateStackCommand, {
      StackName: STACK,
      TemplateURL: ENV.SILO_TEMPLATE_URL,
      RoleARN: ENV.SILO_DEPLOYMENT_ROLE_ARN,
      Parameters: [
        { ParameterKey: 'TenantId', ParameterValue: 'acme' },
        { ParameterKey: 'Tier', ParameterValue: 'enterprise' },
        { ParameterKey: 'TenantAccessRoleArn', ParameterValue: ENV.TENANT_ACCESS_ROLE_ARN },
        { ParameterKey: 'DataMoverRoleArns', ParameterValue: ENV.DATA_MOVER_ROLE_ARNS },
        // In the platform's own account: given, empty (an update keeps every parameter).
        { ParameterKey: 'PlatformAccountId', ParameterValue: '' },
        { ParameterKey: 'RouterRoleArn', ParameterValue: '' },
        // The tier's reservation (a tenant account whose quota is too low gets `none`)
        { ParameterKey: 'ReservedConcurrency', ParameterValue: 'tier' },
      ],
      Tags: [{ Key: 'tenantry:tenant-id', Value: 'acme' }],
      // The template creates its functions' roles: CloudFormation on AWS refuses it without this.
      Capabilities: ['CAPABILITY_IAM'],
    });
    expect(await regionsOf(CreateStackCommand)).toEqual([EU]);
    expect(await regionsOf(DescribeStacksCommand)).toEqual([EU]);
  });

  it('reports a stack an earlier attempt created instead of failing (idempotent)', async () => {
    // Prepare
    cfn
      .on(CreateStackCommand)
      .rejects(new AlreadyExistsException({ message: `Stack [${STACK}] already exists`, $metadata: {} }));
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_COMPLETE', COMPLETE_OUTPUTS)] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ action: 'create', tenantId: 'acme', tier: 'enterprise', region: EU });

    // Assess
    expect(result.status).toBe('CREATE_COMPLETE');
    expect(result.silo).toEqual({
      stackId: STACK_ID,
      tableName: 'tenantry-dev-silo-data-acme',
      tableArn: TABLE_ARN,
      kmsKeyArn: KEY_ARN,
      serviceFunctionArn: FUNCTION_ARN,
    });
  });

  it('refuses a region outside regions.siloAllowed, naming it and the list, without calling AWS', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const creating = handler({
      action: 'create',
      tenantId: 'acme',
      tier: 'enterprise',
      region: 'ap-south-1',
    });

    // Assess
    await expect(creating).rejects.toMatchObject({
      name: 'ValidationError',
      message:
        'invalid silo-stack input: region: "ap-south-1" is not an allowed silo region (regions.siloAllowed: us-east-1, eu-central-1)',
    });
    expect(cfn).not.toHaveReceivedAnyCommand();
  });
});

describe('silo-stack describe', () => {
  it("reports the real ARNs of a completed stack's outputs", async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_COMPLETE', COMPLETE_OUTPUTS)] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ action: 'describe', tenantId: 'acme', region: EU });

    // Assess
    expect(result).toEqual({
      stackName: STACK,
      stackId: STACK_ID,
      status: 'CREATE_COMPLETE',
      statusReason: null,
      silo: {
        stackId: STACK_ID,
        tableName: 'tenantry-dev-silo-data-acme',
        tableArn: TABLE_ARN,
        kmsKeyArn: KEY_ARN,
        serviceFunctionArn: FUNCTION_ARN,
      },
    });
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK });
    expect(await regionsOf(DescribeStacksCommand)).toEqual([EU]);
  });

  it("records the tenant's dedicated database the stack reports: cluster ARN, endpoint and master secret", async () => {
    // Prepare
    const clusterArn = `arn:aws:rds:${EU}:${ACCOUNT}:cluster:siloacme-databasecluster-abc123`;
    const endpoint = `siloacme-databasecluster-abc123.cluster-c1x2y3.${EU}.rds.amazonaws.com`;
    const secretArn = `arn:aws:secretsmanager:${EU}:${ACCOUNT}:secret:rds!cluster-0a1b2c3d-AbCdEf`;
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        stack('CREATE_COMPLETE', {
          ...COMPLETE_OUTPUTS,
          DatabaseClusterArn: clusterArn,
          DatabaseEndpoint: endpoint,
          DatabaseSecretArn: secretArn,
        }),
      ],
    });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ action: 'describe', tenantId: 'acme', region: EU });

    // Assess
    expect(result.silo).toMatchObject({
      databaseClusterArn: clusterArn,
      databaseEndpoint: endpoint,
      databaseSecretArn: secretArn,
    });
  });

  it('refuses a database secret outside the stack region', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        stack('CREATE_COMPLETE', {
          ...COMPLETE_OUTPUTS,
          DatabaseSecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:rds!cluster-0a1b-AbCdEf`,
        }),
      ],
    });
    const { handler } = await importHandler(load, ENV);

    // Act
    const describe = handler({ action: 'describe', tenantId: 'acme', region: EU });

    // Assess
    await expect(describe).rejects.toMatchObject({
      name: 'SiloStackError',
      message: expect.stringContaining(`is not in the stack's region ${EU}`),
    });
  });

  it('refuses a database cluster outside the stack region (the catalog never records a silo elsewhere)', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        stack('CREATE_COMPLETE', {
          ...COMPLETE_OUTPUTS,
          DatabaseClusterArn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:pooled`,
          DatabaseEndpoint: 'pooled.cluster-c1x2y3.us-east-1.rds.amazonaws.com',
        }),
      ],
    });
    const { handler } = await importHandler(load, ENV);

    await expect(handler({ action: 'describe', tenantId: 'acme', region: EU })).rejects.toMatchObject({
      name: 'SiloStackError',
      message: expect.stringContaining(`is not in the stack's region ${EU}`),
    });
  });

  it('answers ABSENT for a stack the region does not know', async () => {
    // Prepare
    cfn
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' }),
      );
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ action: 'describe', tenantId: 'acme', region: EU });

    // Assess
    expect(result).toEqual({
      stackName: STACK,
      stackId: null,
      status: 'ABSENT',
      statusReason: null,
      silo: null,
    });
  });

  it('passes a failed status and its reason on (the workflow decides)', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ ...stack('ROLLBACK_COMPLETE'), StackStatusReason: 'The following resource(s) failed' }],
    });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler({ action: 'describe', tenantId: 'acme', region: EU });

    // Assess
    expect(result).toMatchObject({
      status: 'ROLLBACK_COMPLETE',
      statusReason: 'The following resource(s) failed',
      silo: null,
    });
  });

  it.each([
    [
      'a missing output',
      { TableName: 'tenantry-dev-silo-data-acme', KmsKeyArn: KEY_ARN },
      'output TableArn is missing',
    ],
    [
      'a table outside the region',
      { ...COMPLETE_OUTPUTS, TableArn: TABLE_ARN.replace(EU, 'us-east-1') },
      `${TABLE_ARN.replace(EU, 'us-east-1')} is not in the stack's region ${EU}`,
    ],
    [
      'a key outside the region',
      { ...COMPLETE_OUTPUTS, KmsKeyArn: KEY_ARN.replace(EU, 'us-east-1') },
      `${KEY_ARN.replace(EU, 'us-east-1')} is not in the stack's region ${EU}`,
    ],
    [
      'a tenant function outside the region',
      { ...COMPLETE_OUTPUTS, ServiceFunctionArn: FUNCTION_ARN.replace(EU, 'us-east-1') },
      `${FUNCTION_ARN.replace(EU, 'us-east-1')} is not in the stack's region ${EU}`,
    ],
  ])('fails with SiloStackError on %s', async (_case, outputs, message) => {
    // Prepare
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_COMPLETE', outputs)] });
    const { handler } = await importHandler(load, ENV);

    // Act
    const describing = handler({ action: 'describe', tenantId: 'acme', region: EU });

    // Assess
    await expect(describing).rejects.toMatchObject({
      name: 'SiloStackError',
      message: `silo stack ${STACK} is CREATE_COMPLETE: ${message}`,
    });
  });

  it('rejects an input without a region, naming the field and the function', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const describing = handler({ action: 'describe', tenantId: 'acme' });

    // Assess
    await expect(describing).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid silo-stack input: region: /),
    });
    expect(cfn).not.toHaveReceivedAnyCommand();
  });
});

describe("silo-stack in a tenant's own account", () => {
  const TENANT_ACCOUNT = '210987654321';
  const inAccount = (arn: string) => arn.replace(ACCOUNT, TENANT_ACCOUNT);
  const sts = mockClient(STSClient);
  beforeEach(() => {
    sts.reset();
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIATENANTACCOUNT',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
  });

  it('deploys with the deployment role assumed in that account, no service role, the runtime role of that account, the template the organization may read, and its documents function reaching the platform', async () => {
    // Prepare
    cfn.on(CreateStackCommand).resolves({ StackId: inAccount(STACK_ID) });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_IN_PROGRESS')] });
    const { handler } = await importHandler(load, { ...ENV, TENANTRY_CONFIG: writeAccountConfig() });

    // Act
    const result = await handler({
      action: 'create',
      tenantId: 'acme',
      tier: 'sovereign',
      region: EU,
      accountId: TENANT_ACCOUNT,
      reserveConcurrency: false,
    });

    // Assess
    expect(result.status).toBe('CREATE_IN_PROGRESS');
    const create = cfn.commandCalls(CreateStackCommand)[0]?.args[0].input;
    expect(create).not.toHaveProperty('RoleARN');
    // The account's concurrency quota cannot keep the tier's reservation (CheckConcurrency decided)
    expect(create?.Parameters).toContainEqual({
      ParameterKey: 'ReservedConcurrency',
      ParameterValue: 'none',
    });
    expect(create?.Parameters).toContainEqual({
      ParameterKey: 'TenantAccessRoleArn',
      ParameterValue: `arn:aws:iam::${TENANT_ACCOUNT}:role/TenantryTenantRuntime`,
    });
    // The template in the platform's artifacts bucket (the CDK asset bucket is not readable from the account)
    expect(create?.TemplateURL).toBe(ENV.ACCOUNT_TEMPLATE_URL);
    // Its documents function reads the catalog and writes usage in the platform account; the router invokes it.
    expect(create?.Parameters).toContainEqual({ ParameterKey: 'PlatformAccountId', ParameterValue: ACCOUNT });
    expect(create?.Parameters).toContainEqual({
      ParameterKey: 'RouterRoleArn',
      ParameterValue: ENV.ROUTER_ROLE_ARN,
    });
    const calls = cfn.commandCalls(CreateStackCommand) as unknown as {
      thisValue: { config: { credentials: () => Promise<{ accessKeyId: string }> } };
    }[];
    // The mocked send skips signing: resolving the client's credentials is what assumes the role.
    expect((await calls[0]?.thisValue.config.credentials())?.accessKeyId).toBe('ASIATENANTACCOUNT');
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${TENANT_ACCOUNT}:role/TenantryDeployment`,
    });
    expect(await regionsOf(CreateStackCommand)).toEqual([EU]);
  });

  it("records the outputs' ARNs in that account, and refuses outputs naming another account", async () => {
    // Prepare
    const inTenantAccount = {
      TableName: 'tenantry-dev-silo-data-acme',
      TableArn: inAccount(TABLE_ARN),
      KmsKeyArn: inAccount(KEY_ARN),
      ServiceFunctionArn: inAccount(FUNCTION_ARN),
    };
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({
        Stacks: [{ ...stack('CREATE_COMPLETE', inTenantAccount), StackId: inAccount(STACK_ID) }],
      })
      .resolvesOnce({
        Stacks: [{ ...stack('CREATE_COMPLETE', COMPLETE_OUTPUTS), StackId: inAccount(STACK_ID) }],
      });
    const { handler } = await importHandler(load, { ...ENV, TENANTRY_CONFIG: writeAccountConfig() });
    const describe = () =>
      handler({ action: 'describe', tenantId: 'acme', region: EU, accountId: TENANT_ACCOUNT });

    // Act
    const recorded = await describe();
    const elsewhere = describe();

    // Assess
    expect(recorded.silo).toEqual({
      stackId: inAccount(STACK_ID),
      tableName: 'tenantry-dev-silo-data-acme',
      tableArn: inAccount(TABLE_ARN),
      kmsKeyArn: inAccount(KEY_ARN),
      serviceFunctionArn: inAccount(FUNCTION_ARN),
    });
    await expect(elsewhere).rejects.toMatchObject({
      name: 'SiloStackError',
      message: expect.stringContaining(`is not in the tenant's account ${TENANT_ACCOUNT}`),
    });
  });
});
