import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ListRequestedServiceQuotaChangeHistoryByQuotaCommand,
  RequestServiceQuotaIncreaseCommand,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  decideReservedConcurrency,
  requestConcurrencyIncrease,
} from '../../../../domain/lifecycle/concurrency-quota';
import { ConcurrencyQuotaError } from '../../../../domain/lifecycle/errors';

const lambda = mockClient(LambdaClient);
const quotas = mockClient(ServiceQuotasClient);
const QUOTA = { ServiceCode: 'lambda', QuotaCode: 'L-B99A9384' };
const settings = (limit: number, unreserved: number) => ({
  AccountLimit: { ConcurrentExecutions: limit, UnreservedConcurrentExecutions: unreserved },
});
const decide = (reservation: number | null) =>
  decideReservedConcurrency(
    lambda as unknown as LambdaClient,
    quotas as unknown as ServiceQuotasClient,
    'rhein',
    reservation,
  );

beforeEach(() => {
  lambda.reset();
  quotas.reset();
});

describe('decideReservedConcurrency', () => {
  it("reserves the tier's concurrency when the account keeps 100 unreserved with it, and asks for nothing", async () => {
    // Prepare: 150 unreserved − 50 = 100, exactly Lambda's minimum
    lambda.on(GetAccountSettingsCommand).resolves(settings(1000, 150));

    // Act
    const decision = await decide(50);

    // Assess
    expect(decision).toEqual({
      reserve: true,
      limit: 1000,
      unreserved: 150,
      reservation: 50,
      quotaRequest: null,
    });
    expect(quotas).not.toHaveReceivedAnyCommand();
  });

  it('a new account (quota 10): no reservation, and an increase to the reservation plus 100 is requested', async () => {
    // Prepare
    lambda.on(GetAccountSettingsCommand).resolves(settings(10, 10));
    quotas.on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand).resolves({ RequestedQuotas: [] });
    quotas
      .on(RequestServiceQuotaIncreaseCommand)
      .resolves({ RequestedQuota: { Id: 'req-1', Status: 'PENDING' } });

    // Act
    const decision = await decide(50);

    // Assess
    expect(decision).toEqual({
      reserve: false,
      limit: 10,
      unreserved: 10,
      reservation: 50,
      quotaRequest: { requestId: 'req-1', desired: 150, status: 'PENDING' },
    });
    expect(quotas).toHaveReceivedCommandWith(RequestServiceQuotaIncreaseCommand, {
      ...QUOTA,
      DesiredValue: 150,
    });
  });

  it('one short of the minimum: no reservation; what other functions reserve counts in the increase asked', async () => {
    // Prepare: 1000 − 149 = 851 already reserved by other functions; 149 − 50 = 99 < 100
    lambda.on(GetAccountSettingsCommand).resolves(settings(1000, 149));
    quotas.on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand).resolves({});
    quotas
      .on(RequestServiceQuotaIncreaseCommand)
      .resolves({ RequestedQuota: { Id: 'req-2', Status: 'PENDING' } });

    // Act
    const decision = await decide(50);

    // Assess: 851 reserved + 50 + 100
    expect(decision.reserve).toBe(false);
    expect(quotas).toHaveReceivedCommandWith(RequestServiceQuotaIncreaseCommand, { DesiredValue: 1001 });
  });

  it('a tier without a reservation is never a reason to ask', async () => {
    // Prepare
    lambda.on(GetAccountSettingsCommand).resolves(settings(10, 10));

    // Act
    const decision = await decide(null);

    // Assess
    expect(decision).toMatchObject({ reserve: true, quotaRequest: null });
    expect(quotas).not.toHaveReceivedAnyCommand();
  });

  it('GetAccountSettings without an account limit is a ConcurrencyQuotaError naming the tenant', async () => {
    // Prepare
    lambda.on(GetAccountSettingsCommand).resolves({});

    // Act
    const decided = decide(50);

    // Assess
    await expect(decided).rejects.toThrow(ConcurrencyQuotaError);
    await expect(decided).rejects.toThrow(/tenant rhein/);
  });
});

describe('requestConcurrencyIncrease', () => {
  const request = (desired: number) =>
    requestConcurrencyIncrease(quotas as unknown as ServiceQuotasClient, 'rhein', desired);

  it('reuses an open request for the quota (a retried step asks once), on any page of the history', async () => {
    // Prepare
    quotas
      .on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand)
      .resolvesOnce({
        RequestedQuotas: [{ Id: 'old', Status: 'DENIED', DesiredValue: 150 }],
        NextToken: 'page-2',
      })
      .resolvesOnce({ RequestedQuotas: [{ Id: 'open', Status: 'CASE_OPENED', DesiredValue: 200 }] });

    // Act
    const found = await request(150);

    // Assess
    expect(found).toEqual({ requestId: 'open', desired: 200, status: 'CASE_OPENED' });
    expect(quotas).not.toHaveReceivedCommand(RequestServiceQuotaIncreaseCommand);
    expect(quotas).toHaveReceivedNthCommandWith(ListRequestedServiceQuotaChangeHistoryByQuotaCommand, 2, {
      ...QUOTA,
      NextToken: 'page-2',
    });
  });

  it('asks again when every earlier request is closed (denied, approved or closed)', async () => {
    // Prepare
    quotas.on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand).resolves({
      RequestedQuotas: [
        { Id: 'a', Status: 'DENIED' },
        { Id: 'b', Status: 'APPROVED' },
        { Id: 'c', Status: 'CASE_CLOSED' },
      ],
    });
    quotas
      .on(RequestServiceQuotaIncreaseCommand)
      .resolves({ RequestedQuota: { Id: 'new', Status: 'PENDING' } });

    // Act
    const made = await request(150);

    // Assess
    expect(made).toEqual({ requestId: 'new', desired: 150, status: 'PENDING' });
    expect(quotas).toHaveReceivedCommandTimes(RequestServiceQuotaIncreaseCommand, 1);
  });

  it('a request answered without an id is a ConcurrencyQuotaError', async () => {
    // Prepare
    quotas.on(ListRequestedServiceQuotaChangeHistoryByQuotaCommand).resolves({ RequestedQuotas: [] });
    quotas.on(RequestServiceQuotaIncreaseCommand).resolves({});

    // Act / Assess
    await expect(request(150)).rejects.toThrow(ConcurrencyQuotaError);
  });
});
