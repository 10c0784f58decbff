import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Stack,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeKeyCommand,
  KMSClient,
  KMSInvalidStateException,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { contract } from '../../../../lambdas/silo-deprovision/contract';
import { importHandler } from '../../support/lambda';

/** Tenant acme's silo stack: `<product>-<stage>-silo-<tenantId>` with the default config. */
const STACK = 'tenantry-dev-silo-acme';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:111122223333:stack/tenantry-dev-silo-acme/1f2e3d4c';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-0000-4000-8000-000000000001';
const load = () => import('../../../../lambdas/silo-deprovision/handler');
const cfn = mockClient(CloudFormationClient);
const kms = mockClient(KMSClient);

/** What CloudFormation answers for a stack that no longer exists. */
const stackGone = () =>
  Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' });
const stack = (StackStatus: StackStatus, withKeyOutput = true): Stack => ({
  StackName: STACK,
  StackId: STACK_ID,
  StackStatus,
  CreationTime: new Date('2026-01-05T10:00:00Z'),
  Outputs: withKeyOutput ? [{ OutputKey: 'KmsKeyArn', OutputValue: KEY_ARN }] : [],
});

/** When KMS deletes acme's key, as its mocked answers give it. */
const KEY_DELETION_DATE = '2026-02-08T10:00:00.000Z';
/** The handler's answer for acme's silo once its key is scheduled for deletion, the stack in `status`. */
const keyScheduledAnswer = (status: string) => ({
  status,
  stackId: STACK_ID,
  kmsKeyArn: KEY_ARN,
  keyDeletionDate: KEY_DELETION_DATE,
});
/** CloudFormation accepts the stack's deletion and KMS schedules the key's for KEY_DELETION_DATE. */
function mockDeletionsAccepted() {
  cfn.on(DeleteStackCommand).resolves({});
  kms.on(ScheduleKeyDeletionCommand).resolves({ DeletionDate: new Date(KEY_DELETION_DATE) });
}

const scratch = mkdtempSync(join(tmpdir(), 'silo-deprovision-'));

beforeEach(() => {
  cfn.reset();
  kms.reset();
});
afterEach(() => vi.unstubAllEnvs());
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('silo-deprovision cold start', () => {
  it('declares no environment variable: it loads with none set', async () => {
    // Prepare / Act
    const loaded = await importHandler(load, {});

    // Assess
    expect(contract.env).toEqual({});
    expect(typeof loaded.handler).toBe('function');
  });

  it('fails the import when the configuration file it is given cannot be read', async () => {
    // Prepare / Act
    const loading = importHandler(load, { TENANTRY_CONFIG: join(scratch, 'missing.json') });

    // Assess
    await expect(loading).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringMatching(/^invalid configuration: \(file\): cannot read /),
    });
  });

  it("takes the silo stack prefix from the configuration's naming", async () => {
    // Prepare
    const path = join(scratch, 'tenantry.json');
    writeFileSync(path, JSON.stringify({ ...defaultConfig, naming: { product: 'docsaas', stage: 'prod' } }));
    cfn.on(DescribeStacksCommand).rejects(stackGone());
    const { handler } = await importHandler(load, { TENANTRY_CONFIG: path });

    // Act
    const accepted = await handler({ region: 'us-east-1', stackName: 'docsaas-prod-silo-acme' });
    const refusing = handler({ region: 'us-east-1', stackName: STACK });

    // Assess
    expect(accepted).toMatchObject({ status: 'ABSENT' });
    await expect(refusing).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('(expected docsaas-prod-silo-<tenantId>)'),
    });
  });
});

