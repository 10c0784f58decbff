import type { z } from 'zod';
import { dedicatedCollections, findTier, type TenantryConfig } from '../config';
import { ValidationError } from '../errors';
import { toFieldIssues } from '../issues';
import { siloStackName, tenantGroupName } from '../keys';
import type { RetiredSilo, Tenant } from '../tenant/tenant';
import { LifecyclePreconditionError } from './errors';
import {
  type OffboardingPlan,
  type OnboardingPlan,
  offboardingInputSchema,
  onboardingInputSchema,
  type PromotionPlan,
  promotionInputSchema,
} from './inputs';
import { accountsSettings } from './member-account';

/**
 * The first step of every lifecycle workflow: validate the input against the schemas and the
 * configuration (known tier, allowed region) and the tenant's current state, and return the plan the
 * rest of the workflow follows. Pure: the catalog read happens in the handler.
 */

export function parseInput<T>(schema: z.ZodType<T>, value: unknown, subject: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(subject, toFieldIssues(result.error));
  return result.data;
}

function knownTiers(config: TenantryConfig): string {
  return config.tiers.map((t) => `${t.name} (${t.isolation})`).join(', ');
}

export function planOnboarding(config: TenantryConfig, value: unknown): OnboardingPlan {
  const input = parseInput(onboardingInputSchema, value, 'onboarding input');
  const tier = findTier(config, input.tier);
  if (tier === undefined) {
    throw new ValidationError('onboarding input', [
      { field: 'tier', message: `unknown tier "${input.tier}" (known: ${knownTiers(config)})` },
    ]);
  }
  const region = input.region ?? config.regions.primary;
  const allowed = tier.isolation === 'pool' ? [config.regions.primary] : config.regions.siloAllowed;
  if (!allowed.includes(region)) {
    throw new ValidationError('onboarding input', [
      {
        field: 'region',
        message: `"${region}" is not allowed for ${tier.isolation} tenants (allowed: ${allowed.join(', ')})`,
      },
    ]);
  }
  if (input.accountId !== undefined && tier.isolation !== 'account') {
    throw new ValidationError('onboarding input', [
      {
        field: 'accountId',
        message: `"${input.accountId}" cannot be adopted: tier "${tier.name}" is ${tier.isolation}, not account`,
      },
    ]);
  }
  return {
    tenantId: input.tenantId,
    name: input.name,
    tier: tier.name,
    isolation: tier.isolation,
    region,
    adminEmail: input.adminEmail.toLowerCase(),
    groupName: tenantGroupName(input.tenantId),
    stackName: siloStackName(config, input.tenantId),
    ...(input.accountId === undefined ? {} : { accountId: input.accountId }),
  };
}

/**
 * A promotion moves an ACTIVE pooled tenant either into a silo tier (its pooled items and the items of
 * its dedicated collection tables go to the silo table) or to another pool tier: a tier change within
 * the pool, where the collections the new tier dedicates move from the pooled table into tables of
 * their own (`pool-to-collections`), or those it no longer dedicates move back (`collections-to-pool`).
 * An ACTIVE silo tenant is promoted to an account tier (`silo-to-account`: its silo table moves into
 * its own account, the old silo is torn down) or demoted to a pool tier (`silo-to-pool`, planDemotion);
 * a pooled tenant reaches an account tier in two hops.
 */
