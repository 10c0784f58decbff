import { TenantryError } from '../errors';

/**
 * Errors of usage emission. Usage is billed to the tenant of the verified request, so an event may
 * only name that tenant; see domain/usage/README.md.
 */

/** An event names another tenant than the verified request it is emitted for. */
export class UsageTenantMismatchError extends TenantryError {
  public constructor(requestTenantId: string, eventTenantId: string, eventId: string) {
    super(
      `usage event ${eventId} names tenant ${eventTenantId}, but the request is tenant ${requestTenantId}'s`,
      {
        requestTenantId,
        eventTenantId,
        eventId,
      },
    );
  }
}

/** Usage was emitted with a request context that `tenantRequestFrom` did not produce. */
export class UnverifiedUsageRequestError extends TenantryError {
  public constructor(claimedTenantId: string) {
    super(
      `usage for tenant ${claimedTenantId} refused: the request context did not come from the tenant authorizer`,
      { claimedTenantId },
    );
  }
}

/** The stream refused heartbeat ticks: the metering progress of those shards does not advance this minute. */
export class HeartbeatRejectedError extends TenantryError {
  public constructor(streamArn: string, failed: number, at: string) {
    super(`${failed} heartbeat tick(s) stamped ${at} refused by ${streamArn}`, { streamArn, failed, at });
  }
}
