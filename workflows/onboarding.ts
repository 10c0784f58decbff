import type { TenantryConfig } from '../domain/config';
import { tenantUserAttributes } from '../domain/identity/claims';
import { lifecycleDetailTypes } from '../domain/lifecycle/events';
import { type Catcher, jsonata, jsonataString, type StateMachineDefinition } from './asl';
import {
  catchFailure,
  EXECUTION_ARN,
  emitEvent,
  type FailureLog,
  failedEnd,
  failureRecord,
  INPUT_TENANT_ID,
  LAMBDA_RESULT,
  lambdaTask,
  recordFailure,
  SILO_FROM_STACK,
  sdkTask,
  siloProvisioningStates,
  siloTeardownStates,
  sub,
} from './common';

/**
 * Onboarding (pool or silo), started by the signup starter with the signup's detail as input.
 *
 *   Validate → CreateTenantRecord (PENDING, conditional) → CreateTenantGroup → CreateAdminUser
 *   → AddAdminToGroup → [silo, in the tenant's region: CreateSiloStack → DescribeSiloStack ⟲ Wait
 *   → RecordSiloResources (the ARNs the stack's outputs report) | pool: CreateCollectionTables (the
 *   tier's dedicated collection tables, ARNs recorded in the catalog)]
 *   → ActivateTenant → EmitTenantOnboarded → Onboarded
 *
 * Rejections (nothing was created): invalid input, or a tenant id already registered by another run
 * → EmitOnboardingRejected → OnboardingRejected (Fail).
 * Any other failure → compensation, each step idempotent and tolerant of what does not exist:
 *   CompensateIdentity (admin user if it carries our tenant id, then the group) → CompensateCollectionTables
 *   (tables deleted, catalog record removed) → silo teardown
 *   (key deletion scheduled, stack deleted) → ForgetSiloResources (catalog) → MarkFailed (PENDING → FAILED with the reason)
 *   → EmitOnboardingFailed → OnboardingFailed (Fail). A compensation step that fails is recorded in
 *   `compensationErrors` (reported in the event) and the next one still runs: the tenant is never
 *   left PENDING.
 *
 * Output: `{ tenantId, status: 'ACTIVE', tier, isolation, silo? }`.
 */
export const ONBOARDING = 'onboarding';

