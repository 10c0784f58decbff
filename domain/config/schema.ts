import { z } from 'zod';

/** Names used in keys, SQL identifiers and resource names: lower-case, dotted or dashed. */
const metricName = z
  .string()
  .regex(
    /^[a-z][a-z0-9]*(?:[._][a-z0-9]+)*$/,
    'must be lower-case words joined by "." or "_" (e.g. api.call)',
  )
  .max(40);
const tierName = z.string().regex(/^[a-z][a-z0-9-]{1,19}$/, 'must be 2-20 lower-case letters, digits or "-"');
const money = z.number().finite().nonnegative();
const iamRoleName = z
  .string()
  .regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 of letters, digits, +=,.@_-)');
const positiveInt = z.number().int().positive();
/**
 * A DynamoDB collection of a tenant service (the `<collection>` of `TENANT#<id>#<collection>`) that a
 * tier gives each tenant a table of its own for: lower-case words joined by "_" (a table-name segment).
 */
export const collectionName = z
  .string()
  .regex(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/, 'must be lower-case letters and digits, words joined by "_"')
  .max(32);

/** pool: shared tables; silo: a dedicated stack; account: a dedicated stack in the tenant's own AWS account. */
export const isolationModels = ['pool', 'silo', 'account'] as const;
export type IsolationModel = (typeof isolationModels)[number];

const metricSchema = z.object({
  /** The metric name carried by usage events (e.g. `api.call`). */
  name: metricName,
  /** Human unit of one quantity (e.g. `request`, `GB-hour`, `document`). */
  unit: z.string().min(1).max(20),
  /** How quantities combine inside a window. Only sums bill exactly without state beyond the window. */
  aggregation: z.literal('sum'),
  /** Largest quantity a single event may carry; larger is rejected, not clipped. */
  maxQuantityPerEvent: z.number().finite().positive(),
  billing: z.object({
    /** The billing provider's dimension (AWS Marketplace dimension API name). */
    dimension: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/, 'must be a Marketplace dimension name'),
    /** How many metric units make one billed (integer) dimension unit, e.g. 1000 calls = 1 unit. */
    quantityPerUnit: z.number().finite().positive(),
  }),
  /** What one metric unit costs us to serve, in USD — for the margin report. */
  unitCostUsd: money,
});
export type MetricConfig = z.infer<typeof metricSchema>;

const tierSchema = z.object({
  name: tierName,
  isolation: z.enum(isolationModels),
  /** Flat plan price per month, USD. */
  monthlyPriceUsd: money,
  /** Fixed cost to run one tenant of this tier per month (silo infrastructure, support), USD. */
  baseCostUsdPerMonth: money,
  /** API Gateway usage plan for the tier. */
  api: z.object({ rateLimit: positiveInt, burstLimit: positiveInt, quotaPerDay: positiveInt }),
  /** Plan limits per metric per UTC day, enforced from near-real-time cumulative totals. */
  dailyLimits: z.record(metricName, z.number().finite().positive()),
  /**
   * Pool tiers only: collections each tenant of the tier gets a dedicated DynamoDB table for (its
   * hottest ones), in the platform account and primary region; the rest stays in the pooled table.
   */
  dedicatedCollections: z.array(collectionName).optional(),
  /**
   * The silo tenant's own service function (isolation silo or account; required there): its reserved
   * concurrency, carved out of the region's account limit (1,000 by default; Lambda keeps 100 unreserved).
   */
  siloCompute: z.object({ reservedConcurrency: positiveInt.max(900) }).optional(),
  /**
   * The silo tenant's relational database (isolation silo or account; required there). `dedicated`:
   * an Aurora PostgreSQL Serverless v2 cluster in the silo stack, in the tenant's region, encrypted with
   * the tenant's key; capacity in Aurora capacity units (ACU, steps of 0.5; 0 lets it pause when idle).
   * The only mode: the documents function keeps its relational part in PostgreSQL, and the pooled
   * cluster is out of a silo's reach (another region's isolated subnets), so a silo function without
   * its own database could not work.
   */
  siloDatabase: z
    .object({
      mode: z.literal('dedicated'),
      minCapacity: z.number().min(0).max(256).multipleOf(0.5),
      maxCapacity: z.number().min(1).max(256).multipleOf(0.5),
    })
    .optional(),
});
export type TierConfig = z.infer<typeof tierSchema>;

