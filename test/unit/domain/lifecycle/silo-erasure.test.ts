import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeKeyCommand, KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { siloRemainder } from '../../../../domain/lifecycle/silo-erasure';

const cfn = mockClient(CloudFormationClient);
const kms = mockClient(KMSClient);
const KEY = 'arn:aws:kms:eu-central-1:111122223333:key/k1';
const silo = {
  location: { region: 'eu-central-1', stackName: 'tenantry-dev-silo-acme', kmsKeyArn: KEY },
  clients: { region: 'eu-central-1', cfn: new CloudFormationClient({}), kms: new KMSClient({}) },
};

beforeEach(() => {
  cfn.reset();
  kms.reset();
});

describe('siloRemainder', () => {
  it('treats a key KMS no longer knows as gone, and a DELETE_COMPLETE stack as gone', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackName: 'tenantry-dev-silo-acme', StackStatus: 'DELETE_COMPLETE', CreationTime: new Date() },
      ],
    });
    kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: 'no key', $metadata: {} }));

    // Act
    const left = await siloRemainder(silo.location, silo.clients);

    // Assess
    expect(left).toEqual({ siloStack: false, kmsKey: false });
  });

  it('refuses clients built for another region than the silo', async () => {
    // Prepare
    const usClients = { ...silo.clients, region: 'us-east-1' };

    // Act / Assess
    await expect(siloRemainder(silo.location, usClients)).rejects.toThrow(
      'silo in eu-central-1 checked with clients for us-east-1',
    );
    expect(cfn).not.toHaveReceivedAnyCommand();
  });
});

describe('siloRemainder of a silo not yet gone', () => {
  it('reports a stack still deleting and a key not pending deletion, looked up by the recorded ARN', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackName: 'tenantry-dev-silo-acme', StackStatus: 'DELETE_IN_PROGRESS', CreationTime: new Date() },
      ],
    });
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k1', KeyState: 'Enabled' } });

    // Act
    const left = await siloRemainder(silo.location, silo.clients);

    // Assess
    expect(left).toEqual({ siloStack: true, kmsKey: true });
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'tenantry-dev-silo-acme' });
    expect(kms).toHaveReceivedCommandWith(DescribeKeyCommand, { KeyId: KEY });
  });
});
