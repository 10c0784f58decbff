import { Duration, Validations } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../../domain/config';

/** Lambda's own bounds on asynchronous invocations (EventInvokeConfig). */
const LAMBDA_MAX_RETRIES = 2;
const LAMBDA_MAX_EVENT_AGE = Duration.hours(6);

export interface DeadLetteredLambdaTargetProps {
  readonly config: TenantryConfig;
  /** What the events are (kebab-case): the queue is `<product>-<stage>-<name>-dlq`, its alarm says it. */
  readonly name: string;
  readonly function: lambda.IFunction;
  /** Delivery retries (EventBridge) and the function's retries on error (at most Lambda's 2). */
  readonly retryAttempts: number;
  /** How long an event is retried before it is dead-lettered (the function's side: at most 6 h). */
  readonly maxEventAge: Duration;
}

/**
 * An EventBridge rule's Lambda target whose events are never lost silently: one encrypted queue receives
 * both the events EventBridge could not deliver (the target's dead-letter queue) and the events the
 * function failed on after its retries (its asynchronous on-failure destination). The observability
 * stack alarms on every such queue's depth (`deadLetterQueue`).
 */
export class DeadLetteredLambdaTarget extends Construct {
  public readonly name: string;
  /** A literal (not a token): other stacks watch the queue by name without a cross-stack export. */
  public readonly queueName: string;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly target: targets.LambdaFunction;

  public constructor(scope: Construct, id: string, props: DeadLetteredLambdaTargetProps) {
    super(scope, id);
    this.name = props.name;
    this.queueName = resourceName(props.config, `${props.name}-dlq`);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: this.queueName,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue (of an EventBridge target and a Lambda function).',
    });
    this.target = new targets.LambdaFunction(props.function, {
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      deadLetterQueue: this.deadLetterQueue,
    });
    props.function.configureAsyncInvoke({
      retryAttempts: Math.min(props.retryAttempts, LAMBDA_MAX_RETRIES),
      maxEventAge:
        props.maxEventAge.toSeconds() > LAMBDA_MAX_EVENT_AGE.toSeconds()
          ? LAMBDA_MAX_EVENT_AGE
          : props.maxEventAge,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });
  }
}
