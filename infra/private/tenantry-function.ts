import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TenantryConfig } from '../../domain/config';
import {
  type FunctionContract,
  type FunctionEnvironment,
  functionEnvironment,
  type Grant,
  type GrantBinding,
  type GrantResources,
} from '../../domain/function-contract';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface TenantryFunctionProps<C extends FunctionContract> {
  /** The function's contract (`lambdas/<name>/contract.ts`): handler folder, env, size, grants. */
  readonly contract: C;
  /** The deployment's configuration, compiled into the bundle (`loadConfig()` returns it). */
  readonly config: TenantryConfig;
  /** Every variable the contract requires (validated again by the handler at cold start). */
  readonly environment: FunctionEnvironment<C>;
  /** The resources each of the contract's grants applies to. */
  readonly grants: GrantResources<C>;
  /** Default: 1 month. */
  readonly logRetention?: logs.RetentionDays;
  /** Runs the function in these subnets (e.g. to reach a database); default: no VPC. */
  readonly network?: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.SubnetSelection;
    readonly securityGroups: readonly ec2.ISecurityGroup[];
  };
  /**
   * Bundle the AWS SDK instead of using the runtime's copy: for SDK packages the runtime may not
   * carry (e.g. @aws-sdk/rds-signer). Default false.
   */
  readonly bundleAwsSdk?: boolean;
}

/**
 * A project Lambda function: Node.js 22 on arm64, bundled by the local esbuild (never Docker),
 * JSON logs in its own log group, X-Ray tracing on.
 */
export class TenantryFunction<C extends FunctionContract = FunctionContract> extends Construct {
  public readonly function: nodejs.NodejsFunction;

  public constructor(scope: Construct, id: string, props: TenantryFunctionProps<C>) {
    super(scope, id);
    const { contract } = props;
    const entry = join(repoRoot, 'lambdas', contract.name, 'handler.ts');
    if (!existsSync(entry)) {
      throw new Error(`TenantryFunction ${id}: no handler at lambdas/${contract.name}/handler.ts`);
    }
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      description: contract.description.slice(0, 256),
      timeout: Duration.seconds(contract.timeoutSeconds),
      memorySize: contract.memoryMb,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...functionEnvironment(contract, props.environment),
      },
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      ...(props.network === undefined
        ? {}
        : {
            vpc: props.network.vpc,
            vpcSubnets: props.network.subnets,
            securityGroups: [...props.network.securityGroups],
          }),
      loggingFormat: lambda.LoggingFormat.JSON,
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        sourceMap: true,
        minify: true,
        mainFields: ['module', 'main'],
        // node-postgres' optional native binding is never installed (pure-JS driver).
        externalModules: props.bundleAwsSdk === true ? ['pg-native'] : ['@aws-sdk/*', 'pg-native'],
        define: { TENANTRY_BUNDLED_CONFIG: JSON.stringify(JSON.stringify(props.config)) },
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
    });
    const bindings = props.grants as Readonly<Record<string, GrantBinding>>;
    for (const [grantName, grant] of Object.entries(contract.grants as Readonly<Record<string, Grant>>)) {
      const binding = bindings[grantName];
      if (binding === undefined) {
        throw new Error(
          `TenantryFunction ${id}: no resources bound to grant "${grantName}" of ${contract.name}`,
        );
      }
      const { resources, conditions } = isBindingWithConditions(binding)
        ? binding
        : { resources: binding, conditions: {} };
      if (resources.length === 0) continue;
      const merged = { ...grant.conditions, ...conditions };
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [...grant.actions],
          resources: [...resources],
          conditions: Object.keys(merged).length > 0 ? merged : undefined,
        }),
      );
    }
    // The managed basic-execution policy only grants writing to the function's own log group, and
    // X-Ray's PutTraceSegments/PutTelemetryRecords have no resource-level permissions.
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWSLambdaBasicExecutionRole only allows writing this function’s own logs.',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
    });
    if (props.network !== undefined) {
      Validations.of(this.function).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'AWSLambdaVPCAccessExecutionRole only manages the function’s own network interfaces.',
      });
    }
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to nodejs22.x: the runtime the project tests against and Powertools supports.',
    });
  }
}

function isBindingWithConditions(binding: GrantBinding): binding is Exclude<GrantBinding, readonly string[]> {
  return !Array.isArray(binding);
}
