import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalOverrideRefusedError, TokenRejectedError } from '../../../../domain/identity/errors';
import { asTokenVerifier, createCognitoVerifier } from '../../../../domain/identity/verifier';
import {
  accessClaims,
  CLIENT_ID,
  jwksOf,
  newSigningKey,
  signRs256,
  USER_POOL_ID,
} from '../../support/tokens';

const key = newSigningKey();
const pool = { userPoolId: USER_POOL_ID, clientId: CLIENT_ID, tokenUse: 'access' } as const;
let server: Server;
let fetches = 0;
let uri = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwksOf(key)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the local JWKS override', () => {
  it('fetches the JWKS once for many verifications, still checking the issuer', async () => {
    fetches = 0;
    const verifier = createCognitoVerifier({ ...pool, localJwksUri: uri, localFlag: true });

    for (let i = 0; i < 5; i++) await verifier.verify(signRs256(key, accessClaims({ jti: `j${i}` })));
    const foreign = signRs256(key, accessClaims({ iss: 'https://evil.example.com/us-east-1_TestPool1' }));

    expect(fetches).toBe(1);
    await expect(verifier.verify(foreign)).rejects.toThrow(/issuer/i);
  });

  it('is refused without the local flag', () => {
    expect(() => createCognitoVerifier({ ...pool, localJwksUri: uri })).toThrow(LocalOverrideRefusedError);
    expect(() => createCognitoVerifier({ ...pool, localJwksUri: uri, localFlag: true })).not.toThrow();
  });

  it('is refused on real Lambda, even with the local flag', () => {
    const attempt = () =>
      createCognitoVerifier({ ...pool, localJwksUri: uri, localFlag: true, deployed: true });

    expect(attempt).toThrow(LocalOverrideRefusedError);
    expect(attempt).toThrow(/LOCAL_JWKS_URI .*refused on real Lambda/);
    expect(() => createCognitoVerifier({ ...pool, deployed: true })).not.toThrow();
  });
});

describe('asTokenVerifier', () => {
  it('turns a rejection into TokenRejectedError naming the error class, never a token value', async () => {
    const verifier = asTokenVerifier(createCognitoVerifier({ ...pool, localJwksUri: uri, localFlag: true }));

    const attempt = verifier.verify(signRs256(key, accessClaims({ client_id: 'leakyclient42' })));

    await expect(attempt).rejects.toThrow(TokenRejectedError);
    await expect(attempt).rejects.toMatchObject({
      kind: 'CognitoJwtInvalidClientIdError',
      message: 'token rejected: CognitoJwtInvalidClientIdError',
    });
  });
});
