import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from '@aws-sdk/client-sts';
import type { AccessLevel } from '../tenant/status';
import { type TenantId, tenantIdSchema } from '../tenant/tenant-id';
import { TenantCredentials } from './credentials';
import { TokenVendingError } from './errors';
import { serializeSessionPolicy, sessionTagKeys, tenantSessionPolicy } from './session-policy';
import { TtlCache } from './ttl-cache';

/**
 * Token vending: sts:AssumeRole on the tenant-runtime role with session tags {tenantId, tier} and an
 * inline session policy naming the tenant. Credentials are cached per tenant session and reused
 * until `minRemainingSeconds` before they expire, so a warm caller makes no STS call per request.
 * Concurrent first requests for a tenant share one AssumeRole.
 */
export interface TenantSession {
  readonly tenantId: TenantId;
  readonly tier: string;
  readonly access: Exclude<AccessLevel, 'none'>;
  /** Tables the tenant's data lives in (pooled table, or its silo table). */
  readonly tableArns: readonly string[];
  readonly bucketArn: string;
  /** A silo tenant's KMS key; absent for a pooled tenant. */
  readonly siloKeyArn?: string;
  /**
   * The runtime role of an account tenant's own account (role chaining from the authorizer's role);
   * absent: the platform's tenant-runtime role.
   */
  readonly roleArn?: string;
}

interface TokenVendingOptions {
  readonly sts: STSClient;
  readonly roleArn: string;
  /**
   * Cached credentials are handed out only while they have at least this long left. It must cover
   * any downstream cache of them (API Gateway's authorizer result cache) plus a margin. Default 120.
   */
  readonly minRemainingSeconds?: number;
  readonly now?: () => number;
  /** Called on each AssumeRole call (not on a cache hit): the caller counts STS calls in its metrics. */
  readonly onAssumeRole?: () => void;
}

/** AssumeRole DurationSeconds: the STS minimum, for the shortest exposure. */
export const TENANT_SESSION_SECONDS = 900;
/** Bound on cached tenant sessions. */
const MAX_CACHED_SESSIONS = 5_000;

export class TokenVendingMachine {
  private readonly sts: STSClient;
  private readonly roleArn: string;
  private readonly minRemainingMs: number;
  private readonly cache: TtlCache<TenantCredentials>;
  private readonly now: () => number;
  private readonly onAssumeRole: () => void;
  /** AssumeRole calls made (for tests, the bench and metrics). */
  public stsCalls = 0;

  public constructor(options: TokenVendingOptions) {
    this.sts = options.sts;
    this.roleArn = options.roleArn;
    const minRemainingSeconds = options.minRemainingSeconds ?? 120;
    if (minRemainingSeconds >= TENANT_SESSION_SECONDS) {
      throw new RangeError(
        `minRemainingSeconds (${minRemainingSeconds}) must be below the session's ${TENANT_SESSION_SECONDS} s`,
      );
    }
    this.minRemainingMs = minRemainingSeconds * 1000;
    this.now = options.now ?? Date.now;
    this.onAssumeRole = options.onAssumeRole ?? (() => {});
    this.cache = new TtlCache<TenantCredentials>({
      ttlMs: 0,
      maxEntries: MAX_CACHED_SESSIONS,
      now: this.now,
      expiresAt: (credentials) => credentials.expiration.getTime() - this.minRemainingMs,
    });
  }

  /** Credentials for a tenant session: cached, or fresh from STS. */
  public async credentialsFor(session: TenantSession): Promise<TenantCredentials> {
    const tenantId = tenantIdSchema.parse(session.tenantId);
    const key = [
      tenantId,
      session.tier,
      session.access,
      ...session.tableArns,
      session.bucketArn,
      session.siloKeyArn ?? '',
      session.roleArn ?? '',
    ].join('|');
    return this.cache.get(key, () => this.assume({ ...session, tenantId }));
  }

  private async assume(session: TenantSession): Promise<TenantCredentials> {
    const policy = serializeSessionPolicy(
      session.tenantId,
      tenantSessionPolicy({
        tenantId: session.tenantId,
        access: session.access,
        tableArns: session.tableArns,
        bucketArn: session.bucketArn,
        ...(session.siloKeyArn === undefined ? {} : { siloKeyArn: session.siloKeyArn }),
      }),
    );
    this.stsCalls++;
    this.onAssumeRole();
    let result: AssumeRoleCommandOutput;
    try {
      result = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: session.roleArn ?? this.roleArn,
          RoleSessionName: roleSessionName(session.tenantId, this.now()),
          DurationSeconds: TENANT_SESSION_SECONDS,
          Policy: policy,
          Tags: [
            { Key: sessionTagKeys.tenantId, Value: session.tenantId },
            { Key: sessionTagKeys.tier, Value: session.tier },
          ],
        }),
      );
    } catch (error) {
      // The SDK error carries no credential; keep only its name and message.
      throw new TokenVendingError(session.tenantId, `AssumeRole failed: ${(error as Error).name}`, {
        cause: error,
      });
    }
    const c = result.Credentials;
    if (
      c === undefined ||
      typeof c.AccessKeyId !== 'string' ||
      typeof c.SecretAccessKey !== 'string' ||
      typeof c.SessionToken !== 'string' ||
      !(c.Expiration instanceof Date)
    ) {
      throw new TokenVendingError(session.tenantId, 'AssumeRole returned no complete credentials');
    }
    return new TenantCredentials(
      session.tenantId,
      c.AccessKeyId,
      c.SecretAccessKey,
      c.SessionToken,
      c.Expiration,
    );
  }
}

/**
 * RoleSessionName for a tenant: `tenant-<tenantId>-<epochSeconds>` — within STS' charset
 * `[\w+=,.@-]` and 2-64 characters for every valid tenant id (at most 40 characters), and it names
 * the tenant in CloudTrail.
 */
export function roleSessionName(tenantId: TenantId, nowMs: number): string {
  const name = `tenant-${tenantIdSchema.parse(tenantId)}-${Math.floor(nowMs / 1000)}`;
  return name.slice(0, 64);
}
