import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type Field,
  RDSDataClient,
  RollbackTransactionCommand,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { STSClient } from '@aws-sdk/client-sts';
import { baseClientConfig } from '../aws/clients';
import type { TenantryConfig } from '../config';
import type { SqlExecutor, TransactionalDatabase } from '../identity/rls/unit-of-work';
import type { AccountTableTarget } from '../lifecycle/account-data';
import { accountsSettings } from '../lifecycle/member-account';
import { allowedSiloRegion, assumedRoleCredentials } from '../lifecycle/silo-stack';
import type { TenantId } from '../tenant/tenant-id';
import { DataApiParameterError, DataApiTransactionError } from './errors';

/**
 * A `TransactionalDatabase` over the RDS Data API: for a task outside the database's VPC (the
 * lifecycle's `tenant-rows`), one HTTPS call per statement, authenticated by the caller's IAM role
 * and the cluster's secret. Each unit of work is one Data API transaction (BeginTransaction, every
 * statement with its transactionId, CommitTransaction; RollbackTransaction when the work throws), so
 * `SET LOCAL` and `set_config(..., true)` hold for exactly that unit of work, as with node-postgres.
 *
 * Differences from node-postgres a caller must know:
 * - parameters are typed by their JS value (`sqlParameter`); a string is sent as text, so a string
 *   for a non-text column needs a cast in the SQL (`$4::timestamptz`), or pass a Date;
 * - rows come from the Data API's JSON records: a timestamp is a string (`2026-01-02 03:04:05.678`,
 *   UTC), bigint a number, numeric a string;
 * - `$n` placeholders are rewritten to `:pn` (`namedPlaceholders` says which SQL that covers).
 */
export interface DataApiSettings {
  readonly client: RDSDataClient;
  /** The Aurora cluster's ARN. */
  readonly resourceArn: string;
  /** The Secrets Manager secret the Data API logs in with (the cluster's administrative user). */
  readonly secretArn: string;
  readonly database: string;
}

export function dataApiDatabase(settings: DataApiSettings): TransactionalDatabase {
  const { client, resourceArn, secretArn, database } = settings;
  return {
    async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const { transactionId } = await client.send(
        new BeginTransactionCommand({ resourceArn, secretArn, database }),
      );
      if (transactionId === undefined) throw new DataApiTransactionError(resourceArn, 'begin');
      const tx: SqlExecutor = {
        async query<Row = Record<string, unknown>>(sql: string, params: unknown[] = []) {
          const { formattedRecords } = await client.send(
            new ExecuteStatementCommand({
              resourceArn,
              secretArn,
              database,
              transactionId,
              sql: namedPlaceholders(sql),
              parameters: params.map((value, i) => sqlParameter(`p${i + 1}`, value)),
              formatRecordsAs: 'JSON',
            }),
          );
          // Statements without a result set (SET, INSERT without RETURNING) have no records.
          return { rows: formattedRecords === undefined ? [] : (JSON.parse(formattedRecords) as Row[]) };
        },
      };
      let result: T;
      try {
        result = await work(tx);
      } catch (error) {
        // The work's error is the one to report; a transaction whose rollback failed is aborted by
        // the Data API once idle (3 minutes), so the failure is dropped here.
        await client
          .send(new RollbackTransactionCommand({ resourceArn, secretArn, transactionId }))
          .catch(() => undefined);
        throw error;
      }
      await client.send(new CommitTransactionCommand({ resourceArn, secretArn, transactionId }));
      return result;
    },
  };
}

/**
 * The SQL with every `$n` placeholder as the Data API's named parameter `:pn`. Left as they are:
 * single-quoted strings (`''` escapes inside), quoted identifiers, dollar-quoted bodies (`$$…$$`,
 * `$tag$…$tag$`), `--` and non-nested block comments. Not understood: backslash escapes in `E'…'`
 * strings (`E'\''`) and nested block comments; the repository's statements use neither.
 */
export function namedPlaceholders(sql: string): string {
  let out = '';
  let i = 0;
  const copyUntil = (end: string, from: number) => {
    const at = sql.indexOf(end, from);
    const stop = at === -1 ? sql.length : at + end.length;
    out += sql.slice(i, stop);
    i = stop;
  };
  while (i < sql.length) {
    const rest = sql.slice(i);
    const char = sql[i];
    if (char === "'") {
      // '' inside a string is an escaped quote: the string goes on.
      const match = /^'(?:[^']|'')*'?/.exec(rest);
      out += match?.[0];
      i += match?.[0].length ?? 1;
    } else if (char === '"') {
      copyUntil('"', i + 1);
    } else if (rest.startsWith('--')) {
      copyUntil('\n', i);
    } else if (rest.startsWith('/*')) {
      copyUntil('*/', i + 2);
    } else if (char === '$') {
      const placeholder = /^\$(\d+)/.exec(rest);
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
      if (placeholder !== null) {
        out += `:p${placeholder[1]}`;
        i += placeholder[0].length;
      } else if (tag !== null) {
        copyUntil(tag[0], i + tag[0].length);
      } else {
        out += char;
        i += 1;
      }
    } else if (/[A-Za-z0-9_]/.test(char ?? '')) {
      // A `$` inside an identifier (`a$1`) is part of it, not a placeholder.
      const word = /^[A-Za-z0-9_$]+/.exec(rest)?.[0] ?? char;
      out += word;
      i += word?.length ?? 1;
    } else {
      out += char;
      i += 1;
    }
  }
  return out;
}

