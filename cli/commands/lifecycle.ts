/**
 * `onboard`, `promote ID --to TIER`, `offboard ID`: start the lifecycle workflow under the name every
 * starter uses (domain/lifecycle/execution-name.ts, so a second start of the same run is refused by
 * Step Functions) and follow it with one progress line: state, items copied out of the total, elapsed.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type HistoryEvent,
  paginateGetExecutionHistory,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { baseClientConfig } from '../../domain/aws/clients';
import { requireTier } from '../../domain/config';
import {
  offboardingExecutionName,
  onboardingExecutionName,
  promotionExecutionName,
} from '../../domain/lifecycle/execution-name';
import {
  type OffboardingInput,
  type OnboardingInput,
  onboardingInputSchema,
  type PromotionInput,
} from '../../domain/lifecycle/inputs';
import { moveSources } from '../../domain/lifecycle/moves';
import { planPromotion } from '../../domain/lifecycle/plan';
import { countTenantItems } from '../../domain/lifecycle/tenant-items';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';
import type { WorkflowName } from '../../workflows/index';
import type { CliContext } from '../context';
import { ArgumentError } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { emit } from '../output';

/** How often a followed execution is read. A progress display, not a retry loop. */
const FOLLOW_INTERVAL_MS = 1000;

export interface WorkflowOutcome {
  readonly workflow: WorkflowName;
  readonly tenantId: string;
  readonly executionArn: string;
  readonly status: string;
  readonly elapsedMs: number;
  readonly copied?: number;
  readonly total?: number;
  readonly error?: string;
  readonly cause?: string;
  /** The state that failed, and the states the workflow ran after it (its compensation). */
  readonly failedState?: string;
  readonly compensation?: string[];
}

export async function onboard(ctx: CliContext, input: OnboardingInput): Promise<ExitCode> {
  const parsed = onboardingInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArgumentError(`--${String(issue?.path[0] ?? 'input')}`, issue?.message ?? 'invalid');
  }
  requireTierArgument(ctx, parsed.data.tier);
  return runWorkflow(
    ctx,
    'onboarding',
    parsed.data.tenantId,
    onboardingExecutionName(parsed.data),
    parsed.data,
  );
}

export async function promote(ctx: CliContext, tenantId: string, targetTier: string): Promise<ExitCode> {
  const tier = requireTierArgument(ctx, targetTier);
  if (tier.isolation === 'account')
    throw new ArgumentError(
      '--to',
      `promotion moves a tenant into a silo tier or another pool tier; allowed: ${promotionTiers(ctx).join(', ')} (got ${targetTier})`,
    );
  const tenant = await ctx.catalog().get(tenantIdArgument(tenantId));
  const input: PromotionInput = { tenantId: tenant.tenantId, targetTier };
  // The total the copy works through: the items the move reads now (writes are frozen during the copy).
  const plan = planPromotion(ctx.config, tenant, input);
  const sources = moveSources(ctx.config, plan.move.direction, {
    tenantId: tenant.tenantId,
    pooledTable: ctx.tables.pooled,
    siloTable: null,
    collections: plan.move.collections,
  });
  const dynamo = new DynamoDBClient(baseClientConfig());
  let count = 0;
  for (const source of sources) count += await countTenantItems(dynamo, source, tenant.tenantId);
  return runWorkflow(
    ctx,
    'promotion',
    tenant.tenantId,
    promotionExecutionName(tenant.tenantId, tenant.version),
    input,
    count,
  );
}

export async function offboard(ctx: CliContext, tenantId: string, reason?: string): Promise<ExitCode> {
  const tenant = await ctx.catalog().get(tenantIdArgument(tenantId));
  const input: OffboardingInput = { tenantId: tenant.tenantId, ...(reason ? { reason } : {}) };
  return runWorkflow(
    ctx,
    'offboarding',
    tenant.tenantId,
    offboardingExecutionName(tenant.tenantId, tenant.version),
    input,
  );
}

function tenantIdArgument(tenantId: string): string {
  const parsed = tenantIdSchema.safeParse(tenantId);
  if (!parsed.success) throw new ArgumentError('ID', parsed.error.issues[0]?.message ?? 'not a tenant id');
  return parsed.data;
}

function promotionTiers(ctx: CliContext): string[] {
  return ctx.config.tiers.filter((t) => t.isolation !== 'account').map((t) => t.name);
}

function requireTierArgument(ctx: CliContext, name: string) {
  try {
    return requireTier(ctx.config, name);
  } catch {
    throw new ArgumentError(
      'tier',
      `allowed: ${ctx.config.tiers.map((t) => t.name).join(', ')} (got ${name})`,
    );
  }
}

