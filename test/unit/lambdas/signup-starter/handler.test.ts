import { createHash } from 'node:crypto';
import {
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract } from '../../../../lambdas/signup-starter/contract';
import { expectColdStartToRequire, importHandler } from '../../support/lambda';

const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:tenantry-dev-onboarding';
const ENV = { ONBOARDING_STATE_MACHINE_ARN: STATE_MACHINE };
const load = () => import('../../../../lambdas/signup-starter/handler');
const sfn = mockClient(SFNClient);

const detail = { tenantId: 'acme', name: 'Acme Corp', tier: 'starter', adminEmail: 'ops@acme.example' };
const signup = (id: string, d: Record<string, unknown> = detail) => ({
  version: '0',
  id,
  'detail-type': 'TenantSignup',
  source: 'tenantry.signup',
  detail: d,
});
/**
 * The name rule (domain/lifecycle/execution-name.ts): `onboard-<tenantId>-` and the first 12 hex digits
 * of SHA-256 over the JSON array [tenantId, name, tier, adminEmail, region] (null where absent).
 */
const ACME_NAME = `onboard-acme-${createHash('sha256')
  .update('["acme","Acme Corp","starter","ops@acme.example",null]')
  .digest('hex')
  .slice(0, 12)}`;
const executionArn = (name: string) =>
  `arn:aws:states:us-east-1:111122223333:execution:tenantry-dev-onboarding:${name}`;

beforeEach(() => sfn.reset());
afterEach(() => vi.unstubAllEnvs());

describe('signup-starter cold start', () => {
  it('fails the import naming ONBOARDING_STATE_MACHINE_ARN when it is not set', async () => {
    // Prepare / Act / Assess
    await expectColdStartToRequire(load, ENV, 'ONBOARDING_STATE_MACHINE_ARN');
  });

  it('fails the import when ONBOARDING_STATE_MACHINE_ARN is not an ARN', async () => {
    // Prepare / Act
    const loading = importHandler(load, { ONBOARDING_STATE_MACHINE_ARN: 'tenantry-dev-onboarding' });

    // Assess
    await expect(loading).rejects.toMatchObject({
      name: 'EnvironmentError',
      message: 'invalid environment: ONBOARDING_STATE_MACHINE_ARN: must be an ARN',
    });
  });
});

describe('signup-starter handler', () => {
  it('rejects an event without a detail, naming the field and the function', async () => {
    // Prepare
    const { handler } = await importHandler(load, ENV);

    // Act
    const starting = handler({ id: 'evt-1', 'detail-type': 'TenantSignup' });

    // Assess
    await expect(starting).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^invalid signup-starter input: detail: /),
    });
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it("starts onboarding named after the signup, with the signup's detail as input", async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn(ACME_NAME), startDate: new Date() });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler(signup('evt-1'));

    // Assess
    expect(result).toEqual({
      executionName: ACME_NAME,
      executionArn: executionArn(ACME_NAME),
      started: true,
    });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(input?.stateMachineArn).toBe(STATE_MACHINE);
    expect(input?.name).toBe(ACME_NAME);
    expect(JSON.parse(input?.input ?? 'null')).toEqual(detail);
  });

  it('derives the same execution name for the same signup delivered twice', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn(ACME_NAME), startDate: new Date() });
    const { handler } = await importHandler(load, ENV);
    const reordered = {
      adminEmail: 'ops@acme.example',
      tier: 'starter',
      name: 'Acme Corp',
      tenantId: 'acme',
    };

    // Act
    const first = await handler(signup('evt-1'));
    const redelivered = await handler(signup('evt-2', reordered));
    const otherSignup = await handler(signup('evt-3', { ...detail, tier: 'pro' }));

    // Assess
    expect(first.executionName).toBe(ACME_NAME);
    expect(redelivered.executionName).toBe(ACME_NAME);
    expect(otherSignup.executionName).toMatch(/^onboard-acme-[0-9a-f]{12}$/);
    expect(otherSignup.executionName).not.toBe(ACME_NAME);
  });

  it('answers started:false when the execution for this signup already exists', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(
        new ExecutionAlreadyExists({ message: `Execution Already Exists: ${ACME_NAME}`, $metadata: {} }),
      );
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler(signup('evt-2'));

    // Assess
    expect(result).toEqual({ executionName: ACME_NAME, executionArn: null, started: false });
    expect(contract.output.safeParse(result).success).toBe(true);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE,
      name: ACME_NAME,
    });
  });

  it('lets any other Step Functions error through (EventBridge retries the delivery)', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} }));
    const { handler } = await importHandler(load, ENV);

    // Act
    const starting = handler(signup('evt-1'));

    // Assess
    await expect(starting).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });

  it('still starts a signup without a valid tenant id: the workflow rejects it on record', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn('x'), startDate: new Date() });
    const { handler } = await importHandler(load, ENV);

    // Act
    const result = await handler(signup('evt-9', { name: 'No Id Corp', tier: 'starter' }));

    // Assess
    const expectedName = `onboard-invalid-${createHash('sha256')
      .update('[null,"No Id Corp","starter",null,null]')
      .digest('hex')
      .slice(0, 12)}`;
    expect(result.executionName).toBe(expectedName);
    expect(result.started).toBe(true);
  });
});