/** A JS value as a Data API parameter (its type chosen by the value; see `DataApiSettings`). */
export function sqlParameter(name: string, value: unknown): SqlParameter {
  return { name, ...fieldOf(name, value) };
}

function fieldOf(name: string, value: unknown): { value: Field; typeHint?: 'TIMESTAMP' | 'JSON' } {
  if (value === null || value === undefined) return { value: { isNull: true } };
  if (typeof value === 'string') return { value: { stringValue: value } };
  if (typeof value === 'boolean') return { value: { booleanValue: value } };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DataApiParameterError(name, 'a non-finite number');
    return Number.isSafeInteger(value) ? { value: { longValue: value } } : { value: { doubleValue: value } };
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new DataApiParameterError(name, 'an invalid Date');
    // The Data API's TIMESTAMP format: `YYYY-MM-DD HH:MM:SS.FFF` (UTC here).
    return {
      value: { stringValue: value.toISOString().replace('T', ' ').replace('Z', '') },
      typeHint: 'TIMESTAMP',
    };
  }
  if (value instanceof Uint8Array) return { value: { blobValue: value } };
  throw new DataApiParameterError(name, typeof value);
}

/**
 * Data API clients of the places a tenant's rows can be, created once per place (warm invocations
 * reuse them): `platform(region)` acts with the task's own role (the pooled cluster, a silo in the
 * platform account); `inAccount(...)` with the deployment role the lifecycle already assumes in the
 * tenant's account (domain/lifecycle/account-data.ts), under a session policy naming that one
 * cluster and its secret. Regions outside `regions.siloAllowed` are refused for silos (ValidationError
 * naming `subject`); the pooled region is the primary one.
 */
export function dataApiClients(config: TenantryConfig, subject: string) {
  const platform = new Map<string, RDSDataClient>();
  const accounts = new Map<string, RDSDataClient>();
  return {
    pooled(): RDSDataClient {
      return cached(
        platform,
        config.regions.primary,
        () => new RDSDataClient(baseClientConfig({ region: config.regions.primary })),
      );
    },
    platform(region: string): RDSDataClient {
      const allowed = allowedSiloRegion(config, region, subject);
      return cached(platform, allowed, () => new RDSDataClient(baseClientConfig({ region: allowed })));
    },
    inAccount(tenantId: TenantId, target: AccountTableTarget, place: AccountDatabase): RDSDataClient {
      const region = allowedSiloRegion(config, target.region, subject);
      const key = `${tenantId}/${target.accountId}/${region}/${place.clusterArn}`;
      return cached(accounts, key, () => {
        const base = baseClientConfig({ region });
        const credentials = assumedRoleCredentials(
          new STSClient(base),
          target.accountId,
          accountsSettings(config).deploymentRoleName,
          `tenantry-rows-${tenantId}`.slice(0, 64),
          JSON.stringify(accountDatabaseSessionPolicy(region, place)),
        );
        return new RDSDataClient({ ...base, credentials });
      });
    },
  };
}

/** A silo database in a tenant's own account: its stack's cluster and secret. */
export interface AccountDatabase {
  readonly clusterArn: string;
  readonly secretArn: string;
}

/**
 * The inline session policy of the deployment role's session that reads and writes a tenant's rows
 * in its account: the Data API's transaction actions on that one cluster, that one secret, and the
 * secret's key only through Secrets Manager in that region (the tenant's key; its policy names the
 * deployment role among the data movers). Nothing else, whatever the deployment role may do.
 */
export function accountDatabaseSessionPolicy(region: string, place: AccountDatabase) {
  const account = place.clusterArn.split(':')[4];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TheTenantClusterOnly',
        Effect: 'Allow',
        Action: [
          'rds-data:BeginTransaction',
          'rds-data:ExecuteStatement',
          'rds-data:CommitTransaction',
          'rds-data:RollbackTransaction',
        ],
        Resource: place.clusterArn,
      },
      {
        Sid: 'ItsSecretOnly',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: place.secretArn,
      },
      {
        Sid: 'ItsKeyThroughSecretsManagerOnly',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: `arn:aws:kms:${region}:${account}:key/*`,
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      },
    ],
  };
}

function cached<V>(map: Map<string, V>, key: string, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
