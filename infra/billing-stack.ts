import { Aws, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { lakeBucketName as defaultLakeBucketName } from '../domain/naming';
import { CATALOG_BY_STATUS_INDEX, tableDefinitions, tableName } from '../domain/tables';
import { definedTable } from './private/table';
import { TenantryFunction } from './private/tenantry-function';

export interface BillingStackProps extends StackProps {
  readonly config: TenantryConfig;
  /** Tenant catalog (control plane): read for subscribed tenants and their Marketplace identity. */
  readonly catalogTable: dynamodb.ITable;
  /** Usage counters (metering stack): read only. */
  readonly countersTable: dynamodb.ITable;
  /** Event bus alerts are published on (control plane). */
  readonly eventBus: events.IEventBus;
  /**
   * Name of the usage lake bucket (metering stack): `raw/` and `metering/late/` read,
   * `reports/reconciliation/` written. Default: the metering stack's name,
   * `<product>-<stage>-lake-<account>-<region>`.
   */
  readonly lakeBucketName?: string;
}

/**
 * Billing: the ledger table, the hourly Marketplace billing job (EventBridge schedule, one run at a
 * time), the offboarding final bill (`<product>-<stage>-billing-final`, called by the offboarding
 * workflow), the hourly late-usage adjustments and the monthly reconciliation. IAM is least privilege: each function gets only the
 * tables, prefixes and API actions it uses.
 */
export class BillingStack extends Stack {
  public readonly ledgerTable: dynamodb.Table;
  public readonly hourlyFunction: lambda.IFunction;
  public readonly finalBillFunction: lambda.IFunction;
  public readonly reconciliationFunction: lambda.IFunction;
  public readonly adjustmentsFunction: lambda.IFunction;
  public readonly hourlySchedule: events.Rule;
  public readonly adjustmentsSchedule: events.Rule;
  public readonly reconciliationSchedule: events.Rule;

  public constructor(scope: Construct, id: string, props: BillingStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.ledgerTable = definedTable(this, 'Ledger', {
      definition: tableDefinitions.billingLedger,
      tableName: tableName(config, 'billingLedger'),
    });
    Validations.of(this.ledgerTable).acknowledge({
      id: 'AwsSolutions-DDB4',
      reason: 'Point-in-time recovery is on; AWS Backup plans are an organisation-level choice.',
    });

    const environment = {
      CATALOG_TABLE: props.catalogTable.tableName,
      COUNTERS_TABLE: props.countersTable.tableName,
      LEDGER_TABLE: this.ledgerTable.tableName,
      EVENT_BUS_NAME: props.eventBus.eventBusName,
    };
    const meter = new iam.PolicyStatement({
      actions: ['aws-marketplace:BatchMeterUsage'],
      // BatchMeterUsage supports no resource-level permissions.
      resources: ['*'],
    });
    // Exactly the calls the code makes, on exactly the resources it touches (no CDK grant wildcards).
    const catalogRead = new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resources: [
        props.catalogTable.tableArn,
        `${props.catalogTable.tableArn}/index/${CATALOG_BY_STATUS_INDEX}`,
      ],
    });
    const countersRead = new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      resources: [props.countersTable.tableArn],
    });
    const ledgerWrite = new iam.PolicyStatement({
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:BatchWriteItem',
      ],
      resources: [this.ledgerTable.tableArn],
    });
    const ledgerRead = new iam.PolicyStatement({
      actions: ['dynamodb:BatchGetItem', 'dynamodb:Query'],
      resources: [this.ledgerTable.tableArn],
    });
    // Scheduling a late-usage adjustment: one TransactWriteItems (Put + Update + ConditionCheck).
    const adjustmentWrite = new iam.PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
      resources: [this.ledgerTable.tableArn],
    });

    const billingFunction = (fid: string, folder: string, timeout: Duration) => {
      const fn = new TenantryFunction(this, fid, { folder, environment, timeout, memorySize: 512 });
      for (const statement of [catalogRead, countersRead, ledgerWrite, meter])
        fn.function.addToRolePolicy(statement);
      props.eventBus.grantPutEventsTo(fn.function);
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'aws-marketplace:BatchMeterUsage and X-Ray writes support no resource-level permissions.',
      });
      return fn.function;
    };

    const hourly = billingFunction('Hourly', 'billing-hourly', Duration.minutes(10));
    // One run at a time: runs never race on the same hour (the ledger's conditional writes still hold).
    (hourly.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;
    this.hourlyFunction = hourly;

    const finalBill = billingFunction('FinalBill', 'billing-final', Duration.minutes(2));
    (finalBill.node.defaultChild as lambda.CfnFunction).functionName = resourceName(config, 'billing-final');
    this.finalBillFunction = finalBill;

    const lakeBucketName = props.lakeBucketName ?? defaultLakeBucketName(config, this.account, this.region);
    const lakeArn = `arn:${Aws.PARTITION}:s3:::${lakeBucketName}`;
    const recon = new TenantryFunction(this, 'Reconciliation', {
      folder: 'reconciliation',
      environment: { ...environment, LAKE_BUCKET: lakeBucketName, REPORT_BUCKET: lakeBucketName },
      timeout: Duration.minutes(15),
      memorySize: 1024,
    });
    const objectReads = [`${lakeArn}/raw/*`, `${lakeArn}/metering/late/*`];
    const reportWrites = [`${lakeArn}/reports/reconciliation/*`];
    for (const statement of [
      catalogRead,
      countersRead,
      ledgerRead,
      adjustmentWrite,
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: objectReads }),
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: reportWrites }),
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [lakeArn],
        conditions: { StringLike: { 's3:prefix': ['raw/*', 'metering/late/*'] } },
      }),
    ]) {
      recon.function.addToRolePolicy(statement);
    }
    props.eventBus.grantPutEventsTo(recon.function);
    Validations.of(recon).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray writes support no resource-level permissions.',
    });
    // Object-key wildcards under fixed prefixes are the narrowest S3 object permissions possible.
    for (const arn of [...objectReads, ...reportWrites]) {
      Validations.of(recon).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattenArn(this.resolve(arn))}]`,
        reason: 'Objects under one fixed prefix of the usage lake: the narrowest S3 object scope.',
      });
    }
    this.reconciliationFunction = recon.function;

    // Late-usage adjustments: reads the late sink, reads and writes the ledger's adjustment items.
    const adjustments = new TenantryFunction(this, 'Adjustments', {
      folder: 'billing-adjustments',
      environment: { ...environment, LAKE_BUCKET: lakeBucketName },
      timeout: Duration.minutes(5),
      memorySize: 512,
    });
    const lateObjects = `${lakeArn}/metering/late/*`;
    for (const statement of [
      catalogRead,
      ledgerRead,
      adjustmentWrite,
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [lateObjects] }),
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [lakeArn],
        conditions: { StringLike: { 's3:prefix': ['metering/late/*'] } },
      }),
    ]) {
      adjustments.function.addToRolePolicy(statement);
    }
    Validations.of(adjustments).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray writes support no resource-level permissions.',
    });
    Validations.of(adjustments).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flattenArn(this.resolve(lateObjects))}]`,
      reason: 'Objects under one fixed prefix of the usage lake: the narrowest S3 object scope.',
    });
    this.adjustmentsFunction = adjustments.function;

    // Hourly, once the previous hour's windows have closed: watermark delay + grace, plus a minute.
    const minute = Math.min(
      59,
      Math.ceil(config.metering.watermarkDelaySeconds / 60) + config.billing.graceMinutes + 1,
    );
    this.hourlySchedule = new events.Rule(this, 'HourlySchedule', {
      ruleName: resourceName(config, 'billing-hourly'),
      description: 'Bill the last closed hour through AWS Marketplace',
      schedule: events.Schedule.cron({ minute: String(minute) }),
      targets: [new targets.LambdaFunction(hourly, { retryAttempts: 2 })],
    });
    // Hourly, well before the open hour closes: late events still billable go into the open hour.
    this.adjustmentsSchedule = new events.Rule(this, 'AdjustmentsSchedule', {
      ruleName: resourceName(config, 'billing-adjustments'),
      description: 'Schedule billable late usage as adjustments in the open hour',
      schedule: events.Schedule.cron({ minute: String((minute + 30) % 60) }),
      targets: [new targets.LambdaFunction(adjustments.function, { retryAttempts: 2 })],
    });
    // Monthly, after Marketplace's 6-hour month-end grace: reconcile the previous month.
    this.reconciliationSchedule = new events.Rule(this, 'ReconciliationSchedule', {
      ruleName: resourceName(config, 'billing-reconciliation'),
      description: 'Reconcile the previous month: raw lake vs counters vs billing ledger',
      schedule: events.Schedule.cron({ day: '1', hour: '7', minute: '0' }),
      targets: [new targets.LambdaFunction(recon.function, { retryAttempts: 2 })],
    });
  }
}

/** The flat form cdk-nag uses in finding ids (Join joined, Ref as `<Name>`, GetAtt as `<Id.Attr>`). */
function flattenArn(node: unknown): string {
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (node !== null && typeof node === 'object') {
    const n = node as Record<string, unknown>;
    if (Array.isArray(n['Fn::Join'])) {
      const [delimiter, items] = n['Fn::Join'] as [string, unknown[]];
      return items.map(flattenArn).join(delimiter);
    }
    if (n.Ref !== undefined) return `<${flattenArn(n.Ref)}>`;
    if (Array.isArray(n['Fn::GetAtt'])) {
      const [resource, attribute] = n['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenArn(resource)}.${flattenArn(attribute)}>`;
    }
  }
  return JSON.stringify(node);
}
