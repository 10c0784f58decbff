import type { AccountsSettings } from '../domain/lifecycle/member-account';
import { type Catcher, jsonata, type State } from './asl';
import {
  accountPayloads,
  EXECUTION_ARN,
  failureRecord,
  LAMBDA_RESULT,
  lambdaTask,
  recordFailure,
} from './common';

/**
 * An account tenant's own AWS account, as state fragments shared by onboarding and the promotion
 * silo → account (isolation `account`, issue 15). Both keep the account id in `$accountId` (null until
 * known; an account given in the input is known from the start and adopted) and the plan in `$plan`
 * (`$plan.accountId` present: adopted).
 */

interface ProvisioningOptions {
  /** The catcher of a failure in a task of the fragment, given the task's name. */
  readonly onFailure: (state: string) => Catcher;
  /** Where an account that was not created (failed, or still in progress after the bound) goes. */
  readonly notCreated: string;
  /** Where to go once the account is recorded, placed and equipped (the silo stack in it). */
  readonly next: string;
  /** JSONata for the tier whose silo the account gets (its reserved concurrency is checked). */
  readonly tier: string;
}

/**
 * The account of an account tenant: adopted (given in the input, must be an ACTIVE member) or
 * requested from Organizations and polled with a bound; recorded in the catalog as soon as it exists
 * (never forgotten), moved into the tenants' OU, and given the tenant runtime role. Then the silo
 * states deploy the silo stack in it. Before that, `CheckConcurrency` decides whether the silo stack
 * reserves the tier's Lambda concurrency (`$reserveConcurrency`): not when the account's quota cannot
 * keep it, and then the quota increase it requested is flagged in the catalog (`FlagConcurrencyQuota`).
 * Enter at `AccountGiven?`.
 */