describe('silo-deprovision handler', () => {
  it('rejects a missing stack name, naming the field and the function', async () => {
    // Prepare
    const { handler } = await importHandler(load, {});

    // Act
    const deleting = handler({});

    // Assess
    await expect(deleting).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid silo-deprovision input: stackName: /),
    });
  });

  it.each(['tenantry-dev-lifecycle', 'tenantry-prod-silo-acme', 'other-dev-silo-acme'])(
    'refuses %s: not a silo stack of this deployment',
    async (stackName) => {
      // Prepare
      const { handler } = await importHandler(load, {});

      // Act
      const deleting = handler({ region: 'us-east-1', stackName });

      // Assess
      await expect(deleting).rejects.toMatchObject({
        name: 'ValidationError',
        message: `invalid silo-deprovision input: stackName: "${stackName}" is not a silo stack (expected tenantry-dev-silo-<tenantId>)`,
      });
      expect(cfn).not.toHaveReceivedAnyCommand();
      expect(kms).not.toHaveReceivedAnyCommand();
    },
  );

  it("schedules the key's deletion with the configured window, then deletes the stack", async () => {
    // Prepare
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('CREATE_COMPLETE')] })
      .resolves({ Stacks: [stack('DELETE_IN_PROGRESS')] });
    mockDeletionsAccepted();
    const { handler } = await importHandler(load, {});

    // Act
    const result = await handler({ region: 'us-east-1', stackName: STACK });

    // Assess
    expect(result).toEqual(keyScheduledAnswer('DELETE_IN_PROGRESS'));
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(cfn).toHaveReceivedNthCommandWith(DescribeStacksCommand, 1, { StackName: STACK });
    expect(kms).toHaveReceivedCommandWith(ScheduleKeyDeletionCommand, {
      KeyId: KEY_ARN,
      PendingWindowInDays: 7,
    });
    expect(cfn).toHaveReceivedCommandTimes(DeleteStackCommand, 1);
    expect(cfn).toHaveReceivedCommandWith(DeleteStackCommand, { StackName: STACK_ID });
    expect(cfn).toHaveReceivedNthCommandWith(DescribeStacksCommand, 2, { StackName: STACK_ID });
  });

  it('keeps the date of a key already pending deletion and does not delete a stack already deleting', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('DELETE_IN_PROGRESS')] });
    kms
      .on(ScheduleKeyDeletionCommand)
      .rejects(new KMSInvalidStateException({ message: 'pending deletion', $metadata: {} }));
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: KEY_ARN,
        KeyState: 'PendingDeletion',
        DeletionDate: new Date(KEY_DELETION_DATE),
      },
    });
    const { handler } = await importHandler(load, {});

    // Act
    const result = await handler({ region: 'us-east-1', stackName: STACK });

    // Assess
    expect(result).toEqual(keyScheduledAnswer('DELETE_IN_PROGRESS'));
    expect(kms).toHaveReceivedCommandWith(DescribeKeyCommand, { KeyId: KEY_ARN });
    expect(cfn).not.toHaveReceivedCommand(DeleteStackCommand);
  });

  it('finds the key among the resources of a stack that never completed (no outputs)', async () => {
    // Prepare
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('ROLLBACK_COMPLETE', false)] })
      .rejects(stackGone());
    cfn.on(DescribeStackResourcesCommand).resolves({
      StackResources: [
        {
          LogicalResourceId: 'Table',
          ResourceType: 'AWS::DynamoDB::Table',
          PhysicalResourceId: 'tenantry-dev-silo-data-acme',
          ResourceStatus: 'CREATE_COMPLETE',
          Timestamp: new Date('2026-01-05T10:01:00Z'),
        },
        {
          LogicalResourceId: 'Key',
          ResourceType: 'AWS::KMS::Key',
          PhysicalResourceId: KEY_ARN,
          ResourceStatus: 'CREATE_COMPLETE',
          Timestamp: new Date('2026-01-05T10:00:30Z'),
        },
      ],
    });
    mockDeletionsAccepted();
    const { handler } = await importHandler(load, {});

    // Act
    const result = await handler({ region: 'us-east-1', stackName: STACK });

    // Assess
    expect(result).toEqual(keyScheduledAnswer('ABSENT'));
    expect(cfn).toHaveReceivedCommandWith(DescribeStackResourcesCommand, { StackName: STACK_ID });
    expect(kms).toHaveReceivedCommandWith(ScheduleKeyDeletionCommand, {
      KeyId: KEY_ARN,
      PendingWindowInDays: 7,
    });
  });

  it('answers ABSENT without touching anything once the stack is gone', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).rejects(stackGone());
    const { handler } = await importHandler(load, {});

    // Act
    const result = await handler({ region: 'us-east-1', stackName: STACK });

    // Assess
    expect(result).toEqual({ status: 'ABSENT', stackId: null, kmsKeyArn: null, keyDeletionDate: null });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(cfn).not.toHaveReceivedCommand(DeleteStackCommand);
    expect(kms).not.toHaveReceivedAnyCommand();
  });

  it('fails with SiloStackError when the stack deletion failed', async () => {
    // Prepare
    cfn
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ ...stack('DELETE_FAILED'), StackStatusReason: 'table is in use' }] });
    const { handler } = await importHandler(load, {});

    // Act
    const deleting = handler({ region: 'us-east-1', stackName: STACK });

    // Assess
    await expect(deleting).rejects.toMatchObject({
      name: 'SiloStackError',
      message: 'silo stack tenantry-dev-silo-acme is DELETE_FAILED: table is in use',
    });
    expect(cfn).not.toHaveReceivedCommand(DeleteStackCommand);
  });
});