async function runWorkflow(
  ctx: CliContext,
  workflow: WorkflowName,
  tenantId: string,
  name: string,
  input: unknown,
  total?: number,
): Promise<ExitCode> {
  const sfn = ctx.sfn();
  const stateMachineArn = await ctx.stateMachineArn(workflow);
  let executionArn: string;
  try {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    executionArn = started.executionArn as string;
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists)
      throw new ArgumentError(
        'ID',
        `a ${workflow} run for tenant ${tenantId} from this state already exists (${name})`,
      );
    throw error;
  }
  const outcome = await follow(ctx, workflow, tenantId, executionArn, total);
  emit(ctx, outcome, () => {
    const lines = [`${workflow} ${tenantId}: ${outcome.status} in ${seconds(outcome.elapsedMs)}`];
    if (outcome.error) lines.push(`  error: ${outcome.error}`, `  cause: ${outcome.cause ?? '(none)'}`);
    if (outcome.failedState) lines.push(`  failed in: ${outcome.failedState}`);
    if (outcome.compensation)
      lines.push(
        `  compensation: ${outcome.compensation.length > 0 ? outcome.compensation.join(' → ') : 'none'}`,
      );
    lines.push(`  execution: ${executionArn}`);
    return lines;
  });
  return outcome.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
}

/** Follows a run to its end, printing a progress line whenever the state or the copy count changes. */
async function follow(
  ctx: CliContext,
  workflow: WorkflowName,
  tenantId: string,
  executionArn: string,
  total: number | undefined,
): Promise<WorkflowOutcome> {
  const sfn = ctx.sfn();
  const started = Date.now();
  let previous = '';
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const events = await history(ctx, executionArn);
    const progress = progressOf(events);
    const elapsedMs = Date.now() - started;
    const copy =
      progress.copied === undefined
        ? ''
        : ` · copied ${progress.copied}${total === undefined ? '' : `/${total}`}`;
    const line = `${workflow} ${tenantId}: ${progress.state ?? 'starting'}${copy}`;
    if (!ctx.json && (line !== previous || ctx.io.interactive)) {
      if (ctx.io.interactive) ctx.io.err(`\r\x1b[2K${line} · ${seconds(elapsedMs)}`);
      else ctx.io.err(`${line} · ${seconds(elapsedMs)}`);
      previous = line;
    }
    const status = execution.status ?? 'RUNNING';
    if (status !== 'RUNNING' && status !== 'PENDING_REDRIVE') {
      const base: WorkflowOutcome = {
        workflow,
        tenantId,
        executionArn,
        status,
        elapsedMs,
        copied: progress.copied,
        total,
      };
      if (status === 'SUCCEEDED') return base;
      const failedState = execution.cause?.split(':')[0];
      return {
        ...base,
        error: execution.error,
        cause: execution.cause,
        failedState,
        compensation: compensationOf(events, failedState),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
  }
}

async function history(ctx: CliContext, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory(
    { client: ctx.sfn() },
    { executionArn, maxResults: 1000 },
  ))
    events.push(...(page.events ?? []));
  return events;
}

/** The state entered last, and the latest copy cursor's `copied` (a data-copy task's output). */
function progressOf(events: readonly HistoryEvent[]): { state?: string; copied?: number } {
  let state: string | undefined;
  let copied: number | undefined;
  for (const e of events) {
    if (e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name)
      state = e.stateEnteredEventDetails.name;
    const output = e.taskSucceededEventDetails?.output;
    if (output?.includes('"copied"')) {
      const value = (JSON.parse(output) as { Payload?: { copied?: unknown } }).Payload?.copied;
      if (typeof value === 'number') copied = value;
    }
  }
  return { state, copied };
}

/**
 * The tasks run after the failed state's last entry, lifecycle events left out: what the workflow did
 * to undo its work.
 */
function compensationOf(events: readonly HistoryEvent[], failedState: string | undefined): string[] {
  const entered = events
    .filter((e) => e.type?.endsWith('StateEntered'))
    .map((e) => ({ name: e.stateEnteredEventDetails?.name as string, task: e.type === 'TaskStateEntered' }));
  const from = failedState === undefined ? -1 : entered.map((e) => e.name).lastIndexOf(failedState);
  return from < 0
    ? []
    : entered
        .slice(from + 1)
        .filter((e) => e.task && !e.name.startsWith('Emit'))
        .map((e) => e.name);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
