// Writes the default configuration plus a tier of isolation `account` and the `accounts` settings, so
// `make cdk-check` also synthesizes (cdk-nag) and lints (cfn-lint) what only an organization with
// account tenants deploys. Usage: tsx scripts/write-accounts-config.ts <file>
import { writeFileSync } from 'node:fs';
import { defaultConfig, parseConfig } from '../domain/config';

const out = process.argv[2] ?? 'cdk.out/accounts-config.json';
const config = parseConfig({
  ...structuredClone(defaultConfig),
  tiers: [
    ...structuredClone(defaultConfig.tiers),
    { ...structuredClone(defaultConfig.tiers[3]), name: 'sovereign', isolation: 'account' },
  ],
  accounts: {
    organizationId: 'o-a1b2c3d4e5',
    organizationalUnitId: 'ou-ab12-tenants1',
    deploymentRoleName: 'TenantryDeployment',
    runtimeRoleName: 'TenantryTenantRuntime',
    rootEmailPattern: 'aws+{tenantId}@tenantry.example',
    createPollSeconds: 30,
    createMaxPolls: 60,
  },
});
writeFileSync(out, JSON.stringify(config, null, 1));
console.log(`configuration with account tenants → ${out}`);
