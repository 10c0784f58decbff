import { CognitoJwtVerifier } from 'aws-jwt-verify';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidGroupError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwksNotAvailableInCacheError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidScopeError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { TokenVerifier } from './authorizer';
import { LocalOverrideRefusedError, TokenRejectedError } from './errors';

/** The environment variable naming the local-only JWKS location, and the flag it needs. */
const LOCAL_JWKS_URI_VARIABLE = 'LOCAL_JWKS_URI';
const LOCAL_FLAG_VARIABLE = 'TENANTRY_LOCAL';

interface CognitoVerifierOptions {
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
  /**
   * True when running on real Lambda (not the local emulator): the override is then refused even
   * with the local flag, so a stray TENANTRY_LOCAL=true in a deployment cannot swap the JWKS.
   */
  readonly deployed?: boolean;
}

/**
 * An aws-jwt-verify Cognito verifier: signature (RS256 from the pool's JWKS), issuer (the pool),
 * client id, token use and expiry. Create it once per process: its JWKS cache then lives across
 * invocations, and a key id it has not seen triggers one (rate-limited) refetch.
 */
export function createCognitoVerifier(options: CognitoVerifierOptions) {
  const override = options.localJwksUri !== undefined && options.localJwksUri !== '';
  if (override && options.deployed === true) {
    throw new LocalOverrideRefusedError(
      LOCAL_JWKS_URI_VARIABLE,
      LOCAL_FLAG_VARIABLE,
      'is refused on real Lambda (AWS_LAMBDA_FUNCTION_NAME set, no AWS_ENDPOINT_URL)',
    );
  }
  if (override && options.localFlag !== true) {
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

/**
 * aws-jwt-verify's error classes, most specific first, with fixed names: the bundle is minified, so
 * `constructor.name` would not survive, and the errors' messages echo the token's claims.
 */
const REJECTIONS: readonly [abstract new (...args: never[]) => Error, string][] = [
  [JwtExpiredError, 'JwtExpiredError'],
  [JwtNotBeforeError, 'JwtNotBeforeError'],
  [JwtInvalidIssuerError, 'JwtInvalidIssuerError'],
  [JwtInvalidAudienceError, 'JwtInvalidAudienceError'],
  [JwtInvalidScopeError, 'JwtInvalidScopeError'],
  [CognitoJwtInvalidTokenUseError, 'CognitoJwtInvalidTokenUseError'],
  [CognitoJwtInvalidClientIdError, 'CognitoJwtInvalidClientIdError'],
  [CognitoJwtInvalidGroupError, 'CognitoJwtInvalidGroupError'],
  [JwtInvalidClaimError, 'JwtInvalidClaimError'],
  [JwtInvalidSignatureAlgorithmError, 'JwtInvalidSignatureAlgorithmError'],
  [JwtInvalidSignatureError, 'JwtInvalidSignatureError'],
  [JwtParseError, 'JwtParseError'],
  [JwtWithoutValidKidError, 'JwtWithoutValidKidError'],
  [KidNotFoundInJwksError, 'KidNotFoundInJwksError'],
  [WaitPeriodNotYetEndedJwkError, 'WaitPeriodNotYetEndedJwkError'],
  [JwksNotAvailableInCacheError, 'JwksNotAvailableInCacheError'],
  [FetchError, 'JwksFetchError'],
  // A Cognito verifier raises this for a token whose issuer is not the configured user pool.
  [ParameterValidationError, 'UnknownIssuerError'],
  [JwtBaseError, 'JwtError'],
];

/** A fixed, content-free name for a verification error (never its message). */
function tokenRejectionKind(error: unknown): string {
  for (const [type, name] of REJECTIONS) if (error instanceof type) return name;
  return 'TokenVerificationError';
}

/**
 * Adapts the typed aws-jwt-verify verifier to the authorizer's TokenVerifier; every rejection
 * becomes a `TokenRejectedError` naming only the error class.
 */
export function asTokenVerifier(verifier: { verify(token: string): Promise<object> }): TokenVerifier {
  return {
    verify: async (token) => {
      try {
        return (await verifier.verify(token)) as Readonly<Record<string, unknown>>;
      } catch (error) {
        throw new TokenRejectedError(tokenRejectionKind(error));
      }
    },
  };
}
