/** `tenants list [--status S] [--tier T]` and `tenants show ID`: the catalog, through its repository. */

import type { ErasureRecord } from '../../domain/tenant/erasure';
import { type TenantStatus, tenantStatuses } from '../../domain/tenant/status';
import { tenantIdSchema } from '../../domain/tenant/tenant-id';
import type { CliContext } from '../context';
import { ArgumentError } from '../errors';
import { EXIT, type ExitCode } from '../exit-codes';
import { emit, table } from '../output';

export async function listTenants(
  ctx: CliContext,
  filter: { status?: TenantStatus; tier?: string },
): Promise<ExitCode> {
  const statuses = filter.status ? [filter.status] : tenantStatuses;
  const lists = await Promise.all(statuses.map((status) => ctx.catalog().listByStatus(status)));
  const tenants = lists
    .flat()
    .filter((t) => filter.tier === undefined || t.tier === filter.tier)
    .sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  emit(ctx, tenants, () => [
    ...table([
      ['TENANT', 'STATUS', 'TIER', 'ISOLATION', 'REGION', 'UPDATED'],
      ...tenants.map((t) => [t.tenantId, t.status, t.tier, t.isolation, t.region, t.updatedAt]),
    ]),
    `${tenants.length} tenant(s)`,
  ]);
  return EXIT.ok;
}

export async function showTenant(ctx: CliContext, tenantId: string): Promise<ExitCode> {
  const id = tenantIdSchema.safeParse(tenantId);
  if (!id.success) throw new ArgumentError('ID', id.error.issues[0]?.message ?? 'not a tenant id');
  const t = await ctx.catalog().get(id.data);
  emit(ctx, t, () => [
    `${t.tenantId}  ${t.name}`,
    `  status ${t.status} · tier ${t.tier} (${t.isolation}) · region ${t.region} · version ${t.version}`,
    `  created ${t.createdAt} · updated ${t.updatedAt}`,
    `  silo: ${t.silo ? JSON.stringify(t.silo) : 'none'}`,
    `  marketplace: ${t.marketplace ? `${t.marketplace.customerAwsAccountId} ${t.marketplace.productCode}` : 'none'}`,
    `  erasure: ${t.erasure ? erasureLine(t.erasure) : 'none'}`,
    '  history:',
    ...t.history.map(
      (h) =>
        `    ${h.at}  ${h.from ?? '-'} → ${h.to}${h.reason ? `  (${h.reason})` : ''}${h.executionArn ? `  ${h.executionArn}` : ''}`,
    ),
  ]);
  return EXIT.ok;
}

/** What offboarding erased and what its verification found left (all zero for an OFFBOARDED tenant). */
function erasureLine(e: ErasureRecord): string {
  const left = e.remaining;
  return (
    `verified ${e.verifiedAt} (attempt ${e.attempts}) by ${e.executionArn} · erased ${e.erased.items} items, ` +
    `${e.erased.objects} object versions, ${e.erased.users} users · left ${left.items} items, ${left.objects} ` +
    `objects, ${left.users} users, silo stack ${left.siloStack ? 'PRESENT' : 'gone'}, key ${left.kmsKey ? 'USABLE' : 'not usable'}` +
    (e.keyDeletionDate ? ` · key deletion ${e.keyDeletionDate}` : '')
  );
}
