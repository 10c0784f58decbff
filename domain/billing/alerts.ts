import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

const BILLING_EVENT_SOURCE = 'tenantry.billing';

const billingAlertTypes = [
  /** Unaccepted records `billing.alertAgeHours` old or older (Marketplace refuses them at `acceptanceWindowHours`). */
  'BillingRecordsNearExpiry',
  /** Records that can no longer be sent (acceptance window passed); each names the open hour its units were carried into. */
  'BillingRecordsExpired',
  /** Marketplace holds a different quantity for the same customer+dimension+hour. */
  'BillingDuplicateRecords',
  /** Records refused (customer not subscribed, invalid license, ...). */
  'BillingRecordsRejected',
  /** Records still undecided after retries (throttling, service errors): resent next run. */
  'BillingRecordsUndecided',
  /** Hours never prepared for a tenant because they were already past the acceptance window. */
  'BillingHoursSkipped',
  /** Different tenants share one Marketplace customer + license: their records are held back. */
  'BillingMeteringIdentityClash',
  /** The metering job's progress is older than `billing.progressAlertMinutes` (or absent): hours wait unbilled. */
  'MeteringProgressBehind',
  /** Reconciliation found discrepancies. */
  'BillingReconciliationDiscrepancies',
] as const;
type BillingAlertType = (typeof billingAlertTypes)[number];

interface BillingAlert {
  readonly type: BillingAlertType;
  readonly detail: Record<string, unknown>;
}

export interface BillingAlerts {
  emit(alert: BillingAlert): Promise<void>;
}

/** Alerts as EventBridge events (`source: tenantry.billing`, `detail-type` = alert type). */
export class EventBridgeBillingAlerts implements BillingAlerts {
  public constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  public async emit(alert: BillingAlert): Promise<void> {
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.eventBusName,
            Source: BILLING_EVENT_SOURCE,
            DetailType: alert.type,
            Detail: JSON.stringify(alert.detail),
          },
        ],
      }),
    );
    if ((out.FailedEntryCount ?? 0) > 0) {
      throw new Error(
        `EventBridge refused billing alert ${alert.type}: ${out.Entries?.[0]?.ErrorMessage ?? 'unknown'}`,
      );
    }
  }
}

/** Keeps alerts in memory (tests, demo). */
export class MemoryBillingAlerts implements BillingAlerts {
  public readonly alerts: BillingAlert[] = [];
  public async emit(alert: BillingAlert): Promise<void> {
    this.alerts.push(alert);
  }
}