export function planPromotion(config: TenantryConfig, tenant: Tenant, value: unknown): PromotionPlan {
  const input = parseInput(promotionInputSchema, value, 'promotion input');
  const tier = findTier(config, input.targetTier);
  if (tier === undefined) {
    throw new ValidationError('promotion input', [
      { field: 'targetTier', message: `unknown tier "${input.targetTier}" (known: ${knownTiers(config)})` },
    ]);
  }
  const toAccount = tier.isolation === 'account';
  if (toAccount) accountsSettings(config);
  if (input.accountId !== undefined && !toAccount) {
    throw new ValidationError('promotion input', [
      {
        field: 'accountId',
        message: `"${input.accountId}" cannot be adopted: tier "${tier.name}" is ${tier.isolation}, not account`,
      },
    ]);
  }
  if (tenant.status !== 'ACTIVE') {
    throw new LifecyclePreconditionError(tenant.tenantId, 'promoted', `it is ${tenant.status}, not ACTIVE`);
  }
  const unfinished = (tenant.retiredSilos ?? []).find((r) => r.status === 'TEARDOWN_FAILED');
  if (unfinished !== undefined && tier.name === tenant.tier) {
    return planRetirementResume(config, tenant, unfinished, input.accountId);
  }
  const toPool = tier.isolation === 'pool';
  if (tier.isolation === 'silo' && tenant.isolation !== 'pool') {
    throw new LifecyclePreconditionError(tenant.tenantId, 'promoted', 'it already has a silo');
  }
  if (toPool && tenant.isolation === 'account') {
    throw new LifecyclePreconditionError(
      tenant.tenantId,
      'promoted',
      `it has its own account: tier "${tier.name}" is pool, and account → pool is not built`,
    );
  }
  // An account tier is reached from a silo only: a pooled tenant is promoted to a silo tier first
  // (each hop copied, verified and switched on its own; the account path moves one silo table).
  if (toAccount && tenant.isolation !== 'silo') {
    throw new LifecyclePreconditionError(
      tenant.tenantId,
      'promoted',
      tenant.isolation === 'pool'
        ? `it is pooled: promote it to a silo tier first, then to tier "${tier.name}"`
        : 'it already has its own account',
    );
  }
  if (toAccount && tenant.silo === undefined) {
    throw new LifecyclePreconditionError(tenant.tenantId, 'promoted', 'it has no silo in the catalog');
  }
  if (tier.name === tenant.tier) {
    throw new ValidationError('promotion input', [
      { field: 'targetTier', message: `"${tier.name}": tenant ${tenant.tenantId} is already on that tier` },
    ]);
  }
  const collections = [...(tenant.collections ?? [])];
  const has = collections.map((t) => t.collection);
  const common = {
    tenantId: tenant.tenantId,
    fromTier: tenant.tier,
    toTier: tier.name,
    collections,
    region: tenant.region,
    stackName: siloStackName(config, tenant.tenantId),
    version: tenant.version,
  };
  if (toPool && tenant.isolation === 'silo') return planDemotion(config, tenant, tier.name, common);
  if (toPool) {
    const wanted = tier.dedicatedCollections ?? [];
    const up = wanted.filter((c) => !has.includes(c));
    const down = has.filter((c) => !wanted.includes(c));
    // One direction per run: a tier that both adds and drops collections is reached in two changes.
    if (up.length > 0 && down.length > 0) {
      throw new ValidationError('promotion input', [
        {
          field: 'targetTier',
          message: `"${tier.name}" dedicates ${up.join(', ')} and drops ${down.join(', ')}; change to a tier that only adds or only drops collections first`,
        },
      ]);
    }
    return {
      ...common,
      isolation: 'pool',
      move:
        down.length > 0
          ? { direction: 'collections-to-pool', collections: down }
          : { direction: 'pool-to-collections', collections: up },
    };
  }
  // The silo is placed in the tenant's region: it must still be an allowed one.
  if (!config.regions.siloAllowed.includes(tenant.region)) {
    throw new ValidationError('promotion input', [
      {
        field: 'region',
        message: `tenant ${tenant.tenantId} is in "${tenant.region}", which is not allowed for silo tenants (allowed: ${config.regions.siloAllowed.join(', ')})`,
      },
    ]);
  }
  if (toAccount && tenant.silo !== undefined) {
    // The silo table moves whole into the same-named table in the account; the old silo is torn down.
    return {
      ...common,
      isolation: 'account',
      move: { direction: 'silo-to-account', collections: [] },
      fromSilo: tenant.silo,
      ...(input.accountId === undefined ? {} : { accountId: input.accountId }),
    };
  }
  return { ...common, isolation: 'silo', move: { direction: 'pool-to-silo', collections: has } };
}

/**
 * A silo tenant back into the pool (`silo-to-pool`): its silo table's items go to the pooled table, or
 * to the table of a collection the TARGET tier dedicates; the old silo is torn down after the switch.
 * The pool lives in the primary region, so a tenant placed elsewhere (data residency) is refused.
 */
