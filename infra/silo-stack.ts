import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  App,
  CfnOutput,
  CfnParameter,
  DefaultStackSynthesizer,
  RemovalPolicy,
  Stack,
  type StackProps,
  Tags,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { resourceName, type TenantryConfig } from '../domain/config';
import { dynamoDbViaService, sessionTagKeys, siloKeyUseActions } from '../domain/identity/session-policy';
import {
  SILO_TENANT_TAG,
  siloDeploymentRoleName,
  siloKeyAliasPrefix,
  siloStackOutputs,
  siloStackParameters,
} from '../domain/lifecycle/silo';
import { siloTableDefinition } from '../domain/tables';
import { TENANT_ID_PATTERN } from '../domain/tenant/tenant-id';
import { definedTable } from './private/table';

export interface SiloTenantStackProps extends StackProps {
  readonly config: TenantryConfig;
}

/**
 * The dedicated stack of one silo tenant, deployed per tenant in the tenant's region by the lifecycle's
 * `silo-stack` task with CloudFormation CreateStack (parameters `TenantId`, `Tier`, `TenantAccessRoleArn`,
 * `DataMoverRoleArns`), never by `cdk deploy`:
 * - the tenant's table, built from `siloTableDefinition` (same keys as the pooled table, so items copy
 *   unchanged), named `<product>-<stage>-silo-data-<tenantId>`, encrypted with
 * - the tenant's own KMS key (rotation on; deletion pending window from config). Its key policy lets
 *   only the tenant access role, in a session tagged with this tenant's id, use it, with exactly the
 *   actions a silo session policy allows (`siloKeyUseActions`) and only through DynamoDB in the
 *   stack's region; the lifecycle's data movers likewise only through DynamoDB. The account
 *   administers the key through IAM (principals whose IAM policies allow it: the silo deployment role,
 *   limited to keys tagged `tenantry:tenant-id`) with no data-use action, and may create grants only
 *   for AWS services (`kms:GrantIsForAWSResource`).
 *   Kill switch (narrowed, not removed): `kms:PutKeyPolicy` — the one action that could hand the key
 *   to someone else — is allowed only to the silo deployment role (`aws:PrincipalArn`), so an IAM
 *   administrator cannot grant themselves decrypt by attaching `kms:*` to a user or role. KMS requires
 *   some principal to keep PutKeyPolicy (its lockout safety check refuses a policy that would lock out
 *   the creator), so the path that remains is: a principal that can change that role's trust policy
 *   (`iam:UpdateAssumeRolePolicy`) or its permissions, or pass it to CloudFormation
 *   (`iam:PassRole` + `cloudformation:UpdateStack`) with another template. Each step leaves a
 *   CloudTrail event (IAM change on the role, UpdateStack on a silo stack, PutKeyPolicy on a key
 *   tagged `tenantry:tenant-id`): guard them with an SCP and alert on them (README, isolation).
 * Outputs: `TableName`, `TableArn`, `KmsKeyArn` (the catalog records them; the runtime uses the ARNs). Synthesized without the bootstrap-version rule (no assets, no
 * bootstrap needed; the local emulator's CloudFormation can create it). The table and the key are
 * deleted with the stack: erasure of a silo is DeleteStack (the key then waits out its pending window).
 */
