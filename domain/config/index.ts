import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors';
import { toFieldIssues } from '../issues';
import { defaultConfig } from './default';
import { type TenantryConfig, type TierConfig, tenantryConfigSchema } from './schema';

export type { IsolationModel, MetricConfig, TenantryConfig, TierConfig } from './schema';
export { collectionName, isolationModels, tenantryConfigSchema } from './schema';
export { defaultConfig };

/** Validates a configuration value; the error names every bad field and shows its value. */
export function parseConfig(value: unknown): TenantryConfig {
  const result = tenantryConfigSchema.safeParse(value);
  if (!result.success) {
    throw new ConfigurationError(
      toFieldIssues(result.error).map((issue) => ({
        field: issue.field,
        message: `${issue.message} (got ${describeValue(valueAt(value, issue.field))})`,
      })),
    );
  }
  return deepFreeze(result.data);
}

/**
 * The deployment's configuration as JSON, compiled into each Lambda bundle by esbuild's `define`
 * (infra/private/tenantry-function.ts): a deployed function runs on the configuration its stack was
 * synthesized with, not on the default. Undeclared (so `typeof` is 'undefined') everywhere else.
 */
declare const TENANTRY_BUNDLED_CONFIG: string | undefined;

/**
 * Loads the configuration: in a deployed function, the one compiled into its bundle; elsewhere the
 * JSON file named by `TENANTRY_CONFIG` when set, else the default. Validated once per process.
 */
export function loadConfig(path: string | undefined = process.env.TENANTRY_CONFIG): TenantryConfig {
  if (typeof TENANTRY_BUNDLED_CONFIG === 'string') return parseConfig(JSON.parse(TENANTRY_BUNDLED_CONFIG));
  if (path === undefined || path === '') return parseConfig(defaultConfig);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ConfigurationError([
      { field: '(file)', message: `cannot read ${path}: ${(cause as Error).message}` },
    ]);
  }
  return parseConfig(raw);
}

export function findTier(config: TenantryConfig, name: string): TierConfig | undefined {
  return config.tiers.find((tier) => tier.name === name);
}

/** The collections a tier gives each tenant a dedicated table for (none for most tiers). */
export function dedicatedCollections(config: TenantryConfig, tierName: string): readonly string[] {
  return findTier(config, tierName)?.dedicatedCollections ?? [];
}

export function requireTier(config: TenantryConfig, name: string): TierConfig {
  const tier = findTier(config, name);
  if (tier === undefined) {
    throw new ConfigurationError([
      {
        field: 'tier',
        message: `unknown tier "${name}" (known: ${config.tiers.map((t) => t.name).join(', ')})`,
      },
    ]);
  }
  return tier;
}

/** `<product>-<stage>-<resource>`: the one naming rule for every AWS resource Tenantry creates. */
export function resourceName(config: TenantryConfig, resource: string): string {
  return `${config.naming.product}-${config.naming.stage}-${resource}`;
}

function valueAt(root: unknown, dottedPath: string): unknown {
  if (dottedPath === '(root)') return root;
  let current: unknown = root;
  for (const segment of dottedPath.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