describe('silo-deprovision stack name', () => {
  it.each(['tenantry-dev-silo-', 'tenantry-dev-silo-Not_A_Tenant'])(
    'refuses %s (the suffix is not a tenant id) without calling CloudFormation',
    async (stackName) => {
      // Prepare
      cfn.on(DescribeStacksCommand).rejects(new Error(`Stack with id ${stackName} does not exist`));
      const { handler } = await importHandler(load, {});

      // Act
      const deleting = handler({ region: 'us-east-1', stackName });

      // Assess
      await expect(deleting).rejects.toMatchObject({ name: 'ValidationError' });
      expect(cfn).not.toHaveReceivedAnyCommand();
    },
  );
});

describe('silo-deprovision region', () => {
  it("deletes the stack and schedules the key in the tenant's region, with clients of that region", async () => {
    // Prepare
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('CREATE_COMPLETE')] })
      .resolves({ Stacks: [stack('DELETE_IN_PROGRESS')] });
    mockDeletionsAccepted();
    const { handler } = await importHandler(load, { AWS_REGION: 'us-east-1' });

    // Act
    await handler({ region: 'eu-central-1', stackName: STACK });

    // Assess
    const regions = async (calls: { thisValue: { config: { region: () => Promise<string> } } }[]) =>
      Promise.all(calls.map((c) => c.thisValue.config.region()));
    expect(await regions(cfn.commandCalls(DeleteStackCommand) as never)).toEqual(['eu-central-1']);
    expect(await regions(cfn.commandCalls(DescribeStacksCommand) as never)).toEqual([
      'eu-central-1',
      'eu-central-1',
    ]);
    expect(await regions(kms.commandCalls(ScheduleKeyDeletionCommand) as never)).toEqual(['eu-central-1']);
  });

  it('refuses a region outside regions.siloAllowed, naming it and the list, without calling AWS', async () => {
    // Prepare
    const { handler } = await importHandler(load, {});

    // Act
    const deleting = handler({ region: 'ap-south-1', stackName: STACK });

    // Assess
    await expect(deleting).rejects.toMatchObject({
      name: 'ValidationError',
      message:
        'invalid silo-deprovision input: region: "ap-south-1" is not an allowed silo region (regions.siloAllowed: us-east-1, eu-central-1)',
    });
    expect(cfn).not.toHaveReceivedAnyCommand();
    expect(kms).not.toHaveReceivedAnyCommand();
  });
});
