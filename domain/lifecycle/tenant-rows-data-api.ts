import type { TenantryConfig } from '../config';
import { dataApiClients, dataApiDatabase } from '../documents/data-api';
import { RowsPlaceError } from './errors';
import type { RowsDatabases } from './tenant-rows';

export interface DataApiRowsSettings {
  /** The pooled Aurora cluster and its secret. */
  readonly pooled: { readonly clusterArn: string; readonly secretArn: string };
  /** The database name, the same in the pooled cluster and every silo cluster. */
  readonly databaseName: string;
}

/**
 * The places' databases on AWS, through the RDS Data API: the pooled cluster with this function's
 * role; a silo's cluster (its stack's outputs, carried by the workflow) in the platform account with
 * the same role, or in the tenant's own account through the deployment role under a session policy
 * naming that cluster and secret only (domain/documents/data-api.ts).
 */
export function dataApiRowsDatabases(config: TenantryConfig, settings: DataApiRowsSettings): RowsDatabases {
  const clients = dataApiClients(config, 'tenant-rows input');
  const database = settings.databaseName;
  return {
    async database(tenantId, place) {
      if (place.place === 'pool') {
        const { clusterArn: resourceArn, secretArn } = settings.pooled;
        return dataApiDatabase({ client: clients.pooled(), resourceArn, secretArn, database });
      }
      const { clusterArn, secretArn, account } = place;
      if (clusterArn === null || secretArn === null)
        throw new RowsPlaceError(tenantId, 'the silo has no database cluster and secret recorded');
      const client =
        account === undefined
          ? clients.platform(clusterArn.split(':')[3] as string)
          : clients.inAccount(tenantId, account, { clusterArn, secretArn });
      return dataApiDatabase({ client, resourceArn: clusterArn, secretArn, database });
    },
  };
}
