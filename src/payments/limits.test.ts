import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkAmount,
  checkDailyValue,
  checkPayeeBalance,
  countsTowardDailyLimit,
  type LimitCheck,
  type LimitsConfig,
  limitsProblems,
  remainingDailyCents,
} from './limits.ts';
import { defaultMarketConfig } from './market-config.ts';

const KES = 100;
const limits = defaultMarketConfig().limits;

function refusal(check: LimitCheck): [string, number] | 'ok' {
  return check.ok ? 'ok' : [check.error, check.limitCents];
}

describe('checkAmount', () => {
  it('takes KES 1 to KES 250,000 for send money', () => {
    assert.equal(refusal(checkAmount(limits, 'send_money', 1 * KES)), 'ok');
    assert.equal(refusal(checkAmount(limits, 'send_money', 250_000 * KES)), 'ok');
    assert.deepEqual(refusal(checkAmount(limits, 'send_money', 0)), ['amount_below_minimum', 100]);
    assert.deepEqual(refusal(checkAmount(limits, 'send_money', -5 * KES)), [
      'amount_below_minimum',
      100,
    ]);
    assert.deepEqual(refusal(checkAmount(limits, 'send_money', 250_001 * KES)), [
      'amount_above_maximum',
      25_000_000,
    ]);
  });

  it('applies per-type minimums and maximums', () => {
    assert.deepEqual(refusal(checkAmount(limits, 'agent_withdrawal', 49 * KES)), [
      'amount_below_minimum',
      5_000,
    ]);
    assert.equal(refusal(checkAmount(limits, 'agent_withdrawal', 50 * KES)), 'ok');
    assert.deepEqual(refusal(checkAmount(limits, 'atm_withdrawal', 199 * KES)), [
      'amount_below_minimum',
      20_000,
    ]);
    assert.deepEqual(refusal(checkAmount(limits, 'atm_withdrawal', 35_001 * KES)), [
      'amount_above_maximum',
      3_500_000,
    ]);
    assert.deepEqual(refusal(checkAmount(limits, 'b2c', 9 * KES)), ['amount_below_minimum', 1_000]);
    assert.equal(refusal(checkAmount(limits, 'b2c', 250_000 * KES)), 'ok');
    assert.deepEqual(refusal(checkAmount(limits, 'b2c', 250_001 * KES)), [
      'amount_above_maximum',
      25_000_000,
    ]);
  });

  it('takes whole shillings only', () => {
    assert.deepEqual(refusal(checkAmount(limits, 'send_money', 150)), ['amount_invalid_step', 100]);
  });

  it('explains a refusal in its message', () => {
    const check = checkAmount(limits, 'agent_withdrawal', 1_000);
    assert.ok(!check.ok);
    assert.equal(check.message, 'agent_withdrawal: 1000 cents is below the minimum of 5000 cents');
  });

  it('treats a fractional amount as a bug', () => {
    assert.throws(() => checkAmount(limits, 'send_money', 100.5), RangeError);
  });
});

describe('daily value limit', () => {
  it('allows up to KES 500,000 a day', () => {
    assert.equal(refusal(checkDailyValue(limits, 499_000 * KES, 1_000 * KES)), 'ok');
    assert.deepEqual(refusal(checkDailyValue(limits, 499_000 * KES, 1_001 * KES)), [
      'daily_limit_exceeded',
      50_000_000,
    ]);
    assert.deepEqual(refusal(checkDailyValue(limits, 600_000 * KES, 1 * KES)), [
      'daily_limit_exceeded',
      50_000_000,
    ]);
  });

  it('computes what is left today, never below zero', () => {
    assert.equal(remainingDailyCents(limits, 0), 50_000_000);
    assert.equal(remainingDailyCents(limits, 150 * KES), 49_985_000);
    assert.equal(remainingDailyCents(limits, 600_000 * KES), 0);
  });

  it('reproduces the 2022 SMS figure under the 2022 daily limit of KES 300,000', () => {
    const limits2022: LimitsConfig = { ...limits, dailyValueMaxCents: 300_000 * KES };
    assert.equal(remainingDailyCents(limits2022, 7_400 * KES), 292_600 * KES);
  });

  it("counts the sender's outgoing types only", () => {
    assert.equal(countsTowardDailyLimit(limits, 'send_money'), true);
    assert.equal(countsTowardDailyLimit(limits, 'agent_withdrawal'), true);
    assert.equal(countsTowardDailyLimit(limits, 'agent_deposit'), false);
    assert.equal(countsTowardDailyLimit(limits, 'reversal'), false);
  });
});

describe('checkPayeeBalance', () => {
  it('keeps a wallet at or below KES 500,000', () => {
    assert.equal(refusal(checkPayeeBalance(limits, 499_000 * KES, 1_000 * KES)), 'ok');
    assert.deepEqual(refusal(checkPayeeBalance(limits, 499_000 * KES, 1_000 * KES + 1)), [
      'payee_balance_limit_exceeded',
      50_000_000,
    ]);
  });
});

describe('limitsProblems', () => {
  it('accepts the default limits', () => {
    assert.deepEqual(limitsProblems(limits, 'limits'), []);
  });

  it('names inconsistent limits by path', () => {
    const broken: LimitsConfig = {
      ...limits,
      byType: { ...limits.byType, b2c: { minCents: 1_050, maxCents: 30_000_000 } },
      dailyLimitTypes: ['send_money', 'send_money'],
    };
    assert.deepEqual(limitsProblems(broken, 'limits'), [
      'limits.byType.b2c.maxCents: 30000000 is above transactionMaxCents 25000000',
      'limits.byType.b2c.minCents: 1050 is not a multiple of amountStepCents 100',
      'limits.dailyLimitTypes: lists a type more than once',
    ]);
  });
});
