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
