import type { TenantryConfig } from '../domain/config';
import { tenantUserAttributes } from '../domain/identity/claims';
import { lifecycleDetailTypes } from '../domain/lifecycle/events';
import { accountCompensationStates, accountProvisioningStates } from './account';
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
 *   → AddAdminToGroup → [account (only when `accounts` is configured): AdoptAccount (an account id
 *   given at signup) | RequestAccount → DescribeAccount ⟲ Wait (bounded by accounts.createMaxPolls)
 *   → RecordAccount (catalog: the account id, ACTIVE) → PlaceAccount (tenants' OU)
 *   → EnsureRuntimeRole (in the account, trusting the authorizer's role only)]
 *   → [silo or account, in the tenant's region (and account): CreateSiloStack → DescribeSiloStack ⟲ Wait
 *   → RecordSiloResources (the ARNs the stack's outputs report) | pool: CreateCollectionTables (the
 *   tier's dedicated collection tables, ARNs recorded in the catalog)]
 *   → ActivateTenant → EmitTenantOnboarded → Onboarded
 *
 * Rejections (nothing was created): invalid input, or a tenant id already registered by another run
 * → EmitOnboardingRejected → OnboardingRejected (Fail).
 * Any other failure → compensation, each step idempotent and tolerant of what does not exist:
 *   CompensateIdentity (admin user if it carries our tenant id, then the group) → CompensateCollectionTables
 *   (tables deleted, catalog record removed) → [account: FindAccount when the request's answer was lost]
 *   → silo teardown (key deletion scheduled, stack deleted, in the account for an account tenant)
 *   → ForgetSiloResources (catalog) → [account: RemoveRuntimeRole → CloseAccount (a created account; an
 *   adopted one goes back to its former parent instead: ReturnAccount) → RecordAccountClosed, or
 *   FlagAccountNotClosed (catalog: CLOSE_FAILED) when it cannot be closed] → MarkFailed (PENDING → FAILED with the reason)
 *   → EmitOnboardingFailed → OnboardingFailed (Fail). A compensation step that fails is recorded in
 *   `compensationErrors` (reported in the event) and the next one still runs: the tenant is never
 *   left PENDING.
 *
 * Output: `{ tenantId, status: 'ACTIVE', tier, isolation, silo?, accountId }`.
 */
export const ONBOARDING = 'onboarding';

export function onboardingDefinition(config: TenantryConfig): StateMachineDefinition {
  const { stackPollSeconds, stackMaxPolls } = config.lifecycle;
  const toCompensation = (state: string): Catcher => catchFailure(state, 'Compensate');
  const compensationErrors: FailureLog = { appendTo: 'compensationErrors' };
  const compensationCatch = (state: string, next: string): Catcher =>
    catchFailure(state, next, { log: compensationErrors });
  const { accounts } = config;
  // The account of an account tenant (null otherwise); only when account tenants are configured.
  const accountId = accounts === undefined ? undefined : '$accountId';

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
          assign: {
            plan: LAMBDA_RESULT,
            compensationErrors: [],
            // An account given at signup is known from the start (adopted); a created one once it exists.
            accountId:
              '{% $exists($states.result.Payload.accountId) ? $states.result.Payload.accountId : null %}',
            accountRequest: null,
          },
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
        Choices: [
          { Condition: "{% $plan.isolation = 'silo' %}", Next: 'CreateSiloStack' },
          ...(accounts === undefined
            ? []
            : [{ Condition: jsonata("$plan.isolation = 'account'"), Next: 'AccountGiven?' }]),
        ],
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
      ...(accounts === undefined
        ? {}
        : accountProvisioningStates(accounts, {
            onFailure: toCompensation,
            notCreated: 'Compensate',
            next: 'CreateSiloStack',
            tier: '$plan.tier',
          })),
      ...siloProvisioningStates({
        tenantId: '$plan.tenantId',
        tier: '$plan.tier',
        region: '$plan.region',
        pollSeconds: stackPollSeconds,
        maxPolls: stackMaxPolls,
        onReady: 'RecordSiloResources',
        onFailure: 'Compensate',
        ...(accountId === undefined ? {} : { accountId }),
      }),
      RecordSiloResources: lambdaTask(
        'catalog',
        {
          action: 'set-placement',
          tenantId: '{% $plan.tenantId %}',
          executionArn: EXECUTION_ARN,
          tier: '{% $plan.tier %}',
          isolation: '{% $plan.isolation %}',
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
          silo: jsonata(`$plan.isolation in ['silo', 'account'] ? ${SILO_FROM_STACK} : null`),
          accountId: '{% $accountId %}',
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
        Choices: [
          { Condition: "{% $plan.isolation = 'silo' %}", Next: 'CompensateSiloTeardown' },
          ...(accounts === undefined
            ? []
            : [
                {
                  Condition: jsonata("$plan.isolation = 'account' and $accountId != null"),
                  Next: 'CompensateSiloTeardown',
                },
                { Condition: jsonata("$plan.isolation = 'account'"), Next: 'FindAccount' },
              ]),
        ],
        Default: 'MarkFailed',
      },
      ...siloTeardownStates({
        prefix: 'Compensate',
        stackName: '$plan.stackName',
        region: '$plan.region',
        pollSeconds: stackPollSeconds,
        maxPolls: stackMaxPolls,
        next: 'ForgetSiloResources',
        onFailure: accounts === undefined ? 'MarkFailed' : 'CompensateAccount?',
        log: compensationErrors,
        ...(accountId === undefined ? {} : { accountId }),
      }),
      ...(accounts === undefined
        ? {}
        : accountCompensationStates({
            accounts,
            compensationCatch,
            teardown: 'CompensateSiloTeardown',
            done: 'MarkFailed',
          })),
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
          flow: { Next: accounts === undefined ? 'MarkFailed' : 'CompensateAccount?' },
          catch: [
            compensationCatch(
              'ForgetSiloResources',
              accounts === undefined ? 'MarkFailed' : 'CompensateAccount?',
            ),
          ],
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
