import { createHash } from 'node:crypto';
import { DescribeStacksCommand, type Stack, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import pLimit from 'p-limit';
import type { CatalogRepository } from '../catalog/repository';
import type { TenantryConfig } from '../config';
import { siloStackName } from '../keys';
import type { Tenant } from '../tenant/tenant';
import { siloTargetIn } from './member-account';
import { SILO_STACK_CAPABILITIES, type SiloClients, type SiloTarget, siloResourcesOf } from './silo-stack';

/**
 * Silo stacks follow code updates: each silo tenant's stack is updated, in its own region (and
 * account), to the current silo template — the one new silos are created from. Parameters keep their
 * values (`UsePreviousValue`), and CloudFormation keeps the stack's service role. One tenant's failure
 * is reported and never stops the others; "No updates are to be performed" is success, so a rerun is
 * harmless. The catalog records the template version and the outputs each updated stack reports
 * (a stack created before its tier had a database reports the cluster once the update created it).
 */

/** The version the catalog records: the first 16 hex digits of the template's SHA-256. */
export function siloTemplateVersion(templateBody: string): string {
  return createHash('sha256').update(templateBody).digest('hex').slice(0, 16);
}

export const siloUpdateOutcomes = ['UPDATED', 'UNCHANGED', 'FAILED', 'SKIPPED'] as const;
export type SiloUpdateOutcome = (typeof siloUpdateOutcomes)[number];

export interface SiloUpdateReport {
  readonly tenantId: string;
  readonly region: string;
  readonly stackName: string;
  readonly outcome: SiloUpdateOutcome;
  /** The stack's status when the update ended (or was refused). */
  readonly status: string | null;
  /** Why it failed or was skipped; CloudFormation's own reason where it gave one. */
  readonly reason: string | null;
  readonly elapsedMs: number;
}

export interface SiloUpdateSettings {
  /** The current silo template (S3 URL CloudFormation reads in every allowed region). */
  readonly templateUrl: string;
  /** Its version (`siloTemplateVersion` of its body). */
  readonly templateVersion: string;
  /** The template's parameter names: the stack's previous values are passed on for these. */
  readonly parameterKeys: readonly string[];
  /** Bounded wait per stack: polls × interval. */
  readonly pollMs: number;
  readonly maxPolls: number;
  /** Stacks updated at once (CloudFormation works on each; this only bounds the polling). */
  readonly concurrency: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export interface SiloUpdateDependencies {
  readonly config: TenantryConfig;
  readonly catalog: CatalogRepository;
  readonly clientsFor: (target: SiloTarget) => SiloClients;
}

/** Only ACTIVE tenants are updated: one in a workflow (onboarding, promotion, offboarding) is left to it. */
function skipReason(tenant: Tenant): string | null {
  if (tenant.silo === undefined) return `tenant ${tenant.tenantId} has no silo stack`;
  if (tenant.status !== 'ACTIVE') return `tenant ${tenant.tenantId} is ${tenant.status}, not ACTIVE`;
  return null;
}

/** Updates the silo stack of each tenant and reports each one, in the tenants' order. */
export async function updateSiloStacks(
  deps: SiloUpdateDependencies,
  tenants: readonly Tenant[],
  settings: SiloUpdateSettings,
): Promise<SiloUpdateReport[]> {
  const limit = pLimit(settings.concurrency);
  return Promise.all(tenants.map((tenant) => limit(() => updateOneSilo(deps, tenant, settings))));
}

async function updateOneSilo(
  deps: SiloUpdateDependencies,
  tenant: Tenant,
  settings: SiloUpdateSettings,
): Promise<SiloUpdateReport> {
  const now = settings.now ?? Date.now;
  const started = now();
  const stackName = siloStackName(deps.config, tenant.tenantId);
  const report = (outcome: SiloUpdateOutcome, status: string | null, reason: string | null) => ({
    tenantId: tenant.tenantId,
    region: tenant.region,
    stackName,
    outcome,
    status,
    reason,
    elapsedMs: now() - started,
  });
  const skipped = skipReason(tenant);
  if (skipped !== null) return report('SKIPPED', null, skipped);
  try {
    const clients = deps.clientsFor(siloTargetIn(deps.config, tenant.region, tenant.accountId));
    const { outcome, stack } = await updateAndWait(clients, stackName, settings);
    const status = stack.StackStatus ?? null;
    if (outcome === 'FAILED')
      return report('FAILED', status, stack.StackStatusReason ?? `stack is ${status}`);
    const silo = { ...siloResourcesOf(clients, stackName, stack), templateVersion: settings.templateVersion };
    await deps.catalog.update(tenant.tenantId, (current) => ({ ...current, silo }));
    return report(outcome, status, null);
  } catch (error) {
    return report('FAILED', null, `${(error as Error).name}: ${(error as Error).message}`);
  }
}

const IN_PROGRESS = /_IN_PROGRESS$/;
const NO_UPDATES = /No updates are to be performed/;

async function updateAndWait(
  clients: SiloClients,
  stackName: string,
  settings: SiloUpdateSettings,
): Promise<{ outcome: 'UPDATED' | 'UNCHANGED' | 'FAILED'; stack: Stack }> {
  const sleep = settings.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const before = await describe(clients, stackName);
  const previous = new Set((before.Parameters ?? []).map((p) => p.ParameterKey));
  try {
    await clients.cfn.send(
      new UpdateStackCommand({
        StackName: stackName,
        TemplateURL: settings.templateUrl,
        // A parameter new in this template takes its default; the others keep the stack's values.
        Parameters: settings.parameterKeys
          .filter((key) => previous.has(key))
          .map((key) => ({ ParameterKey: key, UsePreviousValue: true })),
        Capabilities: [...SILO_STACK_CAPABILITIES],
      }),
    );
  } catch (error) {
    if (error instanceof Error && NO_UPDATES.test(error.message))
      return { outcome: 'UNCHANGED', stack: before };
    throw error;
  }
  let stack = before;
  for (let poll = 1; poll <= settings.maxPolls; poll++) {
    if (poll > 1) await sleep(settings.pollMs);
    stack = await describe(clients, stackName);
    const status = stack.StackStatus ?? 'UNKNOWN';
    if (!IN_PROGRESS.test(status))
      return { outcome: status === 'UPDATE_COMPLETE' ? 'UPDATED' : 'FAILED', stack };
  }
  // The update goes on in CloudFormation; a later run reports where it ended.
  const reason = `still ${stack.StackStatus} after ${settings.maxPolls} polls of ${settings.pollMs} ms`;
  return { outcome: 'FAILED', stack: { ...stack, StackStatusReason: reason } };
}

async function describe(clients: SiloClients, stackName: string): Promise<Stack> {
  const { Stacks } = await clients.cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = Stacks?.[0];
  if (stack === undefined) throw new Error(`stack ${stackName} does not exist in ${clients.region}`);
  return stack;
}
