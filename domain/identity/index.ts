// Identity and tenant isolation: claims, session policies, token vending, authorizer decisions, RLS.
export * from './api-policy';
export * from './authorizer';
export * from './claims';
export * from './credentials';
export * from './errors';
export * from './pre-token';
export * from './rls/migrations';
export * from './rls/unit-of-work';
export * from './session-policy';
export * from './tenant-clients';
export * from './tenant-lookup';
export * from './tenant-resources';
export * from './token-vending';
export * from './ttl-cache';
export * from './usage-limit';
export * from './usage-plans';
export * from './verifier';
