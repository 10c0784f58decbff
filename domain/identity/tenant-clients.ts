import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { baseClientConfig, type ClientSettings, s3ClientConfig } from '../aws/clients';
import type { TenantRequest } from './request-context';
import type { TenantSession, TokenVendingMachine } from './token-vending';

/**
 * Tenant-scoped SDK clients for application code: every request they sign uses the tenant's
 * vended credentials, so even a bug that builds another tenant's key is refused by IAM.
 * - `forRequest`: pooled compute behind the tenant authorizer — the credentials the authorizer
 *   vended and handed off (see ./request-context); compute needs no sts:AssumeRole.
 * - `forSession`: code that vends itself (the authorizer's process, tests, local tools) — cached by
 *   the vending machine; the SDK re-asks the provider when credentials near expiry.
 */
export interface TenantClients {
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
}

export class TenantClientFactory {
  private readonly clients = new Map<string, TenantClients>();

  public constructor(
    private readonly vending: TokenVendingMachine | undefined,
    private readonly settings: ClientSettings = {},
    private readonly maxEntries = 1_000,
  ) {}

  public forSession(session: TenantSession): TenantClients {
    const vending = this.vending;
    if (vending === undefined) throw new RangeError('forSession needs a TokenVendingMachine; use forRequest');
    const key = `${session.tenantId}|${session.tier}|${session.access}|${session.tableArns.join(',')}`;
    return this.cached(key, async () => (await vending.credentialsFor(session)).toIdentity());
  }

  /** Clients signing with the credentials the authorizer handed off for this request's tenant. */
  public forRequest(request: TenantRequest): TenantClients {
    const identity = request.credentials.toIdentity();
    return this.cached(`handoff|${request.tenantId}|${identity.accessKeyId}`, async () => identity);
  }

  private cached(
    key: string,
    credentials: () => Promise<ReturnType<TenantRequest['credentials']['toIdentity']>>,
  ): TenantClients {
    const existing = this.clients.get(key);
    if (existing !== undefined) return existing;
    const clients: TenantClients = {
      dynamo: DynamoDBDocumentClient.from(
        new DynamoDBClient({ ...baseClientConfig(this.settings), credentials }),
        {
          marshallOptions: { removeUndefinedValues: true },
        },
      ),
      s3: new S3Client({ ...s3ClientConfig(this.settings), credentials }),
    };
    this.clients.set(key, clients);
    while (this.clients.size > this.maxEntries) {
      const oldest = this.clients.keys().next().value;
      if (oldest === undefined) break;
      this.clients.get(oldest)?.dynamo.destroy();
      this.clients.get(oldest)?.s3.destroy();
      this.clients.delete(oldest);
    }
    return clients;
  }
}
