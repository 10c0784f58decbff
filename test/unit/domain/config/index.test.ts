import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, parseConfig, requireTier, resourceName } from '../../../../domain/config';
import { DOCUMENTS_COLLECTION } from '../../../../domain/documents/repository';
import { ConfigurationError } from '../../../../domain/errors';
import { accountConfig, accountsSettings } from '../../support/account-config';

type Mutation = (config: Record<string, any>) => void;

const clone = () => structuredClone(defaultConfig) as unknown as Record<string, any>;

function rejectionOf(mutate: Mutation): ConfigurationError {
  const config = clone();
  mutate(config);
  try {
    parseConfig(config);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('accepts the shipped default and freezes it', () => {
    // Act
    const config = loadConfig('');

    // Assess
    expect(config.tiers.map((t) => `${t.name}:${t.isolation}`)).toEqual([
      'starter:pool',
      'pro:pool',
      'business:pool',
      'enterprise:silo',
    ]);
    expect(Object.isFrozen(config.metrics[0])).toBe(true);
    // Business tenants get their own table for the documents service's collection.
    expect(config.tiers.map((t) => t.dedicatedCollections ?? [])).toEqual([
      [],
      [],
      [DOCUMENTS_COLLECTION],
      [],
    ]);
  });

  it.each<[string, Mutation, string, RegExp]>([
    ['negative price', (c) => (c.tiers[0].monthlyPriceUsd = -1), 'tiers.0.monthlyPriceUsd', /got -1/],
    [
      'infinite price',
      (c) => (c.tiers[1].monthlyPriceUsd = Number.POSITIVE_INFINITY),
      'tiers.1.monthlyPriceUsd',
      /Infinity/,
    ],
    ['unknown isolation', (c) => (c.tiers[3].isolation = 'bridge'), 'tiers.3.isolation', /"bridge"/],
    ['duplicate tier', (c) => (c.tiers[1].name = 'starter'), 'tiers.1.name', /duplicate tier "starter"/],
    [
      'limit on unknown metric',
      (c) => (c.tiers[0].dailyLimits['gpu.seconds'] = 5),
      'tiers.0.dailyLimits.gpu.seconds',
      /unknown metric "gpu.seconds"/,
    ],
    [
      'silo tier without its function concurrency',
      (c) => delete c.tiers[3].siloCompute,
      'tiers.3.siloCompute',
      /is required: tier "enterprise" has isolation "silo"/,
    ],
    [
      'silo function concurrency over the unreserved 100',
      (c) => (c.tiers[3].siloCompute.reservedConcurrency = 901),
      'tiers.3.siloCompute.reservedConcurrency',
      /900/,
    ],
    [
      'silo tier without its database',
      (c) => delete c.tiers[3].siloDatabase,
      'tiers.3.siloDatabase',
      /is required: tier "enterprise" has isolation "silo"/,
    ],
    [
      'pool tier naming a database of its own',
      (c) => (c.tiers[1].siloDatabase = { mode: 'dedicated', minCapacity: 0.5, maxCapacity: 2 }),
      'tiers.1.siloDatabase',
      /tier "pro" is pool/,
    ],
    [
      'unknown database mode',
      (c) => (c.tiers[3].siloDatabase.mode = 'pooled'),
      'tiers.3.siloDatabase.mode',
      /"dedicated"/,
    ],
    [
      'database capacity floor above its ceiling',
      (c) => (c.tiers[3].siloDatabase = { mode: 'dedicated', minCapacity: 16, maxCapacity: 8 }),
      'tiers.3.siloDatabase.minCapacity',
      /minCapacity 16 > maxCapacity 8/,
    ],
    [
      'database capacity off the 0.5 ACU step',
      (c) => (c.tiers[3].siloDatabase.maxCapacity = 4.25),
      'tiers.3.siloDatabase.maxCapacity',
      /4.25/,
    ],
    [
      'naming too long for silo function names',
      (c) => (c.naming = { product: 'quillstream', stage: 'prod' }),
      'naming',
      /at most 12 characters .* 67 > 64/,
    ],
    ['bad metric name', (c) => (c.metrics[0].name = 'API Call'), 'metrics.0.name', /"API Call"/],
    ['duplicate metric', (c) => (c.metrics[2].name = 'api.call'), 'metrics.2.name', /duplicate metric/],
    [
      'zero quantity per unit',
      (c) => (c.metrics[0].billing.quantityPerUnit = 0),
      'metrics.0.billing.quantityPerUnit',
      /got 0/,
    ],
    ['non-integer rate limit', (c) => (c.tiers[0].api.rateLimit = 1.5), 'tiers.0.api.rateLimit', /got 1.5/],
    ['bad region', (c) => (c.regions.primary = 'moon-1'), 'regions.primary', /"moon-1"/],
    [
      'primary region not allowed for silos',
      (c) => (c.regions.siloAllowed = ['eu-central-1']),
      'regions.siloAllowed',
      /primary region/,
    ],
    [
      'KMS window below AWS minimum',
      (c) => (c.lifecycle.kmsPendingWindowDays = 3),
      'lifecycle.kmsPendingWindowDays',
      /got 3/,
    ],
    [
      'unsupported Flink runtime',
      (c) => (c.metering.flink.runtime = 'FLINK-1_13'),
      'metering.flink.runtime',
      /FLINK-1_13/,
    ],
    ['missing naming', (c) => delete c.naming, 'naming', /got nothing/],
    [
      'account tier without the accounts settings',
      (c) => (c.tiers[3].isolation = 'account'),
      'accounts',
      /tiers\.3 \("enterprise"\) has isolation "account".*got nothing/,
    ],
    [
      'bad organizational unit id',
      (c) => (c.accounts = { ...accountsSettings, organizationalUnitId: 'r-root' }),
      'accounts.organizationalUnitId',
      /organizational unit id.*"r-root"/,
    ],
    [
      'bad deployment role name',
      (c) => (c.accounts = { ...accountsSettings, deploymentRoleName: 'role/Deploy' }),
      'accounts.deploymentRoleName',
      /IAM role name.*"role\/Deploy"/,
    ],
    [
      'root e-mail pattern without {tenantId}',
      (c) => (c.accounts = { ...accountsSettings, rootEmailPattern: 'aws@tenantry.example' }),
      'accounts.rootEmailPattern',
      /\{tenantId\}.*"aws@tenantry.example"/,
    ],
    [
      'dedicated collections on a silo tier',
      (c) => (c.tiers[3].dedicatedCollections = ['documents']),
      'tiers.3.dedicatedCollections',
      /only a pool tier.*"enterprise" is silo.*\["documents"\]/,
    ],
    [
      'a duplicate dedicated collection',
      (c) => (c.tiers[2].dedicatedCollections = ['documents', 'documents']),
      'tiers.2.dedicatedCollections.1',
      /duplicate collection "documents".*got "documents"/,
    ],
    [
      'a running-totals step that does not divide an hour',
      (c) => (c.metering.cumulativeStepMinutes = 7),
      'metering.cumulativeStepMinutes',
      /must divide an hour.*7/,
    ],
    [
      'an invalid dedicated collection name',
      (c) => (c.tiers[2].dedicatedCollections = ['Hot.Docs']),
      'tiers.2.dedicatedCollections.0',
      /lower-case.*"Hot.Docs"/,
    ],
  ])('rejects %s, naming %s', (_case, mutate, field, valuePattern) => {
    // Act
    const error = rejectionOf(mutate);

    // Assess
    const issue = error.issues.find((i) => i.field === field);
    expect(issue, `issues were: ${error.message}`).toBeDefined();
    expect(issue?.message).toMatch(valuePattern);
    expect(error.message).toContain(field);
  });

  it('refuses a future skew larger than the watermark delay, naming both fields and their values', () => {
    // Act
    const error = rejectionOf((c) => {
      c.metering.watermarkDelaySeconds = 120;
      c.metering.maxFutureSkewSeconds = 300;
    });

    // Assess
    const issue = error.issues.find((i) => i.field === 'metering.maxFutureSkewSeconds');
    expect(issue, `issues were: ${error.message}`).toBeDefined();
    expect(issue?.message).toMatch(/metering\.watermarkDelaySeconds \(120\)/);
    expect(issue?.message).toMatch(/metering\.maxFutureSkewSeconds \(300\)/);
  });

  it('accepts a future skew equal to the watermark delay', () => {
    // Prepare
    const config = clone();
    config.metering.watermarkDelaySeconds = 90;
    config.metering.maxFutureSkewSeconds = 90;

    // Act
    const parsed = parseConfig(config);

    // Assess
    expect(parsed.metering.maxFutureSkewSeconds).toBe(90);
  });

  it('refuses an alert age at or beyond the acceptance window, naming both fields and their values', () => {
    // Act
    const error = rejectionOf((c) => {
      c.billing.acceptanceWindowHours = 5;
      c.billing.alertAgeHours = 5;
    });

    // Assess
    const issue = error.issues.find((i) => i.field === 'billing.alertAgeHours');
    expect(issue?.message).toMatch(/billing\.alertAgeHours \(5\).*billing\.acceptanceWindowHours \(5\)/);
  });

  it('refuses a progress alert at or below the steady lag of the metering progress, naming the fields', () => {
    // Act: watermark delay 120 s + 120 s of heartbeat and window = 4 minutes of steady lag
    const error = rejectionOf((c) => {
      c.billing.progressAlertMinutes = 4;
    });

    // Assess
    const issue = error.issues.find((i) => i.field === 'billing.progressAlertMinutes');
    expect(issue?.message).toMatch(
      /billing\.progressAlertMinutes \(4\).*metering\.watermarkDelaySeconds 120.*billing\.acceptanceWindowHours \(6 h\)/,
    );
  });

  it('refuses a progress alert at the acceptance window', () => {
    const error = rejectionOf((c) => {
      c.billing.progressAlertMinutes = 300;
      c.billing.acceptanceWindowHours = 5;
      c.billing.alertAgeHours = 4;
    });
    expect(error.issues.map((i) => i.field)).toEqual(['billing.progressAlertMinutes']);
  });

  it('accepts a tier of isolation account with the accounts settings', () => {
    // Assess
    expect(requireTier(accountConfig, 'sovereign').isolation).toBe('account');
    expect(accountConfig.accounts?.organizationalUnitId).toBe('ou-ab12-tenants1');
  });

  it('reports a config file that cannot be read with its path', () => {
    expect(() => loadConfig('/nonexistent/tenantry.json')).toThrow(
      /cannot read \/nonexistent\/tenantry.json/,
    );
  });

  it('names resources and finds tiers from the one configuration', () => {
    const config = loadConfig('');
    expect(resourceName(config, 'catalog')).toBe('tenantry-dev-catalog');
    expect(requireTier(config, 'pro').monthlyPriceUsd).toBe(290);
    expect(() => requireTier(config, 'platinum')).toThrow(
      /unknown tier "platinum" \(known: starter, pro, business, enterprise\)/,
    );
  });
});

describe('loadConfig in a deployed function', () => {
  afterEach(() => {
    delete (globalThis as { TENANTRY_BUNDLED_CONFIG?: string }).TENANTRY_BUNDLED_CONFIG;
  });

  it('returns the configuration compiled into the bundle, validated, ahead of TENANTRY_CONFIG', () => {
    // Prepare: what esbuild's define puts in place of the identifier in a bundle
    (globalThis as { TENANTRY_BUNDLED_CONFIG?: string }).TENANTRY_BUNDLED_CONFIG = JSON.stringify({
      ...defaultConfig,
      naming: { product: 'quill', stage: 'prod' },
    });

    // Act
    const config = loadConfig('/no/such/file.json');

    // Assess
    expect(config.naming).toEqual({ product: 'quill', stage: 'prod' });
  });

  it('validates the compiled configuration like a file', () => {
    // Prepare
    (globalThis as { TENANTRY_BUNDLED_CONFIG?: string }).TENANTRY_BUNDLED_CONFIG = JSON.stringify({
      ...defaultConfig,
      naming: { product: '', stage: 'prod' },
    });

    // Act / Assess
    expect(() => loadConfig()).toThrow(/naming\.product/);
  });
});
