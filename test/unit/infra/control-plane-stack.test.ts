import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { defaultConfig, type TenantryConfig } from '../../../domain/config';
import { ControlPlaneStack } from '../../../infra/control-plane-stack';

function template(config: TenantryConfig) {
  const stack = new ControlPlaneStack(new App(), 'ControlPlane', {
    config,
    env: { account: '111122223333', region: 'us-east-1' },
  });
  return Template.fromStack(stack);
}

describe('ControlPlaneStack', { timeout: 60_000 }, () => {
  it('keeps archived bus events (signups carry an admin e-mail) only for the configured days', () => {
    // Prepare
    const config = {
      ...defaultConfig,
      lifecycle: { ...defaultConfig.lifecycle, eventArchiveRetentionDays: 9 },
    };

    // Act
    const synthesized = template(config);

    // Assess
    synthesized.hasResourceProperties('AWS::Events::Archive', {
      ArchiveName: 'tenantry-dev-bus-archive',
      RetentionDays: 9,
    });
  });

  it('keeps them 30 days by default', () => {
    // Act / Assess
    template(defaultConfig).hasResourceProperties('AWS::Events::Archive', { RetentionDays: 30 });
  });
});
