import { Aws, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { lakeBucketName as defaultLakeBucketName } from '../domain/naming';
import { CATALOG_BY_STATUS_INDEX, tableDefinitions, tableName } from '../domain/tables';
import { contract as adjustmentsContract } from '../lambdas/billing-adjustments/contract';
import { contract as finalBillContract } from '../lambdas/billing-final/contract';
import { contract as hourlyContract } from '../lambdas/billing-hourly/contract';
import { contract as reconciliationContract } from '../lambdas/reconciliation/contract';
import { DeadLetteredLambdaTarget } from './private/dead-letter-queue';
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
 * workflow), the hourly late-usage adjustments and the monthly reconciliation. Each function is built
 * from its contract (lambdas/<name>/contract.ts); IAM is least privilege: the stack binds each of the
 * contract's grants to exactly the tables, indexes, prefixes and bus it touches.
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
  /** Each schedule's Lambda target and the dead-letter queue of its lost events. */
  public readonly deadLetteredTargets: DeadLetteredLambdaTarget[];

  public constructor(scope: Construct, id: string, props: BillingStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.ledgerTable = definedTable(this, 'Ledger', {
      definition: tableDefinitions.billingLedger,
      tableName: tableName(config, 'billingLedger'),
    });

    const catalogByStatus = `${props.catalogTable.tableArn}/index/${CATALOG_BY_STATUS_INDEX}`;
    const counters = props.countersTable.tableArn;
    const ledger = this.ledgerTable.tableArn;
    const bus = props.eventBus.eventBusArn;
    const runEnvironment = {
      CATALOG_TABLE_NAME: props.catalogTable.tableName,
      COUNTERS_TABLE_NAME: props.countersTable.tableName,
      LEDGER_TABLE_NAME: this.ledgerTable.tableName,
      EVENT_BUS_NAME: props.eventBus.eventBusName,
    };
    const lakeBucketName = props.lakeBucketName ?? defaultLakeBucketName(config, this.account, this.region);
    const lakeArn = `arn:${Aws.PARTITION}:s3:::${lakeBucketName}`;
    const rawObjects = `${lakeArn}/raw/*`;
    const lateObjects = `${lakeArn}/metering/late/*`;
    const reportObjects = `${lakeArn}/reports/reconciliation/*`;

    const hourly = new TenantryFunction(this, 'Hourly', {
      contract: hourlyContract,
      config,
      environment: runEnvironment,
      grants: {
        listTenantsByStatus: [catalogByStatus],
        readHourCounters: [counters],
        readMeteringProgress: [counters],
        writeLedger: [ledger],
        meterUsage: ['*'],
        publishAlerts: [bus],
      },
    });
    // One run at a time: runs never race on the same hour (the ledger's conditional writes still hold).
    (hourly.function.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;
    this.hourlyFunction = hourly.function;

    const finalBill = new TenantryFunction(this, 'FinalBill', {
      contract: finalBillContract,
      config,
      environment: runEnvironment,
      grants: {
        readTenant: [props.catalogTable.tableArn],
        readCounters: [counters],
        writeLedger: [ledger],
        meterUsage: ['*'],
        publishAlerts: [bus],
      },
    });
    (finalBill.function.node.defaultChild as lambda.CfnFunction).functionName = resourceName(
      config,
      finalBillContract.name,
    );
    this.finalBillFunction = finalBill.function;
    for (const fn of [hourly, finalBill]) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'aws-marketplace:BatchMeterUsage and X-Ray writes support no resource-level permissions.',
      });
    }

    const recon = new TenantryFunction(this, 'Reconciliation', {
      contract: reconciliationContract,
      config,
      environment: {
        ...runEnvironment,
        LAKE_BUCKET_NAME: lakeBucketName,
        REPORT_BUCKET_NAME: lakeBucketName,
      },
      grants: {
        listTenantsByStatus: [catalogByStatus],
        readCounters: [counters],
        readLedger: [ledger],
        scheduleAdjustments: [ledger],
        readLake: [rawObjects, lateObjects],
        listLake: [lakeArn],
        writeReports: [reportObjects],
        publishAlerts: [bus],
      },
    });
    this.acknowledgeObjectScopes(recon, [rawObjects, lateObjects, reportObjects]);
    this.reconciliationFunction = recon.function;

    // Late-usage adjustments: reads the late sink, reads and writes the ledger's adjustment items.
    const adjustments = new TenantryFunction(this, 'Adjustments', {
      contract: adjustmentsContract,
      config,
      environment: {
        CATALOG_TABLE_NAME: props.catalogTable.tableName,
        LEDGER_TABLE_NAME: this.ledgerTable.tableName,
        LAKE_BUCKET_NAME: lakeBucketName,
      },
      grants: {
        listTenantsByStatus: [catalogByStatus],
        readAdjustments: [ledger],
        scheduleAdjustments: [ledger],
        readLateEvents: [lateObjects],
        listLateEvents: [lakeArn],
      },
    });
    this.acknowledgeObjectScopes(adjustments, [lateObjects]);
    this.adjustmentsFunction = adjustments.function;

    // A missed run is retried for a day (the function itself for Lambda's 6 h), then dead-lettered.
    const scheduledTarget = (id: string, name: string, fn: lambda.IFunction) =>
      new DeadLetteredLambdaTarget(this, id, {
        config,
        name,
        function: fn,
        retryAttempts: 2,
        maxEventAge: Duration.hours(24),
      });
    const hourlyTarget = scheduledTarget('HourlyTarget', 'billing-hourly', hourly.function);
    const adjustmentsTarget = scheduledTarget(
      'AdjustmentsTarget',
      'billing-adjustments',
      adjustments.function,
    );
    const reconTarget = scheduledTarget('ReconciliationTarget', 'billing-reconciliation', recon.function);
    this.deadLetteredTargets = [hourlyTarget, adjustmentsTarget, reconTarget];

    // Hourly, once the previous hour's windows have closed: watermark delay + grace, plus a minute.
    const minute = Math.min(
      59,
      Math.ceil(config.metering.watermarkDelaySeconds / 60) + config.billing.graceMinutes + 1,
    );
    this.hourlySchedule = new events.Rule(this, 'HourlySchedule', {
      ruleName: resourceName(config, 'billing-hourly'),
      description: 'Bill the last closed hour through AWS Marketplace',
      schedule: events.Schedule.cron({ minute: String(minute) }),
      targets: [hourlyTarget.target],
    });
    // Hourly, well before the open hour closes: late events still billable go into the open hour.
    this.adjustmentsSchedule = new events.Rule(this, 'AdjustmentsSchedule', {
      ruleName: resourceName(config, 'billing-adjustments'),
      description: 'Schedule billable late usage as adjustments in the open hour',
      schedule: events.Schedule.cron({ minute: String((minute + 30) % 60) }),
      targets: [adjustmentsTarget.target],
    });
    // Monthly, after Marketplace's 6-hour month-end grace: reconcile the previous month.
    this.reconciliationSchedule = new events.Rule(this, 'ReconciliationSchedule', {
      ruleName: resourceName(config, 'billing-reconciliation'),
      description: 'Reconcile the previous month: raw lake vs counters vs billing ledger',
      schedule: events.Schedule.cron({ day: '1', hour: '7', minute: '0' }),
      targets: [reconTarget.target],
    });
  }

  /** Object-key wildcards under fixed prefixes are the narrowest S3 object permissions possible. */
  private acknowledgeObjectScopes(fn: TenantryFunction, objectArns: readonly string[]): void {
    for (const arn of objectArns) {
      Validations.of(fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattenArn(this.resolve(arn))}]`,
        reason: 'Objects under one fixed prefix of the usage lake: the narrowest S3 object scope.',
      });
    }
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
