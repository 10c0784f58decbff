import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../domain/config';
import { ControlPlaneStack } from './control-plane-stack';

/**
 * The Tenantry CDK app. One configuration (TENANTRY_CONFIG or the default) drives every stack.
 * cdk-nag's AwsSolutions checks run as a validation plugin: a violation fails synth.
 */
const config = loadConfig();
const app = new App();
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: config.regions.primary };
const prefix = `${config.naming.product}-${config.naming.stage}`;

new ControlPlaneStack(app, `${prefix}-control-plane`, { config, env });

Tags.of(app).add('product', config.naming.product);
Tags.of(app).add('stage', config.naming.stage);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
