import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../../domain/config';
import { DeadLetteredLambdaTarget } from '../../../../infra/private/dead-letter-queue';

function synth(retryAttempts: number, maxEventAge: Duration) {
  const app = new App();
  const stack = new Stack(app, 'Targets', { env: { account: '111122223333', region: 'us-east-1' } });
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('export const handler = async () => {};'),
  });
  const target = new DeadLetteredLambdaTarget(stack, 'Target', {
    config: defaultConfig,
    name: 'signup-to-onboarding',
    function: fn,
    retryAttempts,
    maxEventAge,
  });
  new events.Rule(stack, 'Rule', {
    schedule: events.Schedule.rate(Duration.hours(1)),
    targets: [target.target],
  });
  return { template: Template.fromStack(stack), target };
}

describe('DeadLetteredLambdaTarget', { timeout: 60_000 }, () => {
  it('sends undeliverable events and failed invocations to one encrypted, TLS-only queue', () => {
    // Prepare / Act
    const { template, target } = synth(8, Duration.hours(24));

    // Assess
    expect(target.queueName).toBe('tenantry-dev-signup-to-onboarding-dlq');
    const [queueId] = Object.keys(
      template.findResources('AWS::SQS::Queue', {
        Properties: {
          QueueName: target.queueName,
          SqsManagedSseEnabled: true,
          MessageRetentionPeriod: 1_209_600,
        },
      }),
    );
    expect(queueId).toBeDefined();
    const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          DeadLetterConfig: { Arn: queueArn },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']), Resource: queueArn }),
        ]),
      },
    });
    // Lambda's own bounds: at most 2 retries and 6 hours.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
  });

  it('keeps a no-retry, short-lived target so on the function side too', () => {
    // Prepare / Act
    const { template } = synth(0, Duration.minutes(1));

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });
});
