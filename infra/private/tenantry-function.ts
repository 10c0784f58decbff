import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface TenantryFunctionProps {
  /** Folder under `lambdas/`; the handler is `lambdas/<folder>/handler.ts` exporting `handler`. */
  readonly folder: string;
  /** Validated by the handler at cold start (domain/env.ts). */
  readonly environment?: Record<string, string>;
  /** Default: 10 seconds. */
  readonly timeout?: Duration;
  /** Default: 256 MB. */
  readonly memorySize?: number;
  /** Default: 1 month. */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A project Lambda function: Node.js 22 on arm64, bundled by the local esbuild (never Docker),
 * JSON logs in its own log group, X-Ray tracing on.
 */
export class TenantryFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;

  public constructor(scope: Construct, id: string, props: TenantryFunctionProps) {
    super(scope, id);
    const entry = join(repoRoot, 'lambdas', props.folder, 'handler.ts');
    if (!existsSync(entry)) {
      throw new Error(`TenantryFunction ${id}: no handler at lambdas/${props.folder}/handler.ts`);
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
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize: props.memorySize ?? 256,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        sourceMap: true,
        minify: true,
        mainFields: ['module', 'main'],
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
    });
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
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to nodejs22.x: the runtime the project tests against and Powertools supports.',
    });
  }
}
