import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { STSClient } from '@aws-sdk/client-sts';
import { baseClientConfig } from '../domain/aws/clients';
import { resourceName, type TenantryConfig } from '../domain/config';
import { TenantAuthorizer } from '../domain/identity/authorizer';
import { tenantAttributeNames, tenantUserAttributes } from '../domain/identity/claims';
import type { TenantLookup } from '../domain/identity/tenant-lookup';
import type { TenantDataLocation } from '../domain/identity/tenant-resources';
import { TokenVendingMachine } from '../domain/identity/token-vending';
import { allowAllUsage } from '../domain/identity/usage-limit';
import { asTokenVerifier, createCognitoVerifier } from '../domain/identity/verifier';
import { LOCAL_ACCOUNT } from './lifecycle';

/** The tenant user pool on the local Cognito, its users' real tokens, and the authorizer that verifies them. */
export interface LocalTenantUsers {
  readonly userPoolId: string;
  readonly clientId: string;
  /** Creates a user of the tenant and signs them in: the ID token (moto signs RS256, with the tenant attributes). */
  signIn(tenant: { readonly tenantId: string; readonly tier: string }, username: string): Promise<string>;
  /** The tenant authorizer against this pool's JWKS, vending credentials with STS. */
  authorizer(options: {
    readonly tenants: TenantLookup;
    readonly dataLocation: TenantDataLocation;
    /** The STS client the vending assumes the runtime role with (default: the local STS). */
    readonly sts?: STSClient;
  }): {
    readonly authorizer: TenantAuthorizer;
    readonly vending: TokenVendingMachine;
  };
}

/**
 * The tenant user pool as the identity stack defines it (immutable tenant id, mutable tier), on
 * the local Cognito (moto at `endpoint`; AWS_ENDPOINT_URL etc. must already point at it). Used by
 * `make demo` and the request-path tests.
 */
export async function createLocalTenantUsers(
  config: TenantryConfig,
  endpoint: string,
): Promise<LocalTenantUsers> {
  const cognito = new CognitoIdentityProviderClient(baseClientConfig());
  const pool = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: resourceName(config, 'tenant-users'),
      Schema: [
        { Name: tenantAttributeNames.tenantId, AttributeDataType: 'String', Mutable: false },
        { Name: tenantAttributeNames.tier, AttributeDataType: 'String', Mutable: true },
      ],
    }),
  );
  const userPoolId = pool.UserPool?.Id as string;
  const client = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: resourceName(config, 'spa'),
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      ReadAttributes: ['email', tenantUserAttributes.tenantId, tenantUserAttributes.tier],
      WriteAttributes: ['email'],
    }),
  );
  const clientId = client.UserPoolClient?.ClientId as string;
  return {
    userPoolId,
    clientId,
    async signIn(tenant, username) {
      const password = `Local-${Math.random().toString(36).slice(2)}-Aa1!`;
      await cognito.send(
        new AdminCreateUserCommand({
          UserPoolId: userPoolId,
          Username: username,
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            { Name: 'email', Value: username },
            { Name: tenantUserAttributes.tenantId, Value: tenant.tenantId },
            { Name: tenantUserAttributes.tier, Value: tenant.tier },
          ],
        }),
      );
      await cognito.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: userPoolId,
          Username: username,
          Password: password,
          Permanent: true,
        }),
      );
      const auth = await cognito.send(
        new InitiateAuthCommand({
          ClientId: clientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: username, PASSWORD: password },
        }),
      );
      return auth.AuthenticationResult?.IdToken as string;
    },
    authorizer({ tenants, dataLocation, sts }) {
      const vending = new TokenVendingMachine({
        sts: sts ?? new STSClient(baseClientConfig()),
        roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resourceName(config, 'tenant-runtime')}`,
      });
      const authorizer = new TenantAuthorizer({
        config,
        verifier: asTokenVerifier(
          createCognitoVerifier({
            userPoolId,
            clientId,
            tokenUse: 'id',
            localJwksUri: `${endpoint}/${userPoolId}/.well-known/jwks.json`,
            localFlag: true,
          }),
        ),
        tenants,
        usageLimit: allowAllUsage,
        vending,
        dataLocation,
      });
      return { authorizer, vending };
    },
  };
}
