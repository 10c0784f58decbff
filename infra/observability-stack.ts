/**
 * What a platform team runs Tenantry by: the platform dashboard, a per-tenant view, and the alarms
 * (one SNS topic). Custom metrics come from domain/metrics.ts (the names the code emits); the others are
 * the AWS services' own (Lambda, API Gateway, Step Functions, Managed Flink). Thresholds from config.
 */
import { Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import {
  authorizerDecisionKinds,
  billingRecordOutcomes,
  flinkMetrics,
  METRICS_NAMESPACE,
  metricNames,
  metricServices,
} from '../domain/metrics';
import type { WorkflowName } from '../workflows/index';
import type { DeadLetteredLambdaTarget } from './private/dead-letter-queue';

export interface ObservabilityStackProps extends StackProps {
  readonly config: TenantryConfig;
  readonly api: apigw.RestApi;
  readonly authorizerFunction: lambda.IFunction;
  readonly stateMachines: Readonly<Record<WorkflowName, sfn.IStateMachine>>;
  /** The metering Flink application's name. */
  readonly flinkApplicationName: string;
  /** Log groups carrying tenantId (per-request key): the per-tenant view queries them. */
  readonly tenantLogGroups: readonly string[];
  /** Every asynchronous Lambda target (rules, schedules) with the dead-letter queue of its lost events. */
  readonly deadLetteredTargets: readonly DeadLetteredLambdaTarget[];
}

/** The per-tenant view's dashboard variable: every `TENANT_ID` in its queries is replaced. */
export const TENANT_VARIABLE_PATTERN = 'TENANT_ID';

export class ObservabilityStack extends Stack {
  public readonly alarmTopic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly platformDashboard: cloudwatch.Dashboard;
  public readonly tenantDashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const o = config.observability;
    const period = Duration.minutes(o.alarmPeriodMinutes);
    const custom = (
      name: string,
      service: string,
      statistic: string,
      dimensions: Record<string, string> = {},
    ) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { service, ...dimensions },
        statistic,
        period,
      });
    const flinkMetric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/KinesisAnalytics',
        metricName,
        dimensionsMap: { Application: props.flinkApplicationName },
        statistic,
        period,
      });

    // --- alarms -----------------------------------------------------------------------------------
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Tenantry alarm topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: resourceName(config, 'alarms'),
      masterKey: key,
      enforceSSL: true,
    });
    if (o.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(o.alarmEmail));
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, id, {
        alarmName: resourceName(
          config,
          id.replace(/[A-Z]/g, (c, i) => `${i ? '-' : ''}${c.toLowerCase()}`),
        ),
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      this.alarms.push(a);
      return a;
    };
    alarm(
      'AuthorizerErrors',
      custom(metricNames.authorizerError, metricServices.authorizer, 'Sum'),
      o.authorizerErrors,
      'The authorizer failed on our side (catalog, STS) and refused requests',
    );
    for (const [workflow, machine] of Object.entries(props.stateMachines))
      alarm(
        `${workflow[0]?.toUpperCase()}${workflow.slice(1)}Failures`,
        machine.metricFailed({ period, statistic: 'Sum' }),
        o.workflowFailures,
        `${workflow} executions failed (tenantry tenants list --status FAILED; the execution's cause)`,
      );
    alarm(
      'FlinkBehind',
      flinkMetric('millisBehindLatest', 'Maximum'),
      o.flinkBehindSeconds * 1000,
      'The metering job reads the usage stream too far behind: hours wait unbilled',
    );
    alarm(
      'BillingNearDeadline',
      custom(metricNames.billingRecordsNearExpiry, metricServices.billingHourly, 'Maximum'),
      1,
      "Unaccepted billing records approach Marketplace's acceptance deadline",
    );
    alarm(
      'ReconciliationDiscrepancies',
      custom(metricNames.reconciliationDiscrepancies, metricServices.reconciliation, 'Maximum'),
      1,
      'The reconciliation found discrepancies (tenantry reconcile --month M)',
    );
    const deadLetterDepth = (t: DeadLetteredLambdaTarget) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensionsMap: { QueueName: t.queueName },
        statistic: 'Maximum',
        period,
      });
    for (const t of props.deadLetteredTargets)
      alarm(
        `${t.name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}DeadLetters`,
        deadLetterDepth(t),
        1,
        `${t.name} events were lost after their retries: the queue holds them with the error (replay, then purge)`,
      );

    // --- platform dashboard -----------------------------------------------------------------------
    const rejected = flinkMetrics.rejectedEvents;
    const tierDimensions = [...config.tiers.map((t) => t.name), 'unknown'];
    this.platformDashboard = new cloudwatch.Dashboard(this, 'Platform', {
      dashboardName: resourceName(config, 'platform'),
      defaultInterval: Duration.hours(3),
    });
    this.platformDashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Authorizer decisions by kind and tier',
        width: 12,
        stacked: true,
        left: authorizerDecisionKinds.flatMap((kind) =>
          tierDimensions.map((tier) =>
            custom(metricNames.authorizerDecision(kind), metricServices.authorizer, 'Sum', { tier }).with({
              label: `${kind} · ${tier}`,
            }),
          ),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'p99 latency (ms)',
        width: 12,
        left: [
          props.api.metricLatency({ statistic: 'p99', period, label: 'API p99' }),
          props.authorizerFunction.metricDuration({ statistic: 'p99', period, label: 'authorizer p99' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Workflow executions by outcome',
        width: 12,
        stacked: true,
        left: Object.entries(props.stateMachines).flatMap(([workflow, machine]) => [
          machine.metricSucceeded({ period, statistic: 'Sum', label: `${workflow} succeeded` }),
          machine.metricFailed({ period, statistic: 'Sum', label: `${workflow} failed` }),
          machine.metricTimedOut({ period, statistic: 'Sum', label: `${workflow} timed out` }),
          machine.metricAborted({ period, statistic: 'Sum', label: `${workflow} aborted` }),
        ]),
      }),
      new cloudwatch.GraphWidget({
        title: 'Metering: lag behind the stream and records/s',
        width: 12,
        left: [flinkMetric('millisBehindLatest', 'Maximum').with({ label: 'ms behind latest' })],
        right: [flinkMetric('numRecordsInPerSecond', 'Average').with({ label: 'records in/s' })],
      }),
      new cloudwatch.GraphWidget({
        title: 'Billing records by outcome',
        width: 12,
        stacked: true,
        left: [
          ...billingRecordOutcomes.map((outcome) =>
            custom(metricNames.billingRecords(outcome), metricServices.billingHourly, 'Sum').with({
              label: outcome,
            }),
          ),
          custom(metricNames.billingRecordsNearExpiry, metricServices.billingHourly, 'Maximum').with({
            label: 'near expiry',
          }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Rejected usage by reason',
        width: 12,
        stacked: true,
        // One series per reason the job has rejected (Managed Flink adds its own dimensions to custom metrics).
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{AWS/KinesisAnalytics} MetricName="${rejected.name}" Application="${props.flinkApplicationName}"', 'Sum', ${period.toSeconds()})`,
            label: rejected.dimension,
            period,
          }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'STS calls (AssumeRole by the authorizer)',
        width: 12,
        left: [
          custom(metricNames.authorizerStsAssumeRole, metricServices.authorizer, 'Sum').with({
            label: 'AssumeRole',
          }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues: events lost after their retries',
        width: 12,
        left: props.deadLetteredTargets.map((t) => deadLetterDepth(t).with({ label: t.name })),
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: this.alarms }),
    );

    // --- per-tenant view: the tenantId every log line and EMF record of a request carries ---------
    this.tenantDashboard = new cloudwatch.Dashboard(this, 'Tenant', {
      dashboardName: resourceName(config, 'tenant'),
      defaultInterval: Duration.days(1),
      variables: [
        new cloudwatch.DashboardVariable({
          id: 'tenantId',
          label: 'tenant id',
          type: cloudwatch.VariableType.PATTERN,
          inputType: cloudwatch.VariableInputType.INPUT,
          value: TENANT_VARIABLE_PATTERN,
          defaultValue: cloudwatch.DefaultValue.value(TENANT_VARIABLE_PATTERN),
        }),
      ],
    });
    // cfn-lint's resource specification has no Tags on AWS::CloudWatch::Dashboard: keep the app's tags off them.
    for (const dashboard of [this.platformDashboard, this.tenantDashboard])
      for (const tag of ['product', 'stage']) Tags.of(dashboard).remove(tag);
    const tenantFilter = `filter tenantId = "${TENANT_VARIABLE_PATTERN}"`;
    this.tenantDashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Authorizer decisions of the tenant',
        width: 12,
        logGroupNames: [...props.tenantLogGroups],
        queryLines: [tenantFilter, 'filter ispresent(decision)', 'stats count(*) by decision, bin(5m)'],
        view: cloudwatch.LogQueryVisualizationType.STACKEDAREA,
      }),
      new cloudwatch.LogQueryWidget({
        title: 'Latest log lines of the tenant',
        width: 12,
        logGroupNames: [...props.tenantLogGroups],
        queryLines: [
          'fields @timestamp, level, message, decision, tier, errorName',
          tenantFilter,
          'sort @timestamp desc',
          'limit 100',
        ],
      }),
    );
  }
}
