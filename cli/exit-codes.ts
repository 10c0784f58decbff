/** The `tenantry` command's exit codes (README, "Operating Tenantry"). */
export const EXIT = {
  /** The command did what was asked and found nothing wrong. */
  ok: 0,
  /** The operation ran and failed (a workflow failed, records were rejected, a reconciliation found discrepancies). */
  failed: 1,
  /** Bad arguments: nothing was changed. */
  usage: 2,
  /** The tenant (or other named thing) does not exist. */
  notFound: 3,
  /** The environment cannot be reached (the local environment is not up, no AWS credentials). */
  unreachable: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