export function accountProvisioningStates(
  accounts: AccountsSettings,
  o: ProvisioningOptions,
): Record<string, State> {
  const tenantId = '{% $plan.tenantId %}';
  const { inAccount, recordStatus } = accountPayloads('{% $accountId %}');
  return {
    'AccountGiven?': {
      Type: 'Choice',
      Choices: [{ Condition: '{% $accountId != null %}', Next: 'AdoptAccount' }],
      Default: 'RequestAccount',
    },
    AdoptAccount: lambdaTask('account', inAccount('adopt'), {
      flow: { Next: 'RecordAccount' },
      catch: [o.onFailure('AdoptAccount')],
      comment: 'Only an ACTIVE member account of the organization is adopted.',
    }),
    RequestAccount: lambdaTask(
      'account',
      { action: 'request', tenantId },
      {
        flow: { Next: 'AccountReady?' },
        assign: { accountRequest: LAMBDA_RESULT, accountPolls: 0, accountId: ACCOUNT_ID_RESULT },
        catch: [o.onFailure('RequestAccount')],
        comment:
          'Idempotent: an account (or a request in progress) of the tenant is reported, not asked again.',
      },
    ),
    'AccountReady?': {
      Type: 'Choice',
      Choices: [
        { Condition: "{% $accountRequest.state = 'SUCCEEDED' %}", Next: 'RecordAccount' },
        {
          Condition: jsonata(
            `$accountRequest.state = 'IN_PROGRESS' and $accountPolls < ${accounts.createMaxPolls}`,
          ),
          Next: 'WaitForAccount',
        },
      ],
      Default: 'AccountNotCreated',
    },
    WaitForAccount: {
      Type: 'Wait',
      Seconds: accounts.createPollSeconds,
      Assign: { accountPolls: '{% $accountPolls + 1 %}' },
      Next: 'DescribeAccount',
    },
    DescribeAccount: lambdaTask(
      'account',
      { action: 'describe', tenantId, requestId: '{% $accountRequest.requestId %}' },
      {
        flow: { Next: 'AccountReady?' },
        assign: { accountRequest: LAMBDA_RESULT, accountId: ACCOUNT_ID_RESULT },
        catch: [o.onFailure('DescribeAccount')],
      },
    ),
    AccountNotCreated: {
      Type: 'Pass',
      Assign: recordFailure(
        'failure',
        failureRecord(
          'DescribeAccount',
          "'AccountNotCreated'",
          "'account request ' & $string($accountRequest.requestId) & ' is ' & $accountRequest.state & ($accountRequest.failureReason ? ': ' & $accountRequest.failureReason : '') & ' after ' & $string($accountPolls) & ' polls'",
        ),
      ),
      Next: o.notCreated,
    },
    RecordAccount: lambdaTask('catalog', recordStatus('ACTIVE'), {
      flow: { Next: 'PlaceAccount' },
      catch: [o.onFailure('RecordAccount')],
      comment: 'The account is in the catalog from the moment it exists: never forgotten.',
    }),
    PlaceAccount: lambdaTask('account', inAccount('place'), {
      flow: { Next: 'EnsureRuntimeRole' },
      catch: [o.onFailure('PlaceAccount')],
    }),
    EnsureRuntimeRole: lambdaTask('account', inAccount('runtime-role'), {
      flow: { Next: 'CheckConcurrency' },
      catch: [o.onFailure('EnsureRuntimeRole')],
      comment: "Trusts the authorizer's role only, for this tenant's session tag; the silo key names it.",
    }),
    CheckConcurrency: lambdaTask(
      'account',
      {
        action: 'concurrency',
        tenantId,
        accountId: '{% $accountId %}',
        tier: `{% ${o.tier} %}`,
        region: '{% $plan.region %}',
      },
      {
        flow: { Next: 'ConcurrencyQuotaRequested?' },
        assign: {
          concurrency: '{% $states.result.Payload.concurrency %}',
          reserveConcurrency: '{% $states.result.Payload.concurrency.reserve %}',
        },
        catch: [o.onFailure('CheckConcurrency')],
        comment:
          "A new account's quota can be too low for the tier's reservation: then none, and the increase is requested (idempotent).",
      },
    ),
    'ConcurrencyQuotaRequested?': {
      Type: 'Choice',
      Choices: [{ Condition: '{% $concurrency.quotaRequest != null %}', Next: 'FlagConcurrencyQuota' }],
      Default: o.next,
    },
    FlagConcurrencyQuota: lambdaTask(
      'catalog',
      {
        action: 'record-concurrency-quota',
        tenantId,
        concurrencyQuota: '{% $concurrency.quotaRequest %}',
        executionArn: EXECUTION_ARN,
      },
      {
        flow: { Next: o.next },
        catch: [o.onFailure('FlagConcurrencyQuota')],
        comment:
          'The tenant is served without the reservation; an operator applies it once the increase is granted.',
      },
    ),
  };
}

/** `$accountId` after a tenant-account answer: the account id once known, else what was known. */
const ACCOUNT_ID_RESULT =
  '{% $states.result.Payload.accountId != null ? $states.result.Payload.accountId : $accountId %}';

interface CompensationOptions {
  /** The bound of the wait for an account request still in progress (the creation's own bound). */
  readonly accounts: AccountsSettings;
  /** The catcher of a compensation step (`state`) that goes on to `next`, recording the failure. */
  readonly compensationCatch: (state: string, next: string) => Catcher;
  /** The entry of the silo teardown in the account (once the account is found). */
  readonly teardown: string;
  /** Where the compensation goes on once the account is dealt with (or none was found). */
  readonly done: string;
}

/**
 * Compensation of an account's provisioning: `FindAccount` finds an account whose request's answer was
 * lost (then the silo teardown in it), or a request still IN_PROGRESS (the run's own, or one for the
 * tenant's account name): `DescribePendingAccount` ⟲ Wait, bounded by `accounts.createMaxPolls`, until
 * its account exists (then the same teardown and closing); still in progress after the bound, or
 * unreadable, the request is flagged in the catalog (`FlagAccountRequestPending`). After the teardown, `CompensateAccount?` removes the runtime
 * role and closes the account if the lifecycle created it. An account that cannot be closed is flagged
 * in the catalog (CLOSE_FAILED); an adopted account is left open, back in the parent it was moved from
 * (ReturnAccount), recorded in the catalog.
 */