export const tenantryConfigSchema = z
  .object({
    /** Prefix of every resource name: `<product>-<stage>-<resource>`. */
    naming: z.object({
      product: z.string().regex(/^[a-z][a-z0-9]{1,15}$/, 'must be 2-16 lower-case letters or digits'),
      stage: z.string().regex(/^[a-z][a-z0-9]{0,9}$/, 'must be 1-10 lower-case letters or digits'),
    }),
    regions: z.object({
      primary: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region name'),
      /** Regions a silo may be placed in (data residency). */
      siloAllowed: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region name')).min(1),
    }),
    metrics: z.array(metricSchema).min(1),
    tiers: z.array(tierSchema).min(1),
    metering: z.object({
      /** Bounded out-of-orderness: events later than this behind the newest are "late". */
      watermarkDelaySeconds: z.number().int().min(0).max(3600),
      /**
       * Events stamped further than this in the future are rejected. At most watermarkDelaySeconds:
       * what is left of the delay (delay − skew) is how long any tenant's events may still be in flight
       * when another tenant's clock is at this skew (flink/README.md, "Clock skew").
       */
      maxFutureSkewSeconds: z.number().int().min(0).max(86_400),
      /** Events older than this are rejected (Marketplace and billing periods cannot take them). */
      maxEventAgeDays: z.number().int().min(1).max(35),
      /** How long an eventId is remembered for deduplication. */
      dedupHorizonHours: z
        .number()
        .int()
        .min(1)
        .max(24 * 35),
      /** Step of the near-real-time running totals used for plan limits; a step never straddles an hour. */
      cumulativeStepMinutes: z
        .number()
        .int()
        .min(1)
        .max(60)
        .refine((minutes) => 60 % minutes === 0, {
          message: 'cumulativeStepMinutes must divide an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)',
        }),
      /** A source partition idle this long stops holding back the watermark. */
      idleTimeoutSeconds: z.number().int().min(1).max(3600),
      flink: z.object({
        runtime: z.enum(['FLINK-1_20', 'FLINK-2_2']),
        parallelism: z.number().int().min(1).max(1024),
        parallelismPerKpu: z.number().int().min(1).max(8),
      }),
      kinesis: z.object({ shards: z.number().int().min(1).max(500) }),
    }),
    billing: z.object({
      /** Extra wait after a window closes before its total is billed. */
      graceMinutes: z.number().int().min(0).max(120),
      /**
       * Marketplace refuses a record this many hours or more after its timestamp (BatchMeterUsage:
       * 6 h). Usage of an hour that can no longer be sent is carried into the open hour.
       */
      acceptanceWindowHours: z.number().int().min(2).max(6),
      /** An unbilled hour this old raises an alert (must be below `acceptanceWindowHours`). */
      alertAgeHours: z.number().int().min(1).max(5),
      /**
       * The metering progress (the event time Flink's watermark has passed) this far behind the clock
       * raises an alert: billing waits for it, so a stalled job delays every bill.
       */
      progressAlertMinutes: z.number().int().min(1).max(300),
    }),
    lifecycle: z.object({
      /** KMS key deletion waiting period for offboarded silo tenants (AWS allows 7-30). */
      kmsPendingWindowDays: z.number().int().min(7).max(30),
      /** Seconds between polls of a silo stack, and how many polls before giving up. */
      stackPollSeconds: z.number().int().min(1).max(300),
      stackMaxPolls: z.number().int().min(1).max(1000),
      /**
       * Days the control-plane bus archive keeps events (signups carry an admin e-mail, which is
       * personal data: never kept forever).
       */
      eventArchiveRetentionDays: z.number().int().min(1).max(3650),
    }),
    /** The platform dashboard's and alarms' settings (infra/observability-stack.ts). */
    observability: z.object({
      /** Subscribed to the alarm topic (confirmation e-mail); none: subscribe by other means. */
      alarmEmail: z.email().optional(),
      /** Alarm evaluation period. */
      alarmPeriodMinutes: z.number().int().min(1).max(60),
      /** Authorizer errors (our side: catalog, STS) in one period that raise the alarm. */
      authorizerErrors: z.number().int().min(1),
      /** Failed executions of one lifecycle workflow in one period that raise the alarm. */
      workflowFailures: z.number().int().min(1),
      /** How far (seconds) the metering job may read behind the stream's tip before alarming. */
      flinkBehindSeconds: z.number().int().min(60).max(86_400),
    }),
    /**
     * Tenants in their own AWS account (isolation `account`, issue 15): required when a tier uses it.
     * The control plane runs in the organization's management account (or a delegated administrator).
     */
    accounts: z
      .object({
        /**
         * The organization (o-…): the platform's resources that tenant accounts reach (silo artifacts,
         * catalog, usage stream, data bucket) admit its principals only (`aws:PrincipalOrgID`).
         */
        organizationId: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id (o-xxxxxxxxxx)'),
        /** The tenants' organizational unit: every tenant account is moved into it. */
        organizationalUnitId: z
          .string()
          .regex(
            /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/,
            'must be an organizational unit id (ou-xxxx-xxxxxxxx)',
          ),
        /**
         * The role the lifecycle assumes in a tenant account to deploy its silo stack. CreateAccount
         * creates it (RoleName, AdministratorAccess); an adopted account must already have it, trusting
         * this account, with (besides the stack's resources) `lambda:GetAccountSettings`,
         * `servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota` and
         * `servicequotas:RequestServiceQuotaIncrease`: the concurrency quota check before the stack.
         */
        deploymentRoleName: iamRoleName,
        /** The role the authorizer assumes in a tenant account to vend the tenant's credentials. */
        runtimeRoleName: iamRoleName,
        /** The root e-mail of a new account; `{tenantId}` is replaced (each account needs its own address). */
        rootEmailPattern: z
          .string()
          .regex(
            /^[^@\s]*\{tenantId\}[^@\s]*@[^@\s]+\.[^@\s]+$/,
            'must be an e-mail address containing {tenantId}',
          ),
        /** Seconds between polls of an account creation, and how many polls before giving up. */
        createPollSeconds: z.number().int().min(1).max(300),
        createMaxPolls: z.number().int().min(1).max(1000),
      })
      .optional(),
  })
  .superRefine((config, ctx) => {
    const metricNames = new Set<string>();
    config.metrics.forEach((metric, i) => {
      if (metricNames.has(metric.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'name'],
          message: `duplicate metric "${metric.name}"`,
        });
      }
      metricNames.add(metric.name);
    });
    const tierNames = new Set<string>();
    config.tiers.forEach((tier, i) => {
      if (tierNames.has(tier.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'name'],
          message: `duplicate tier "${tier.name}"`,
        });
      }
      tierNames.add(tier.name);
      const collections = tier.dedicatedCollections ?? [];
      if (collections.length > 0 && tier.isolation !== 'pool') {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'dedicatedCollections'],
          message: `only a pool tier can name dedicated collections: tier "${tier.name}" is ${tier.isolation} (its data is already dedicated)`,
        });
      }
      collections.forEach((collection, j) => {
        if (collections.indexOf(collection) !== j) {
          ctx.addIssue({
            code: 'custom',
            path: ['tiers', i, 'dedicatedCollections', j],
            message: `duplicate collection "${collection}"`,
          });
        }
      });
      for (const metric of Object.keys(tier.dailyLimits)) {
        if (!metricNames.has(metric)) {
          ctx.addIssue({
            code: 'custom',
            path: ['tiers', i, 'dailyLimits', metric],
            message: `unknown metric "${metric}" (known: ${[...metricNames].join(', ')})`,
          });
        }
      }
    });
    // An accepted event stamped `maxFutureSkewSeconds` ahead sets the (global) watermark to
    // now + skew − delay: a skew above the delay makes every other tenant's on-time events late.
    const { maxFutureSkewSeconds, watermarkDelaySeconds } = config.metering;
    if (maxFutureSkewSeconds > watermarkDelaySeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['metering', 'maxFutureSkewSeconds'],
        message:
          `metering.maxFutureSkewSeconds (${maxFutureSkewSeconds}) must not exceed ` +
          `metering.watermarkDelaySeconds (${watermarkDelaySeconds}): one event at that skew would make ` +
          "every other tenant's on-time events late",
      });
    }
    const { acceptanceWindowHours, alertAgeHours } = config.billing;
    if (alertAgeHours >= acceptanceWindowHours) {
      ctx.addIssue({
        code: 'custom',
        path: ['billing', 'alertAgeHours'],
        message:
          `billing.alertAgeHours (${alertAgeHours}) must be below billing.acceptanceWindowHours ` +
          `(${acceptanceWindowHours}): the alert must fire before the record can no longer be sent`,
      });
    }
    // In steady state the progress trails the clock by the watermark delay, plus up to a minute between
    // heartbeat ticks and a minute for the progress window to fire; an alert below that always fires,
    // and one at the acceptance window fires only when records can no longer be sent.
    const { progressAlertMinutes } = config.billing;
    const steadyLagSeconds = watermarkDelaySeconds + 120;
    if (progressAlertMinutes * 60 <= steadyLagSeconds || progressAlertMinutes >= acceptanceWindowHours * 60) {
      ctx.addIssue({
        code: 'custom',
        path: ['billing', 'progressAlertMinutes'],
        message:
          `billing.progressAlertMinutes (${progressAlertMinutes}) must exceed the steady lag of the metering ` +
          `progress (metering.watermarkDelaySeconds ${watermarkDelaySeconds} + 120 s of heartbeat and window) ` +
          `and be below billing.acceptanceWindowHours (${acceptanceWindowHours} h)`,
      });
    }
    config.tiers.forEach((tier, i) => {
      if (tier.isolation !== 'pool' && tier.siloCompute === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'siloCompute'],
          message: `is required: tier "${tier.name}" has isolation "${tier.isolation}" (its tenants get their own function)`,
        });
      }
      if (tier.isolation !== 'pool' && tier.siloDatabase === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'siloDatabase'],
          message: `is required: tier "${tier.name}" has isolation "${tier.isolation}" (its function needs its own database)`,
        });
      }
      if (tier.isolation === 'pool' && tier.siloDatabase !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'siloDatabase'],
          message: `only a silo or account tier has a database of its own: tier "${tier.name}" is pool (it uses the pooled cluster)`,
        });
      }
      const database = tier.siloDatabase;
      if (database !== undefined && database.minCapacity > database.maxCapacity) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'siloDatabase', 'minCapacity'],
          message: `must not exceed maxCapacity: minCapacity ${database.minCapacity} > maxCapacity ${database.maxCapacity} (tier "${tier.name}")`,
        });
      }
      if (tier.isolation === 'account' && config.accounts === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['accounts'],
          message: `is required: tiers.${i} ("${tier.name}") has isolation "account"`,
        });
      }
    });
    // A silo tenant's function is `<product>-<stage>-<tenantId>-documents` (tenant ids up to 40
    // characters): Lambda allows 64.
    const siloFunctionNameLength = `${config.naming.product}-${config.naming.stage}-`.length + 40 + 10;
    if (config.tiers.some((t) => t.isolation !== 'pool') && siloFunctionNameLength > 64) {
      ctx.addIssue({
        code: 'custom',
        path: ['naming'],
        message: `naming.product and naming.stage must total at most 12 characters when a tier is not pooled (silo function names, ${siloFunctionNameLength} > 64)`,
      });
    }
    if (!config.regions.siloAllowed.includes(config.regions.primary)) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions', 'siloAllowed'],
        message: `must include the primary region "${config.regions.primary}"`,
      });
    }
  });

export type TenantryConfig = z.infer<typeof tenantryConfigSchema>;
