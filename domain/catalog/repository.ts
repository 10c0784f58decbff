import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { type BackoffPolicy, backoffDelayMs, sleep as realSleep, type Sleep } from '../aws/backoff';
import { ConcurrentModificationError, TenantAlreadyExistsError, TenantNotFoundError } from '../errors';
import { CATALOG_BY_STATUS_INDEX } from '../tables';
import type { TenantStatus } from '../tenant/status';
import {
  type NewTenant,
  newTenant,
  type Tenant,
  type TransitionDetails,
  tenantSchema,
  transition,
} from '../tenant/tenant';
import { tenantIdSchema } from '../tenant/tenant-id';

export interface CatalogRepositoryOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How many optimistic-concurrency conflicts an update absorbs before giving up. Default 25. */
  readonly maxAttempts?: number;
  readonly clock?: () => Date;
  readonly sleep?: Sleep;
}

/**
 * A conflict means another writer changed the record a moment ago: re-read after up to 20 ms, then
 * up to 40 ms, …, at most 200 ms, so that writers racing for one tenant stop colliding.
 */
const CONFLICT_BACKOFF: BackoffPolicy = { baseMs: 20, capMs: 200 };

/**
 * The tenant catalog over DynamoDB. Every write is conditional: creating an existing tenant never
 * overwrites it, and updates carry the version they were computed from, so concurrent writers
 * never lose one another's changes (a conflict re-reads and re-applies, or fails loudly).
 */
export class CatalogRepository {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly maxAttempts: number;
  private readonly clock: () => Date;
  private readonly sleep: Sleep;

  public constructor(options: CatalogRepositoryOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.maxAttempts = options.maxAttempts ?? 25;
    this.clock = options.clock ?? (() => new Date());
    this.sleep = options.sleep ?? realSleep;
  }

  /** Registers a PENDING tenant. Throws TenantAlreadyExistsError when the id is taken. */
  public async create(input: NewTenant): Promise<Tenant> {
    const tenant = newTenant(input, this.clock());
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: tenant,
          ConditionExpression: 'attribute_not_exists(tenantId)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new TenantAlreadyExistsError(tenant.tenantId);
      throw error;
    }
    return tenant;
  }

  public async find(tenantId: string): Promise<Tenant | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { tenantId: tenantIdSchema.parse(tenantId) },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : tenantSchema.parse(Item);
  }

  public async get(tenantId: string): Promise<Tenant> {
    const tenant = await this.find(tenantId);
    if (tenant === undefined) throw new TenantNotFoundError(tenantId);
    return tenant;
  }

  /** Tenants in one status (GSI `byStatus`), all pages. */
  public async listByStatus(status: TenantStatus): Promise<Tenant[]> {
    const tenants: Tenant[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        IndexName: CATALOG_BY_STATUS_INDEX,
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
      },
    );
    for await (const page of pages)
      for (const item of page.Items ?? []) tenants.push(tenantSchema.parse(item));
    return tenants;
  }

  /** Moves a tenant to `to` if that is legal from its current status (IllegalTransitionError if not). */
  public transition(tenantId: string, to: TenantStatus, details: TransitionDetails = {}): Promise<Tenant> {
    return this.update(tenantId, (tenant) => transition(tenant, to, { at: this.clock(), ...details }));
  }

  /**
   * Applies `change` to the current record and writes it only if nobody wrote in between; on a
   * conflict the record is re-read and `change` applied again. `change` must be pure: it may run
   * several times, and it may throw to refuse the change. Returning the record it was given (the same
   * object) means "nothing to change": nothing is written and the version stays.
   */
  public async update(tenantId: string, change: (tenant: Tenant) => Tenant): Promise<Tenant> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const current = await this.get(tenantId);
      const changed = change(current);
      if (changed === current) return current;
      const next = tenantSchema.parse({
        ...changed,
        tenantId: current.tenantId,
        version: current.version + 1,
        updatedAt: changed.updatedAt === current.updatedAt ? this.clock().toISOString() : changed.updatedAt,
      });
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: next,
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': current.version },
          }),
        );
        return next;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        if (attempt < this.maxAttempts) await this.sleep(backoffDelayMs(CONFLICT_BACKOFF, attempt));
      }
    }
    throw new ConcurrentModificationError(tenantId, this.maxAttempts);
  }
}
