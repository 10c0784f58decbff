import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { TenantryConfig } from '../domain/config';
import { ControlPlaneStack } from './control-plane-stack';

export interface TenantryStacks {
  readonly app: App;
  readonly controlPlane: ControlPlaneStack;
}

/**
 * Builds every Tenantry stack from one configuration. cdk-nag's AwsSolutions checks are
 * registered as a validation plugin, so `app.synth()` fails on any unacknowledged finding.
 */
export function buildTenantryApp(config: TenantryConfig, appProps: AppProps = {}): TenantryStacks {
  const app = new App(appProps);
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: config.regions.primary };
  const prefix = `${config.naming.product}-${config.naming.stage}`;

  const controlPlane = new ControlPlaneStack(app, `${prefix}-control-plane`, { config, env });

  Tags.of(app).add('product', config.naming.product);
  Tags.of(app).add('stage', config.naming.stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, controlPlane };
}
