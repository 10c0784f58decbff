import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RejectionReason, UsageEvent } from '../domain/usage/event';
import type { usageLineRules } from './sql';

/**
 * The table of cases that holds USAGE_LINE (runner UsageLine.java), the generated SQL on a MiniCluster and
 * classifyUsageLine (domain/usage/event.ts) to the same decisions: one JSON file, read by the Java unit
 * test from its test resources and by the TypeScript unit and integration tests through this module.
 */
export interface UsageLineCases {
  /** The clock the time bounds are measured against (ISO instant). */
  readonly now: string;
  /** What the generator passes to USAGE_LINE for the default configuration. */
  readonly rules: ReturnType<typeof usageLineRules>;
  readonly cases: readonly {
    readonly name: string;
    readonly line: string;
    /** classifyUsageLine's reason; null for a valid event. */
    readonly reason: RejectionReason | null;
    /** A heartbeat tick (moves the watermark, counted nowhere). */
    readonly tick: boolean;
    /** The valid event as classifyUsageLine returns it. */
    readonly event?: UsageEvent;
  }[];
}

const CASES_FILE = fileURLToPath(new URL('runner/src/test/resources/usage-line-cases.json', import.meta.url));

export function readUsageLineCases(): UsageLineCases {
  return JSON.parse(readFileSync(CASES_FILE, 'utf8')) as UsageLineCases;
}
