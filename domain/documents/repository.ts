import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { type TransactionalDatabase, withTenant } from '../identity/rls/unit-of-work';
import { pooledPartitionKey } from '../keys';
import { pooledItem } from '../pooled-items';
import { tableDefinitions } from '../tables';
import type { TenantId } from '../tenant/tenant-id';
import { DocumentRequestError } from './errors';
import type { NewDocument } from './request';

const PK = tableDefinitions.pooled.partitionKey.name;
const SK = tableDefinitions.pooled.sortKey.name;

/** The DynamoDB collection of the documents service (partition key `TENANT#<id>#documents`). */
export const DOCUMENTS_COLLECTION = 'documents';

export interface DocumentSummary {
  readonly documentId: string;
  readonly title: string;
  readonly createdAt: string;
}

export interface StoredDocument extends DocumentSummary {
  readonly content: string;
}

export interface DocumentRepositoryOptions {
  /** Signs with the tenant's vended credentials (TenantClientFactory): IAM confines it to the tenant's keys. */
  readonly dynamo: DynamoDBDocumentClient;
  /** The documents' table (from the catalog): the tenant's collection table, the pooled table or its silo table. */
  readonly tableName: string;
  /** PostgreSQL (tenantry.documents, row-level security). */
  readonly database: TransactionalDatabase;
  /** Role for the unit of work when the connection's user is not the application role (local PGlite). */
  readonly databaseRole?: string;
}

/**
 * A tenant's documents: the content in DynamoDB under the tenant's key, the relational row (id,
 * title, created) in PostgreSQL. Every SQL statement runs inside `withTenant` (row-level security
 * bound to the verified tenant); every DynamoDB key comes from `pooledPartitionKey`. A write to both
 * stores happens inside the PostgreSQL transaction, so a refused DynamoDB write rolls the row back.
 */
export class DocumentRepository {
  public constructor(private readonly options: DocumentRepositoryOptions) {}

  public async create(tenantId: TenantId, documentId: string, document: NewDocument, now: Date) {
    const createdAt = now.toISOString();
    await this.unitOfWork(tenantId, async (tx) => {
      await tx.query(
        'INSERT INTO tenantry.documents (tenant_id, id, title, created_at) VALUES ($1, $2, $3, $4)',
        [tenantId, documentId, document.title, createdAt],
      );
      const item = pooledItem(
        tenantId,
        DOCUMENTS_COLLECTION,
        documentId,
        marshall({ title: document.title, content: document.content, createdAt }),
      );
      await this.options.dynamo.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: unmarshall(item),
          ConditionExpression: `attribute_not_exists(${PK})`,
        }),
      );
    });
    return { documentId, title: document.title, createdAt } satisfies DocumentSummary;
  }

  /** The tenant's documents, oldest first (PostgreSQL; RLS and the WHERE clause both name the tenant). */
  public async list(tenantId: TenantId): Promise<DocumentSummary[]> {
    return this.unitOfWork(tenantId, async (tx) => {
      const { rows } = await tx.query<{ id: string; title: string; created_at: Date | string }>(
        'SELECT id, title, created_at FROM tenantry.documents WHERE tenant_id = $1 ORDER BY created_at, id',
        [tenantId],
      );
      return rows.map((r) => ({
        documentId: r.id,
        title: r.title,
        createdAt: new Date(r.created_at).toISOString(),
      }));
    });
  }

  public async get(tenantId: TenantId, documentId: string): Promise<StoredDocument> {
    const { Item } = await this.options.dynamo.send(
      new GetCommand({ TableName: this.options.tableName, Key: this.key(tenantId, documentId) }),
    );
    if (Item === undefined) throw unknownDocument();
    return {
      documentId,
      title: String(Item.title),
      content: String(Item.content),
      createdAt: String(Item.createdAt),
    };
  }

  public async delete(tenantId: TenantId, documentId: string): Promise<void> {
    await this.unitOfWork(tenantId, async (tx) => {
      const { rows } = await tx.query(
        'DELETE FROM tenantry.documents WHERE tenant_id = $1 AND id = $2 RETURNING id',
        [tenantId, documentId],
      );
      if (rows.length === 0) throw unknownDocument();
      try {
        await this.options.dynamo.send(
          new DeleteCommand({
            TableName: this.options.tableName,
            Key: this.key(tenantId, documentId),
            ConditionExpression: `attribute_exists(${PK})`,
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw unknownDocument();
        throw error;
      }
    });
  }

  private key(tenantId: TenantId, documentId: string) {
    return { [PK]: pooledPartitionKey(tenantId, DOCUMENTS_COLLECTION), [SK]: documentId };
  }

  private unitOfWork<T>(tenantId: TenantId, work: Parameters<typeof withTenant<T>>[2]): Promise<T> {
    const role = this.options.databaseRole;
    return withTenant(this.options.database, tenantId, work, role === undefined ? {} : { role });
  }
}

/** One answer for "not yours" and "not there": a tenant learns nothing of another tenant's ids. */
function unknownDocument(): DocumentRequestError {
  return new DocumentRequestError(404, 'unknown document');
}
