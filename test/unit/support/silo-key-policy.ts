import { defaultConfig, type TenantryConfig } from '../../../domain/config';
import type { PolicyDocument } from '../../../domain/identity/session-policy';
import { siloStackParameters } from '../../../domain/lifecycle/silo';
import { siloTemplate } from '../../../infra/silo-stack';

/** One silo stack's deployment: the parameter values and pseudo parameters CloudFormation fills in. */
export interface SiloDeployment {
  readonly tenantId: string;
  readonly region: string;
  readonly account: string;
  readonly tenantAccessRoleArn: string;
  readonly dataMoverRoleArns: readonly string[];
  /** The platform account when the stack is in a tenant's own account; absent: the stack's own. */
  readonly platformAccountId?: string;
}

/**
 * Resolves the intrinsics the silo template uses (Ref, Fn::Join, Fn::If of a condition given as
 * `Condition::<name>`, and Fn::GetAtt of the attributes a test names as `Logical.Attribute`); anything
 * else is a test failure.
 */
function resolve(value: unknown, refs: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, refs));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first !== undefined && first[0] === 'Ref') {
    const name = first[1] as string;
    if (!(name in refs)) throw new Error(`unresolved Ref ${name}`);
    return refs[name];
  }
  if (entries.length === 1 && first !== undefined && first[0] === 'Fn::GetAtt') {
    const name = (first[1] as string[]).join('.');
    if (!(name in refs)) throw new Error(`unresolved Fn::GetAtt ${name}`);
    return refs[name];
  }
  if (entries.length === 1 && first !== undefined && first[0] === 'Fn::Join') {
    const [separator, parts] = first[1] as [string, unknown[]];
    return parts.map((p) => resolve(p, refs)).join(separator);
  }
  if (entries.length === 1 && first !== undefined && first[0] === 'Fn::If') {
    const [condition, whenTrue, whenFalse] = first[1] as [string, unknown, unknown];
    const holds = refs[`Condition::${condition}`];
    if (typeof holds !== 'boolean') throw new Error(`unresolved condition ${condition}`);
    return resolve(holds ? whenTrue : whenFalse, refs);
  }
  if (entries.length === 1 && first !== undefined && first[0].startsWith('Fn::')) {
    throw new Error(`unsupported intrinsic ${first[0]}`);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, refs)]));
}

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
let synthesized: Template | undefined;

/** The key policy the synthesized silo template (of `config`) gives one tenant's key, as deployed. */
export function deployedSiloKeyPolicy(
  deployment: SiloDeployment,
  config: TenantryConfig = defaultConfig,
): PolicyDocument {
  // siloTemplate synthesizes once per configuration per process.
  const template = siloTemplate(config) as Template;
  const keys = Object.values(template.Resources).filter((r) => r.Type === 'AWS::KMS::Key');
  if (keys.length !== 1) throw new Error(`expected one KMS key in the silo template, found ${keys.length}`);
  return resolve(keys[0]?.Properties.KeyPolicy, deploymentRefs(deployment)) as PolicyDocument;
}

function deploymentRefs(deployment: SiloDeployment): Record<string, unknown> {
  return {
    'AWS::Partition': 'aws',
    'AWS::Region': deployment.region,
    'AWS::AccountId': deployment.account,
    [siloStackParameters.tenantId]: deployment.tenantId,
    [siloStackParameters.tenantAccessRoleArn]: deployment.tenantAccessRoleArn,
    [siloStackParameters.dataMoverRoleArns]: [...deployment.dataMoverRoleArns],
    [siloStackParameters.platformAccountId]: deployment.platformAccountId ?? '',
    'Condition::InTenantAccount': deployment.platformAccountId !== undefined,
  };
}

/**
 * The identity policy (AWS::IAM::Policy) attached to the role of the silo template's function whose
 * logical id starts with `functionIdPrefix`, as deployed; `attributes` gives the Fn::GetAtt values it
 * uses (e.g. the cluster's resource id, as `Logical.Attribute`).
 */
export function deployedSiloFunctionPolicy(
  deployment: SiloDeployment,
  functionIdPrefix: string,
  attributes: Record<string, string>,
): PolicyDocument {
  synthesized ??= siloTemplate(defaultConfig) as Template;
  const resources = synthesized.Resources;
  const fn = Object.entries(resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(functionIdPrefix),
  );
  if (fn === undefined) throw new Error(`no function ${functionIdPrefix}* in the silo template`);
  const roleId = (fn[1].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = Object.values(resources).filter(
    (r) =>
      r.Type === 'AWS::IAM::Policy' &&
      (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
  );
  if (policies.length !== 1) throw new Error(`expected one policy on ${roleId}, found ${policies.length}`);
  return resolve(policies[0]?.Properties.PolicyDocument, {
    ...deploymentRefs(deployment),
    ...attributes,
  }) as PolicyDocument;
}

/** Logical id of the one resource of `type` in the synthesized silo template whose id starts with `prefix`. */
export function siloLogicalId(type: string, prefix: string): string {
  synthesized ??= siloTemplate(defaultConfig) as Template;
  const ids = Object.entries(synthesized.Resources)
    .filter(([id, r]) => r.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}
