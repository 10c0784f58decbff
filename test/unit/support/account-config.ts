import { defaultConfig, parseConfig, type TenantryConfig } from '../../../domain/config';

/** The default configuration plus a `sovereign` tier whose tenants get their own AWS account. */
export const accountsSettings = {
  organizationalUnitId: 'ou-ab12-tenants1',
  deploymentRoleName: 'TenantryDeployment',
  runtimeRoleName: 'TenantryTenantRuntime',
  rootEmailPattern: 'aws+{tenantId}@tenantry.example',
  createPollSeconds: 10,
  createMaxPolls: 90,
} as const;

export const accountConfig: TenantryConfig = parseConfig({
  ...structuredClone(defaultConfig),
  tiers: [
    ...structuredClone(defaultConfig.tiers),
    { ...structuredClone(defaultConfig.tiers[3]), name: 'sovereign', isolation: 'account' },
  ],
  accounts: accountsSettings,
});
