import type { Stack } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

export const POOLED_CLUSTER_ID = 'tenantry-dev-pooled-plane-pooleddatabase';
export const POOLED_SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:tenantry-dev-pooled-db-admin-AbCdEf';

/** The pooled plane's cluster and its secret, as LifecycleStack receives them (imported into `deps`). */
export function pooledDatabaseProps(deps: Stack) {
  return {
    pooledDatabase: rds.DatabaseCluster.fromDatabaseClusterAttributes(deps, 'PooledDatabase', {
      clusterIdentifier: POOLED_CLUSTER_ID,
    }),
    pooledDatabaseSecret: secretsmanager.Secret.fromSecretCompleteArn(
      deps,
      'PooledSecret',
      POOLED_SECRET_ARN,
    ),
  };
}