export function accountCompensationStates(o: CompensationOptions): Record<string, State> {
  const tenantId = '{% $plan.tenantId %}';
  const { inAccount, recordStatus } = accountPayloads('{% $accountId %}');
  return {
    FindAccount: lambdaTask(
      'account',
      {
        action: 'find',
        tenantId,
        requestId: '{% $accountRequest != null ? $accountRequest.requestId : null %}',
      },
      {
        flow: { Next: 'AccountFound?' },
        assign: { accountRequest: LAMBDA_RESULT, pendingPolls: 0, accountId: ACCOUNT_ID_RESULT },
        catch: [o.compensationCatch('FindAccount', o.done)],
        comment:
          'Finds (never creates) an account created for the tenant whose request answer was lost, or a request still in progress.',
      },
    ),
    'AccountFound?': {
      Type: 'Choice',
      Choices: [
        { Condition: '{% $accountId != null %}', Next: o.teardown },
        {
          Condition: jsonata(
            `$accountRequest.state = 'IN_PROGRESS' and $pendingPolls < ${o.accounts.createMaxPolls}`,
          ),
          Next: 'WaitForPendingAccount',
        },
        { Condition: "{% $accountRequest.state = 'IN_PROGRESS' %}", Next: 'FlagAccountRequestPending' },
      ],
      Default: o.done,
    },
    WaitForPendingAccount: {
      Type: 'Wait',
      Seconds: o.accounts.createPollSeconds,
      Assign: { pendingPolls: '{% $pendingPolls + 1 %}' },
      Next: 'DescribePendingAccount',
    },
    DescribePendingAccount: lambdaTask(
      'account',
      { action: 'describe', tenantId, requestId: '{% $accountRequest.requestId %}' },
      {
        flow: { Next: 'AccountFound?' },
        assign: { accountRequest: LAMBDA_RESULT, accountId: ACCOUNT_ID_RESULT },
        catch: [o.compensationCatch('DescribePendingAccount', 'FlagAccountRequestPending')],
        comment:
          'An account still being created is waited for: left alone, it would end ACTIVE and unrecorded.',
      },
    ),
    FlagAccountRequestPending: lambdaTask(
      'catalog',
      {
        action: 'record-account-request',
        tenantId,
        requestId: '{% $accountRequest.requestId %}',
        executionArn: EXECUTION_ARN,
      },
      {
        flow: { Next: o.done },
        catch: [o.compensationCatch('FlagAccountRequestPending', o.done)],
        comment:
          'Never forgotten: an operator closes its account once created (the catalog names the request).',
      },
    ),
    'CompensateAccount?': {
      Type: 'Choice',
      Choices: [{ Condition: '{% $accountId != null %}', Next: 'RemoveRuntimeRole' }],
      Default: o.done,
    },
    RemoveRuntimeRole: lambdaTask('account', inAccount('remove-runtime-role'), {
      flow: { Next: 'AccountAdopted?' },
      catch: [o.compensationCatch('RemoveRuntimeRole', 'AccountAdopted?')],
    }),
    'AccountAdopted?': {
      Type: 'Choice',
      Choices: [{ Condition: '{% $exists($plan.accountId) %}', Next: 'ReturnAccount' }],
      Default: 'CloseAccount',
    },
    ReturnAccount: lambdaTask('account', inAccount('return'), {
      flow: { Next: o.done },
      catch: [o.compensationCatch('ReturnAccount', o.done)],
      comment: "An adopted account goes back to the parent it was moved from: it is its owner's.",
    }),
    CloseAccount: lambdaTask('account', inAccount('close'), {
      flow: { Next: 'RecordAccountClosed' },
      assign: { accountStatus: '{% $states.result.Payload.accountStatus %}' },
      catch: [o.compensationCatch('CloseAccount', 'FlagAccountNotClosed')],
    }),
    RecordAccountClosed: lambdaTask('catalog', recordStatus('{% $accountStatus %}'), {
      flow: { Next: o.done },
      catch: [o.compensationCatch('RecordAccountClosed', o.done)],
    }),
    FlagAccountNotClosed: lambdaTask('catalog', recordStatus('CLOSE_FAILED'), {
      flow: { Next: o.done },
      catch: [o.compensationCatch('FlagAccountNotClosed', o.done)],
      comment: 'An operator must close it: the catalog says so, and the failure event lists the error.',
    }),
  };
}
