// The CDK app entry (cdk.json). TENANTRY_CONFIG names a configuration file; default: domain/config/default.ts.
import { loadConfig } from '../domain/config';
import { buildTenantryApp } from './tenantry-app';

buildTenantryApp(loadConfig()).app.synth();
