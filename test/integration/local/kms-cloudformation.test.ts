// The launcher's KMS patches (local/moto/launcher.py, patch_kms): a KMS key created and deleted by
// CloudFormation behaves as on AWS — DescribeKey works (policy kept as JSON text), template Tags land on
// the key, a key ARN is accepted by ScheduleKeyDeletion, a stack deletion schedules the key's deletion
// with the template's PendingWindowInDays (DeletionPolicy Retain keeps it), and a key pending deletion
// or disabled cannot be used.
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { resetLocalAws, useLocalAws } from '../support';

const DAY_MS = 86_400_000;
let cfn: CloudFormationClient;
let kms: KMSClient;

const keyPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Admin',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:root' },
      Action: ['kms:DescribeKey', 'kms:ScheduleKeyDeletion'],
      Resource: '*',
    },
  ],
};

const template = JSON.stringify({
  Resources: {
    DeletedKey: {
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Delete',
      Properties: {
        KeyPolicy: keyPolicy,
        PendingWindowInDays: 9,
        Tags: [
          { Key: 'tenantry:tenant-id', Value: 'acme' },
          { Key: 'tenantry:tier', Value: 'enterprise' },
        ],
      },
    },
    DefaultWindowKey: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: keyPolicy } },
    RetainedKey: { Type: 'AWS::KMS::Key', DeletionPolicy: 'Retain', Properties: { KeyPolicy: keyPolicy } },
  },
  Outputs: {
    Deleted: { Value: { 'Fn::GetAtt': ['DeletedKey', 'Arn'] } },
    DefaultWindow: { Value: { 'Fn::GetAtt': ['DefaultWindowKey', 'Arn'] } },
    Retained: { Value: { 'Fn::GetAtt': ['RetainedKey', 'Arn'] } },
  },
});

async function createStack(name: string): Promise<Record<string, string>> {
  await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: template }));
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: name }));
  expect(Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
  return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
}

const state = async (keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;

beforeAll(async () => {
  const h = useLocalAws();
  await resetLocalAws();
  cfn = new CloudFormationClient({ region: h.region });
  kms = new KMSClient({ region: h.region });
});

describe('KMS keys created by CloudFormation (moto, patched)', () => {
  it('describes the key, keeps its policy as JSON text and its template tags as KMS tags', async () => {
    // Prepare
    const keys = await createStack('kms-create');
    // Act
    const metadata = await state(keys.Deleted as string);
    const { Policy } = await kms.send(
      new GetKeyPolicyCommand({ KeyId: keys.Deleted as string, PolicyName: 'default' }),
    );
    const { Tags } = await kms.send(new ListResourceTagsCommand({ KeyId: keys.Deleted as string }));
    // Assess
    expect(metadata).toMatchObject({ Arn: keys.Deleted, KeyState: 'Enabled', Enabled: true });
    expect(JSON.parse(Policy as string)).toEqual(keyPolicy);
    expect(Tags).toEqual([
      { TagKey: 'tenantry:tenant-id', TagValue: 'acme' },
      { TagKey: 'tenantry:tier', TagValue: 'enterprise' },
    ]);
  });

  it('schedules the deletion of the keys a stack deletion removes, with the template window; keeps retained ones', async () => {
    // Prepare
    const keys = await createStack('kms-delete');
    const before = Date.now();
    // Act
    await cfn.send(new DeleteStackCommand({ StackName: 'kms-delete' }));
    // Assess
    const deleted = await state(keys.Deleted as string);
    expect(deleted?.KeyState).toBe('PendingDeletion');
    const days = ((deleted?.DeletionDate?.getTime() ?? Number.NaN) - before) / DAY_MS;
    expect(days).toBeGreaterThan(8.99);
    expect(days).toBeLessThan(9.01);
    const defaulted = await state(keys.DefaultWindow as string);
    expect(defaulted?.KeyState).toBe('PendingDeletion');
    expect(((defaulted?.DeletionDate?.getTime() ?? Number.NaN) - before) / DAY_MS).toBeGreaterThan(29.99);
    expect((await state(keys.Retained as string))?.KeyState).toBe('Enabled');
    await expect(
      kms.send(new EncryptCommand({ KeyId: keys.Deleted, Plaintext: Buffer.from('x') })),
    ).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    await expect(
      kms.send(new ScheduleKeyDeletionCommand({ KeyId: keys.Deleted, PendingWindowInDays: 7 })),
    ).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
  });

  it('accepts a key ARN in ScheduleKeyDeletion and CancelKeyDeletion, answering with the ARN; a disabled key cannot encrypt', async () => {
    // Prepare
    const arn = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
    const before = Date.now();
    // Act
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 12 }));
    // Assess
    expect(scheduled).toMatchObject({ KeyId: arn, KeyState: 'PendingDeletion', PendingWindowInDays: 12 });
    expect(((scheduled.DeletionDate as Date).getTime() - before) / DAY_MS).toBeGreaterThan(11.99);
    await kms.send(new CancelKeyDeletionCommand({ KeyId: arn }));
    expect((await state(arn))?.KeyState).toBe('Disabled');
    await expect(
      kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('x') })),
    ).rejects.toMatchObject({ name: 'DisabledException' });
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    await expect(
      kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 3 })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
