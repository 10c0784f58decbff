import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { baseClientConfig } from '../../domain/aws/clients';
import { loadConfig } from '../../domain/config';
import { contractHandler } from '../../domain/function-contract';
import {
  type AccountRequestState,
  adoptMemberAccount,
  describeAccountRequest,
  placeInTenantsUnit,
  requestMemberAccount,
} from '../../domain/lifecycle/member-account';
import { lifecycleLogger, withTenant } from '../../domain/lifecycle/runtime';
import { contract } from './contract';

const config = loadConfig();
// Organizations has one endpoint, in us-east-1 (commercial partition).
const org = new OrganizationsClient(baseClientConfig({ region: 'us-east-1' }));
const logger = lifecycleLogger(contract.name);

export const handler = contractHandler(contract, async (request) =>
  withTenant(logger, request.tenantId, async () => {
    let state: AccountRequestState;
    let organizationalUnitId: string | null = null;
    switch (request.action) {
      case 'request':
        state = await requestMemberAccount(org, config, request.tenantId);
        break;
      case 'describe':
        state = await describeAccountRequest(org, request.tenantId, request.requestId);
        break;
      case 'adopt':
        state = await adoptMemberAccount(org, request.tenantId, request.accountId);
        break;
      case 'place':
        organizationalUnitId = await placeInTenantsUnit(org, config, request.tenantId, request.accountId);
        state = { requestId: null, state: 'SUCCEEDED', accountId: request.accountId, failureReason: null };
        break;
    }
    logger.info('tenant account', { action: request.action, ...state, organizationalUnitId });
    return { ...state, organizationalUnitId };
  }),
);
