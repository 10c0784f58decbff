import { describe, expect, it } from 'vitest';
import {
  acceptanceDeadline,
  isMeteringBehind,
  isNearExpiry,
  isWithinAcceptanceWindow,
  latestClosedHour,
  latestHourClosedByMetering,
} from '../../../../domain/billing/windows';
import { defaultConfig } from '../../../../domain/config';

describe('closed-window selection', () => {
  // defaultConfig: watermark 120 s, grace 10 min → an hour [H, H+1h) is billable from H+1h+12min.
  it('selects the hour before the current one once its end + watermark + grace has passed', () => {
    expect(latestClosedHour(defaultConfig, new Date('2026-03-10T14:12:00.000Z')).toISOString()).toBe(
      '2026-03-10T13:00:00.000Z',
    );
  });

  it('does not select an hour whose settle time has not passed', () => {
    expect(latestClosedHour(defaultConfig, new Date('2026-03-10T14:11:59.999Z')).toISOString()).toBe(
      '2026-03-10T12:00:00.000Z',
    );
  });
});

describe('hours closed by the metering progress', () => {
  // defaultConfig: grace (allowed lateness) 10 min → [H, H+1h) is closed once the progress reaches H+1h+10min.
  it('closes an hour once the progress has passed its end plus the allowed lateness', () => {
    expect(
      latestHourClosedByMetering(defaultConfig, new Date('2026-03-10T14:10:00.000Z'))?.toISOString(),
    ).toBe('2026-03-10T13:00:00.000Z');
    expect(
      latestHourClosedByMetering(defaultConfig, new Date('2026-03-10T14:09:59.999Z'))?.toISOString(),
    ).toBe('2026-03-10T12:00:00.000Z');
  });

  it('closes no hour before the job has published any progress', () => {
    expect(latestHourClosedByMetering(defaultConfig, undefined)).toBeUndefined();
  });

  it('is behind when the progress is older than progressAlertMinutes (15), or absent', () => {
    const now = new Date('2026-03-10T14:30:00.000Z');
    expect(isMeteringBehind(defaultConfig, new Date('2026-03-10T14:15:00.000Z'), now)).toBe(false);
    expect(isMeteringBehind(defaultConfig, new Date('2026-03-10T14:14:59.999Z'), now)).toBe(true);
    expect(isMeteringBehind(defaultConfig, undefined, now)).toBe(true);
  });
});

describe("Marketplace's acceptance window", () => {
  it('ends 6 hours after the record timestamp (acceptanceWindowHours), across a month end too', () => {
    expect(acceptanceDeadline(defaultConfig, new Date('2026-03-10T05:00:00Z')).toISOString()).toBe(
      '2026-03-10T11:00:00.000Z',
    );
    expect(acceptanceDeadline(defaultConfig, new Date('2026-03-31T23:00:00Z')).toISOString()).toBe(
      '2026-04-01T05:00:00.000Z',
    );
  });

  it('alerts from alertAgeHours (4 h) of age, well before the deadline', () => {
    const hour = new Date('2026-03-10T05:00:00Z');
    expect(isNearExpiry(defaultConfig, hour, new Date('2026-03-10T08:59:59.999Z'))).toBe(false);
    expect(isNearExpiry(defaultConfig, hour, new Date('2026-03-10T09:00:00Z'))).toBe(true);
  });

  it('still accepts (late usage is billable) strictly before the deadline of its own timestamp', () => {
    const now = new Date('2026-03-10T06:20:00.000Z');
    expect(isWithinAcceptanceWindow(defaultConfig, new Date('2026-03-10T00:20:00.001Z'), now)).toBe(true);
    expect(isWithinAcceptanceWindow(defaultConfig, new Date('2026-03-10T00:20:00.000Z'), now)).toBe(false);
  });
});
