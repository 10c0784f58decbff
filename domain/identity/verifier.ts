import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { TokenVerifier } from './authorizer';
import { LocalOverrideRefusedError } from './errors';

/** The environment variable naming the local-only JWKS location, and the flag it needs. */
export const LOCAL_JWKS_URI_VARIABLE = 'LOCAL_JWKS_URI';
export const LOCAL_FLAG_VARIABLE = 'TENANTRY_LOCAL';

export interface CognitoVerifierOptions {
  readonly userPoolId: string;
  readonly clientId: string;
  /** Which token the API accepts: `access` (default in production) or `id`. */
  readonly tokenUse: 'access' | 'id';
  /**
   * LOCAL ONLY: fetch the JWKS from here instead of Cognito's well-known URI (the emulator serves it
   * elsewhere). Refused unless `localFlag` is true. Issuer, client and token use are still checked.
   */
  readonly localJwksUri?: string | undefined;
  readonly localFlag?: boolean;
}

/**
 * An aws-jwt-verify Cognito verifier: signature (RS256 from the pool's JWKS), issuer (the pool),
 * client id, token use and expiry. Create it once per process: its JWKS cache then lives across
 * invocations, and a key id it has not seen triggers one (rate-limited) refetch.
 */
export function createCognitoVerifier(options: CognitoVerifierOptions) {
  if (options.localJwksUri !== undefined && options.localJwksUri !== '' && options.localFlag !== true) {
    throw new LocalOverrideRefusedError(LOCAL_JWKS_URI_VARIABLE, LOCAL_FLAG_VARIABLE);
  }
  const properties = {
    userPoolId: options.userPoolId,
    clientId: options.clientId,
    tokenUse: options.tokenUse,
  };
  const localUri = options.localJwksUri;
  if (localUri === undefined || localUri === '') return CognitoJwtVerifier.create(properties);
  const jwksCache = new SimpleJwksCache({
    fetcher: {
      fetch: async () => {
        const response = await fetch(localUri);
        if (!response.ok) throw new Error(`local JWKS fetch failed: HTTP ${response.status}`);
        return response.arrayBuffer();
      },
    },
  });
  return CognitoJwtVerifier.create(properties, { jwksCache });
}

/** Adapts the typed aws-jwt-verify verifier to the authorizer's TokenVerifier. */
export function asTokenVerifier(verifier: { verify(token: string): Promise<object> }): TokenVerifier {
  return { verify: async (token) => (await verifier.verify(token)) as Readonly<Record<string, unknown>> };
}