function planDemotion(
  config: TenantryConfig,
  tenant: Tenant,
  toTier: string,
  common: Omit<PromotionPlan, 'isolation' | 'move'>,
): PromotionPlan {
  if (tenant.silo === undefined) {
    throw new LifecyclePreconditionError(tenant.tenantId, 'promoted', 'it has no silo in the catalog');
  }
  const primary = config.regions.primary;
  if (tenant.region !== primary) {
    throw new ValidationError('promotion input', [
      {
        field: 'targetTier',
        message: `"${toTier}" is a pool tier, served from ${primary} only; tenant ${tenant.tenantId} is in "${tenant.region}" and its data stays there`,
      },
    ]);
  }
  return {
    ...common,
    isolation: 'pool',
    move: { direction: 'silo-to-pool', collections: [...dedicatedCollections(config, toTier)] },
    fromSilo: tenant.silo,
  };
}

/**
 * The promotion run again to the tier the tenant is on, while an earlier run's old silo is flagged
 * TEARDOWN_FAILED: only that silo's retirement runs again (the switch stands). The old silo is found by
 * the tenant's silo stack name in the platform account, so a tenant served from a platform silo again
 * (whose stack has that name) is refused: an operator deletes the old one.
 */
function planRetirementResume(
  config: TenantryConfig,
  tenant: Tenant,
  retired: RetiredSilo,
  accountIdInput: string | undefined,
): PromotionPlan {
  if (accountIdInput !== undefined) {
    throw new ValidationError('promotion input', [
      {
        field: 'accountId',
        message: `"${accountIdInput}": tenant ${tenant.tenantId} is already on tier "${tenant.tier}"; a run to it only resumes the old silo's retirement`,
      },
    ]);
  }
  if (tenant.isolation === 'silo') {
    throw new LifecyclePreconditionError(
      tenant.tenantId,
      'promoted',
      `its old silo ${retired.silo.stackId} has the stack name of the silo it is served from: an operator deletes it`,
    );
  }
  return {
    tenantId: tenant.tenantId,
    fromTier: tenant.tier,
    toTier: tenant.tier,
    isolation: tenant.isolation,
    collections: [...(tenant.collections ?? [])],
    move: {
      direction: tenant.isolation === 'account' ? 'silo-to-account' : 'silo-to-pool',
      collections: [],
    },
    region: retired.region,
    stackName: siloStackName(config, tenant.tenantId),
    version: tenant.version,
    fromSilo: retired.silo,
    resumeRetirement: true,
  };
}

const OFFBOARDABLE = ['ACTIVE', 'SUSPENDED', 'FAILED', 'OFFBOARDING'] as const;

export function planOffboarding(config: TenantryConfig, tenant: Tenant, value: unknown): OffboardingPlan {
  const input = parseInput(offboardingInputSchema, value, 'offboarding input');
  if (!(OFFBOARDABLE as readonly string[]).includes(tenant.status)) {
    throw new LifecyclePreconditionError(
      tenant.tenantId,
      'offboarded',
      `it is ${tenant.status} (offboarding starts from ${OFFBOARDABLE.join(', ')})`,
    );
  }
  return {
    tenantId: tenant.tenantId,
    isolation: tenant.isolation,
    status: tenant.status,
    region: tenant.region,
    reason: input.reason ?? 'offboarding requested',
    stackName: siloStackName(config, tenant.tenantId),
    stackId: tenant.silo?.stackId ?? null,
    kmsKeyArn: tenant.silo?.kmsKeyArn ?? null,
    siloDatabase:
      tenant.silo === undefined
        ? null
        : {
            ...(tenant.silo.databaseClusterArn === undefined
              ? {}
              : { databaseClusterArn: tenant.silo.databaseClusterArn }),
            ...(tenant.silo.databaseSecretArn === undefined
              ? {}
              : { databaseSecretArn: tenant.silo.databaseSecretArn }),
          },
    // A silo tenant may keep the record of an account a rolled-back promotion closed: not its silo's.
    accountId: tenant.isolation === 'account' ? (tenant.accountId ?? null) : null,
  };
}