export function onboardingDefinition(config: TenantryConfig): StateMachineDefinition {
  const { stackPollSeconds, stackMaxPolls } = config.lifecycle;
  const toCompensation = (state: string): Catcher => catchFailure(state, 'Compensate');
  const compensationErrors: FailureLog = { appendTo: 'compensationErrors' };
  const compensationCatch = (state: string, next: string): Catcher =>
    catchFailure(state, next, { log: compensationErrors });

  return {
    Comment: 'Tenantry tenant onboarding (pool or silo) with compensation',
    QueryLanguage: 'JSONata',
    StartAt: 'Validate',
    States: {
      Validate: lambdaTask(
        'validate',
        { kind: 'onboarding', input: '{% $states.input %}' },
        {
          flow: { Next: 'CreateTenantRecord' },
          assign: { plan: LAMBDA_RESULT, compensationErrors: [] },
          catch: [catchFailure('Validate', 'EmitOnboardingRejected')],
        },
      ),
      CreateTenantRecord: lambdaTask(
        'catalog',
        {
          action: 'create',
          tenantId: '{% $plan.tenantId %}',
          name: '{% $plan.name %}',
          tier: '{% $plan.tier %}',
          isolation: '{% $plan.isolation %}',
          region: '{% $plan.region %}',
          executionArn: EXECUTION_ARN,
        },
        {
          flow: { Next: 'CreateTenantGroup' },
          catch: [
            catchFailure('CreateTenantRecord', 'EmitOnboardingRejected', {
              errors: ['TenantAlreadyExistsError'],
            }),
            toCompensation('CreateTenantRecord'),
          ],
        },
      ),
      CreateTenantGroup: sdkTask(
        'cognitoidentityprovider',
        'createGroup',
        {
          UserPoolId: sub('UserPoolId'),
          GroupName: '{% $plan.groupName %}',
          Description: "{% 'Users of tenant ' & $plan.tenantId %}",
        },
        {
          flow: { Next: 'CreateAdminUser' },
          catch: [
            { ErrorEquals: ['CognitoIdentityProvider.GroupExistsException'], Next: 'CreateAdminUser' },
            toCompensation('CreateTenantGroup'),
          ],
          comment:
            'GroupExists: created by an earlier attempt of this run (duplicates stop at CreateTenantRecord).',
        },
      ),
      CreateAdminUser: sdkTask(
        'cognitoidentityprovider',
        'adminCreateUser',
        {
          UserPoolId: sub('UserPoolId'),
          Username: '{% $plan.adminEmail %}',
          UserAttributes: [
            { Name: 'email', Value: '{% $plan.adminEmail %}' },
            { Name: 'email_verified', Value: 'true' },
            { Name: tenantUserAttributes.tenantId, Value: '{% $plan.tenantId %}' },
            { Name: tenantUserAttributes.tier, Value: '{% $plan.tier %}' },
          ],
          DesiredDeliveryMediums: ['EMAIL'],
        },
        {
          flow: { Next: 'AddAdminToGroup' },
          catch: [
            { ErrorEquals: ['CognitoIdentityProvider.UsernameExistsException'], Next: 'CheckExistingAdmin' },
            toCompensation('CreateAdminUser'),
          ],
          comment: 'Tenant attributes are set here, server-side; the app client cannot write them.',
        },
      ),
      CheckExistingAdmin: sdkTask(
        'cognitoidentityprovider',
        'adminGetUser',
        { UserPoolId: sub('UserPoolId'), Username: '{% $plan.adminEmail %}' },
        {
          flow: { Next: 'AdminIsOurs?' },
          assign: {
            adminTenant: jsonata(
              `($t := $states.result.UserAttributes[Name=${jsonataString(tenantUserAttributes.tenantId)}].Value; $exists($t) ? $t : '')`,
            ),
          },
          catch: [toCompensation('CheckExistingAdmin')],
        },
      ),
      'AdminIsOurs?': {
        Type: 'Choice',
        Choices: [{ Condition: '{% $adminTenant = $plan.tenantId %}', Next: 'AddAdminToGroup' }],
        Default: 'AdminOwnedElsewhere',
      },
      AdminOwnedElsewhere: {
        Type: 'Pass',
        Assign: recordFailure(
          'failure',
          failureRecord(
            'CreateAdminUser',
            "'AdminUserBelongsToAnotherTenant'",
            "'user ' & $plan.adminEmail & ' already exists and belongs to another tenant'",
          ),
        ),
        Next: 'Compensate',
      },
      AddAdminToGroup: sdkTask(
        'cognitoidentityprovider',
        'adminAddUserToGroup',
        {
          UserPoolId: sub('UserPoolId'),
          Username: '{% $plan.adminEmail %}',
          GroupName: '{% $plan.groupName %}',
        },
        { flow: { Next: 'IsSilo?' }, catch: [toCompensation('AddAdminToGroup')] },
      ),
      'IsSilo?': {
        Type: 'Choice',
        Choices: [{ Condition: "{% $plan.isolation = 'silo' %}", Next: 'CreateSiloStack' }],
        Default: 'CreateCollectionTables',
      },
      CreateCollectionTables: lambdaTask(
        'collections',
        {
          action: 'create',
          tenantId: '{% $plan.tenantId %}',
          tier: '{% $plan.tier %}',
          executionArn: EXECUTION_ARN,
        },
        {
          flow: { Next: 'ActivateTenant' },
          catch: [toCompensation('CreateCollectionTables')],
          comment:
            "The tier's dedicated collection tables (none for most pool tiers), their ARNs recorded in the catalog.",
        },
      ),
      ...siloProvisioningStates({
        tenantId: '$plan.tenantId',
        tier: '$plan.tier',
        region: '$plan.region',
        pollSeconds: stackPollSeconds,
        maxPolls: stackMaxPolls,
        onReady: 'RecordSiloResources',
        onFailure: 'Compensate',
      }),
      RecordSiloResources: lambdaTask(
        'catalog',
        {
          action: 'set-placement',
          tenantId: '{% $plan.tenantId %}',
          executionArn: EXECUTION_ARN,
          tier: '{% $plan.tier %}',
          isolation: 'silo',
          silo: jsonata(SILO_FROM_STACK),
        },
        { flow: { Next: 'ActivateTenant' }, catch: [toCompensation('RecordSiloResources')] },
      ),
      ActivateTenant: lambdaTask(
        'transition',
        { tenantId: '{% $plan.tenantId %}', to: 'ACTIVE', reason: 'onboarded', executionArn: EXECUTION_ARN },
        { flow: { Next: 'EmitTenantOnboarded' }, catch: [toCompensation('ActivateTenant')] },
      ),
      EmitTenantOnboarded: emitEvent(
        lifecycleDetailTypes.onboarded,
        {
          tenantId: '{% $plan.tenantId %}',
          tier: '{% $plan.tier %}',
          isolation: '{% $plan.isolation %}',
          executionArn: EXECUTION_ARN,
        },
        {
          flow: { Next: 'Onboarded' },
          catch: [catchFailure('EmitTenantOnboarded', 'OnboardedEventNotSent')],
          comment: 'The tenant is ACTIVE and complete here: a failure to emit is reported, not compensated.',
        },
      ),
      Onboarded: {
        Type: 'Succeed',
        Output: {
          tenantId: '{% $plan.tenantId %}',
          status: 'ACTIVE',
          tier: '{% $plan.tier %}',
          isolation: '{% $plan.isolation %}',
          silo: jsonata(`$plan.isolation = 'silo' ? ${SILO_FROM_STACK} : null`),
        },
      },
      OnboardedEventNotSent: {
        Type: 'Fail',
        Error: 'OnboardedEventNotSent',
        Cause: 'the tenant was onboarded (ACTIVE) but the TenantOnboarded event could not be emitted',
      },

      // --- rejection: nothing was created ------------------------------------------------------------
      ...failedEnd('EmitOnboardingRejected', 'OnboardingRejected', {
        detailType: lifecycleDetailTypes.onboardingFailed,
        tenantId: INPUT_TENANT_ID,
        stage: 'rejected',
        detail: { compensated: true },
      }),

      // --- compensation ------------------------------------------------------------------------------
      Compensate: {
        Type: 'Pass',
        Comment: 'Entry of the compensation path; $failure says what failed.',
        Next: 'CompensateIdentity',
      },
      CompensateIdentity: lambdaTask(
        'identityPurge',
        { tenantId: '{% $plan.tenantId %}', usernames: ['{% $plan.adminEmail %}'] },
        {
          flow: { Next: 'CompensateCollectionTables' },
          catch: [compensationCatch('CompensateIdentity', 'CompensateCollectionTables')],
        },
      ),
      CompensateCollectionTables: lambdaTask(
        'collections',
        {
          action: 'delete',
          tenantId: '{% $plan.tenantId %}',
          executionArn: EXECUTION_ARN,
          allowMissing: true,
        },
        {
          flow: { Next: 'CompensateSilo?' },
          catch: [compensationCatch('CompensateCollectionTables', 'CompensateSilo?')],
          comment: 'Deletes any collection table this run may have created, and its catalog record.',
        },
      ),
      'CompensateSilo?': {
        Type: 'Choice',
        Choices: [{ Condition: "{% $plan.isolation = 'silo' %}", Next: 'CompensateSiloTeardown' }],
        Default: 'MarkFailed',
      },
      ...siloTeardownStates({
        prefix: 'Compensate',
        stackName: '$plan.stackName',
        region: '$plan.region',
        pollSeconds: stackPollSeconds,
        maxPolls: stackMaxPolls,
        next: 'ForgetSiloResources',
        onFailure: 'MarkFailed',
        log: compensationErrors,
      }),
      ForgetSiloResources: lambdaTask(
        'catalog',
        {
          action: 'set-placement',
          tenantId: '{% $plan.tenantId %}',
          executionArn: EXECUTION_ARN,
          tier: '{% $plan.tier %}',
          isolation: '{% $plan.isolation %}',
          silo: null,
          allowMissing: true,
        },
        {
          flow: { Next: 'MarkFailed' },
          catch: [compensationCatch('ForgetSiloResources', 'MarkFailed')],
          comment: 'The silo is gone: the catalog must not point at it.',
        },
      ),
      MarkFailed: lambdaTask(
        'transition',
        {
          tenantId: '{% $plan.tenantId %}',
          to: 'FAILED',
          onlyFrom: ['PENDING'],
          allowMissing: true,
          reason: "{% $failure.state & ': ' & $failure.error %}",
          executionArn: EXECUTION_ARN,
        },
        {
          flow: { Next: 'EmitOnboardingFailed' },
          catch: [compensationCatch('MarkFailed', 'EmitOnboardingFailed')],
        },
      ),
      ...failedEnd('EmitOnboardingFailed', 'OnboardingFailed', {
        detailType: lifecycleDetailTypes.onboardingFailed,
        tenantId: '{% $plan.tenantId %}',
        stage: 'compensated',
        detail: {
          compensated: '{% $count($compensationErrors) = 0 %}',
          compensationErrors: '{% $compensationErrors %}',
        },
      }),
    },
  };
}