export class SiloTenantStack extends Stack {
  public constructor(scope: Construct, id: string, props: SiloTenantStackProps) {
    super(scope, id, {
      ...props,
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
    const { config } = props;
    const siloTiers = config.tiers.filter((t) => t.isolation === 'silo').map((t) => t.name);

    const tenantId = new CfnParameter(this, siloStackParameters.tenantId, {
      type: 'String',
      allowedPattern: TENANT_ID_PATTERN.source.replace(/^\^|\$$/g, ''),
      maxLength: 40,
      description: 'The tenant this silo belongs to',
    });
    const tier = new CfnParameter(this, siloStackParameters.tier, {
      type: 'String',
      allowedValues: siloTiers,
      description: 'The tenant tier (a silo tier)',
    });
    const accessRole = new CfnParameter(this, siloStackParameters.tenantAccessRoleArn, {
      type: 'String',
      allowedPattern: 'arn:aws[a-z-]*:iam::\\d{12}:role/.+',
      description: 'The role assumed (with a tenant session tag) to access tenant data',
    });
    const dataMovers = new CfnParameter(this, siloStackParameters.dataMoverRoleArns, {
      type: 'CommaDelimitedList',
      description: 'Roles of the lifecycle tasks that copy and verify the tenant items (promotion, rollback)',
    });

    const viaDynamoDb = dynamoDbViaService(this.region);
    const keyPolicy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AccountAdministersTheKey',
          principals: [new iam.AccountRootPrincipal()],
          actions: [
            'kms:DescribeKey',
            'kms:GetKeyPolicy',
            'kms:GetKeyRotationStatus',
            'kms:EnableKeyRotation',
            'kms:ListResourceTags',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:ScheduleKeyDeletion',
            'kms:CancelKeyDeletion',
            'kms:ListGrants',
            'kms:RevokeGrant',
            'kms:RetireGrant',
            'kms:CreateAlias',
            'kms:DeleteAlias',
            'kms:UpdateKeyDescription',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'OnlyTheSiloDeploymentRoleChangesTheKeyPolicy',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:PutKeyPolicy'],
          resources: ['*'],
          conditions: {
            ArnEquals: {
              'aws:PrincipalArn': `arn:${this.partition}:iam::${this.account}:role/${siloDeploymentRoleName(config)}`,
            },
          },
        }),
        new iam.PolicyStatement({
          sid: 'AccountGrantsOnlyToAwsServices',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:CreateGrant'],
          resources: ['*'],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
        new iam.PolicyStatement({
          sid: 'OnlyThisTenantUsesTheKeyThroughDynamoDB',
          principals: [new iam.ArnPrincipal(accessRole.valueAsString)],
          actions: [...siloKeyUseActions],
          resources: ['*'],
          conditions: {
            StringEquals: {
              [`aws:PrincipalTag/${sessionTagKeys.tenantId}`]: tenantId.valueAsString,
              'kms:ViaService': viaDynamoDb,
            },
          },
        }),
        iam.PolicyStatement.fromJson({
          Sid: 'LifecycleMovesTheTenantItemsThroughDynamoDB',
          Effect: 'Allow',
          Principal: { AWS: dataMovers.valueAsList },
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'],
          Resource: '*',
          Condition: { StringEquals: { 'kms:ViaService': viaDynamoDb } },
        }),
      ],
    });

    const key = new kms.Key(this, 'TenantKey', {
      description: `Tenantry silo data key of tenant ${tenantId.valueAsString}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      policy: keyPolicy,
    });
    // The CDK adds an "account root may do kms:*" statement to every key policy; this key's policy is
    // exactly the one above.
    const cfnKey = key.node.defaultChild as kms.CfnKey;
    cfnKey.keyPolicy = keyPolicy;
    cfnKey.pendingWindowInDays = config.lifecycle.kmsPendingWindowDays;
    new kms.CfnAlias(this, 'TenantKeyAlias', {
      aliasName: `${siloKeyAliasPrefix(config)}${tenantId.valueAsString}`,
      targetKeyId: key.keyId,
    });

    const table = definedTable(this, 'TenantTable', {
      definition: siloTableDefinition,
      tableName: `${resourceName(config, siloTableDefinition.id)}-${tenantId.valueAsString}`,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    new CfnOutput(this, siloStackOutputs.tableName, { value: table.tableName });
    new CfnOutput(this, siloStackOutputs.tableArn, { value: table.tableArn });
    new CfnOutput(this, siloStackOutputs.kmsKeyArn, { value: key.keyArn });
    // The tenant's table and key carry its id and tier (cost allocation, inventory).
    for (const tagged of [table, key]) {
      Tags.of(tagged).add(SILO_TENANT_TAG, tenantId.valueAsString);
      Tags.of(tagged).add('tenantry:tier', tier.valueAsString);
    }
  }
}

/**
 * The silo template as CloudFormation JSON (what CreateStack receives as TemplateBody or, uploaded to
 * S3, as TemplateURL). Synthesized from the construct above, in its own app, from the configuration.
 */
export function siloTemplate(config: TenantryConfig): Record<string, unknown> {
  // Its own app and output folder: the silo is deployed per tenant by the onboarding workflow, never
  // by `cdk deploy --all`, so it must not appear in the main cloud assembly.
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'tenantry-silo-')) });
  const stack = new SiloTenantStack(app, 'SiloTenant', { config });
  const assembly = app.synth();
  return assembly.getStackByName(stack.stackName).template as Record<string, unknown>;
}
