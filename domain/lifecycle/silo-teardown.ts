import {
  type CloudFormationClient,
  DeleteStackCommand,
  DescribeStackResourcesCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeKeyCommand,
  type KMSClient,
  KMSInvalidStateException,
  NotFoundException,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { SiloStackError } from './errors';
import { siloStackOutputs } from './silo';
import { findSiloStack as findStack } from './silo-stack';

/**
 * One step of deleting a silo: schedule deletion of its KMS key (the configured pending window) unless
 * already scheduled, ask CloudFormation to delete the stack unless it is already deleting, and report
 * where the stack is. Called repeatedly (with a Wait in between) until it answers ABSENT. The key is
 * found from the stack's output, or its resources if the stack never completed.
 */
export type TeardownStatus = 'ABSENT' | 'DELETE_IN_PROGRESS';

export interface TeardownResult {
  readonly status: TeardownStatus;
  readonly stackId: string | null;
  readonly kmsKeyArn: string | null;
  readonly keyDeletionDate: string | null;
}

export async function teardownSiloStep(
  cfn: CloudFormationClient,
  kms: KMSClient,
  stackName: string,
  pendingWindowDays: number,
): Promise<TeardownResult> {
  const stack = await findStack(cfn, stackName);
  if (stack === undefined || stack.StackStatus === 'DELETE_COMPLETE') {
    return { status: 'ABSENT', stackId: stack?.StackId ?? null, kmsKeyArn: null, keyDeletionDate: null };
  }
  if (stack.StackStatus === 'DELETE_FAILED') {
    throw new SiloStackError(stackName, 'DELETE_FAILED', stack.StackStatusReason);
  }
  const keyId = await stackKey(cfn, stack);
  let keyDeletionDate: string | null = null;
  if (keyId !== undefined) keyDeletionDate = await scheduleKeyDeletion(kms, keyId, pendingWindowDays);
  if (stack.StackStatus !== 'DELETE_IN_PROGRESS') {
    await cfn.send(new DeleteStackCommand({ StackName: stack.StackId ?? stackName }));
  }
  const after = await findStack(cfn, stack.StackId ?? stackName);
  const gone = after === undefined || after.StackStatus === 'DELETE_COMPLETE';
  if (after?.StackStatus === 'DELETE_FAILED') {
    throw new SiloStackError(stackName, 'DELETE_FAILED', after.StackStatusReason);
  }
  return {
    status: gone ? 'ABSENT' : 'DELETE_IN_PROGRESS',
    stackId: stack.StackId ?? null,
    kmsKeyArn: keyId ?? null,
    keyDeletionDate,
  };
}

async function stackKey(cfn: CloudFormationClient, stack: Stack): Promise<string | undefined> {
  const output = stack.Outputs?.find((o) => o.OutputKey === siloStackOutputs.kmsKeyArn)?.OutputValue;
  if (output) return output;
  const { StackResources } = await cfn.send(
    new DescribeStackResourcesCommand({ StackName: stack.StackId ?? stack.StackName }),
  );
  return StackResources?.find((r) => r.ResourceType === 'AWS::KMS::Key')?.PhysicalResourceId ?? undefined;
}

/**
 * Schedules the key's deletion; a key already pending deletion keeps its date (KMS refuses to schedule
 * twice), a key already gone is fine.
 *
 * On AWS this is partly redundant: DeleteStack schedules the deletion of the stack's `AWS::KMS::Key`
 * (DeletionPolicy Delete) with the template's `PendingWindowInDays`, the same configured window, and
 * CloudFormation's KMS resource handler treats a key already pending deletion as deleted. We still
 * schedule first, because it (1) makes the tenant's data unreadable at once instead of after the table's
 * deletion, which the key's deletion waits for, (2) also covers a stack whose deletion fails or a key the
 * template would retain, and (3) gives the workflow the deletion date to report.
 */
async function scheduleKeyDeletion(kms: KMSClient, keyIdOrArn: string, days: number): Promise<string | null> {
  try {
    const result = await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyIdOrArn, PendingWindowInDays: days }),
    );
    return result.DeletionDate?.toISOString() ?? null;
  } catch (error) {
    if (error instanceof NotFoundException) return null;
    if (!(error instanceof KMSInvalidStateException)) throw error;
  }
  const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyIdOrArn }));
  return KeyMetadata?.KeyState === 'PendingDeletion'
    ? (KeyMetadata.DeletionDate?.toISOString() ?? null)
    : null;
}
