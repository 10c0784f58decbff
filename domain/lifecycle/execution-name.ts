import { createHash } from 'node:crypto';
import { isTenantId } from '../tenant/tenant-id';

/**
 * The onboarding execution name for a signup: `onboard-<tenantId>-<12 hex>` where the hex is a hash of
 * the signup's content (tenant id, name, tier, admin email, region). A redelivered event, or the same
 * signup published twice, maps to the same name, and Step Functions refuses a second execution with a
 * name already used — so one signup can never start two onboarding runs. A different signup for the
 * same tenant id gets another name and is rejected by the workflow's conditional create instead.
 * Malformed details (no valid tenant id) still get a deterministic name; the workflow rejects them.
 */
export function onboardingExecutionName(detail: unknown): string {
  const d = (detail ?? {}) as Record<string, unknown>;
  const fields = ['tenantId', 'name', 'tier', 'adminEmail', 'region'].map((k) =>
    typeof d[k] === 'string' ? (d[k] as string) : null,
  );
  const digest = createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 12);
  const tenant = isTenantId(d.tenantId) ? d.tenantId : 'invalid';
  return `onboard-${tenant}-${digest}`;
}

/**
 * Promotion and offboarding execution names: `<kind>-<tenantId>-v<catalog version>`, fixed per tenant
 * and per catalog state. Every starter reads the tenant's record and names the run from its version:
 * two concurrent starts for the same tenant read the same version and collide on the name (Step
 * Functions refuses the second with ExecutionAlreadyExists, or returns the same run for the same
 * input), while a re-run after a finished run gets a new name (every run changes the record). The
 * workflow's own guard still applies if a starter does not follow this: a SetMigrating that finds the
 * tenant already MIGRATING rejects the run without undoing anything.
 */
export function promotionExecutionName(tenantId: string, catalogVersion: number): string {
  return `promote-${tenantId}-v${catalogVersion}`;
}

export function offboardingExecutionName(tenantId: string, catalogVersion: number): string {
  return `offboard-${tenantId}-v${catalogVersion}`;
}
