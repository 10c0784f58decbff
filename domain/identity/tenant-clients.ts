import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { baseClientConfig, type ClientSettings, s3ClientConfig } from '../aws/clients';
import type { TenantRequest } from './request-context';

/**
 * Tenant-scoped SDK clients for pooled compute behind the tenant authorizer: every request they
 * sign uses the credentials the authorizer vended and handed off (see ./request-context), so even a
 * bug that builds another tenant's key is refused by IAM, and compute needs no sts:AssumeRole.
 */
interface TenantClients {
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
}

/** Bound on cached tenant client pairs. */
const MAX_CACHED_CLIENTS = 1_000;

export class TenantClientFactory {
  private readonly clients = new Map<string, TenantClients>();

  public constructor(private readonly settings: ClientSettings = {}) {}

  /** Clients signing with the credentials the authorizer handed off for this request's tenant. */
  public forRequest(request: TenantRequest): TenantClients {
    const identity = request.credentials.toIdentity();
    const key = `${request.tenantId}|${identity.accessKeyId}`;
    const existing = this.clients.get(key);
    if (existing !== undefined) return existing;
    const credentials = async () => identity;
    const clients: TenantClients = {
      dynamo: DynamoDBDocumentClient.from(
        new DynamoDBClient({ ...baseClientConfig(this.settings), credentials }),
        { marshallOptions: { removeUndefinedValues: true } },
      ),
      s3: new S3Client({ ...s3ClientConfig(this.settings), credentials }),
    };
    this.clients.set(key, clients);
    while (this.clients.size > MAX_CACHED_CLIENTS) {
      const oldest = this.clients.keys().next().value;
      if (oldest === undefined) break;
      this.clients.get(oldest)?.dynamo.destroy();
      this.clients.get(oldest)?.s3.destroy();
      this.clients.delete(oldest);
    }
    return clients;
  }
}
