import { inspect } from 'node:util';

/**
 * Temporary credentials of one tenant session. The secret parts never serialise: `JSON.stringify`,
 * `util.inspect` and template strings show a redacted form, so a credential object that slips into
 * a log call cannot leak. Read the fields explicitly where they are really needed.
 */
export class TenantCredentials {
  readonly #secretAccessKey: string;
  readonly #sessionToken: string;

  public constructor(
    public readonly tenantId: string,
    public readonly accessKeyId: string,
    secretAccessKey: string,
    sessionToken: string,
    public readonly expiration: Date,
  ) {
    this.#secretAccessKey = secretAccessKey;
    this.#sessionToken = sessionToken;
  }

  public get secretAccessKey(): string {
    return this.#secretAccessKey;
  }

  public get sessionToken(): string {
    return this.#sessionToken;
  }

  /** The SDK's `AwsCredentialIdentity` shape. */
  public toIdentity(): {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
    expiration: Date;
  } {
    return {
      accessKeyId: this.accessKeyId,
      secretAccessKey: this.#secretAccessKey,
      sessionToken: this.#sessionToken,
      expiration: this.expiration,
    };
  }

  public toJSON(): Record<string, string> {
    return { tenantId: this.tenantId, credentials: '[redacted]', expiration: this.expiration.toISOString() };
  }

  public toString(): string {
    return `TenantCredentials(${this.tenantId}, [redacted], expires ${this.expiration.toISOString()})`;
  }

  public [inspect.custom](): string {
    return this.toString();
  }
}
