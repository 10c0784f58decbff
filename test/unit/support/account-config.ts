import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, parseConfig, type TenantryConfig } from '../../../domain/config';

/** The default configuration plus a `sovereign` tier whose tenants get their own AWS account. */
export const accountsSettings = {
  organizationId: 'o-a1b2c3d4e5',
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

/** `accountConfig` as a TENANTRY_CONFIG file in a fresh scratch folder; returns its path. */
export function writeAccountConfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tenantry-account-config-')), 'tenantry.json');
  writeFileSync(file, JSON.stringify(accountConfig));
  return file;
}

/**
 * `accountConfig` for a real (local) organization: its tenants' OU and organization id, and a creation
 * poll short enough for a test (moto completes CreateAccount at once).
 */
export function accountConfigIn(
  organizationalUnitId: string,
  organizationId: string = accountsSettings.organizationId,
): TenantryConfig {
  return parseConfig({
    ...structuredClone(accountConfig),
    accounts: {
      ...accountsSettings,
      organizationId,
      organizationalUnitId,
      createPollSeconds: 1,
      createMaxPolls: 5,
    },
  });
}
