import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaultMarketConfig } from './market-config.ts';
import {
  agentCommission,
  type Band,
  bandProblems,
  commissionWithinFeeProblems,
  type FeeRequest,
  mulDivRoundHalfUp,
  type OverdraftConfig,
  overdraftAccessFee,
  overdraftDailyFee,
  quoteFee,
  splitExcise,
  TARIFF_BANDS_MAX,
  type TariffConfig,
} from './tariffs.ts';

const KES = 100;
const market = defaultMarketConfig();
const tariffs = market.tariffs;

function fee(request: FeeRequest) {
  const quote = quoteFee(tariffs, request);
  assert.ok(quote.ok, `expected a fee for ${JSON.stringify(request)}`);
  return quote;
}

describe('mulDivRoundHalfUp', () => {
  it('rounds to the nearest integer, halves up', () => {
    assert.equal(mulDivRoundHalfUp(1, 1, 2), 1);
    assert.equal(mulDivRoundHalfUp(1, 1, 3), 0);
    assert.equal(mulDivRoundHalfUp(2, 1, 3), 1);
    assert.equal(mulDivRoundHalfUp(700, 1500, 11_500), 91); // 91.30
    assert.equal(mulDivRoundHalfUp(20_100, 50, 10_000), 101); // 100.5
  });

  it('is exact where floating point is not', () => {
    // 9e15 × 3 overflows 2^53 in a double; the BigInt path keeps every digit.
    assert.equal(mulDivRoundHalfUp(900_000_000_000_000, 3, 10), 270_000_000_000_000);
    assert.equal(mulDivRoundHalfUp(2 ** 53 - 1, 10_000, 10_000), 2 ** 53 - 1);
  });

  it('refuses negative or fractional inputs', () => {
    assert.throws(() => mulDivRoundHalfUp(-1, 1, 1), RangeError);
    assert.throws(() => mulDivRoundHalfUp(1.5, 1, 1), RangeError);
    assert.throws(() => mulDivRoundHalfUp(1, 1, 0), RangeError);
  });
});

describe('quoteFee with the Kenyan tariff', () => {
  it('charges the published send-money fees at band edges', () => {
    const cases: [number, number][] = [
      [1, 0],
      [49, 0],
      [50, 0],
      [100, 0],
      [101, 7],
      [500, 7],
      [501, 13],
      [1_000, 13],
      [2_500, 33],
      [2_501, 53],
      [10_000, 90],
      [20_001, 108],
      [250_000, 108],
    ];
    for (const [amount, expectedFee] of cases) {
      assert.equal(
        fee({ type: 'send_money', amountCents: amount * KES }).feeCents,
        expectedFee * KES,
        `KES ${amount}`,
      );
    }
  });

  it('takes the excise out of the inclusive fee and keeps every cent', () => {
    const quote = fee({ type: 'send_money', amountCents: 500 * KES });
    // 700 × 15 / 115 = 91.30 → 91 cents of excise, 609 cents of revenue.
    assert.deepEqual(quote, {
      ok: true,
      payer: 'sender',
      feeCents: 700,
      senderFeeCents: 700,
      receiverFeeCents: 0,
      sender: { feeCents: 700, exciseCents: 91, netFeeCents: 609 },
      receiver: { feeCents: 0, exciseCents: 0, netFeeCents: 0 },
      exciseCents: 91,
      netFeeCents: 609,
    });
  });

  it('refuses amounts outside every band with a typed result', () => {
    for (const request of [
      { type: 'send_money', amountCents: 250_000 * KES + 1 },
      { type: 'send_money', amountCents: 0 },
      { type: 'send_unregistered', amountCents: 100 * KES },
      { type: 'agent_withdrawal', amountCents: 49 * KES },
      { type: 'atm_withdrawal', amountCents: 35_001 * KES },
    ] as const) {
      const quote = quoteFee(tariffs, request);
      assert.equal(quote.ok, false, JSON.stringify(request));
      if (!quote.ok) assert.equal(quote.error, 'amount_outside_tariff');
    }
  });

  it('charges withdrawals, unregistered sends and ATM withdrawals per their tables', () => {
    assert.equal(fee({ type: 'agent_withdrawal', amountCents: 50 * KES }).feeCents, 11 * KES);
    assert.equal(fee({ type: 'agent_withdrawal', amountCents: 200 * KES }).feeCents, 29 * KES);
    assert.equal(fee({ type: 'agent_withdrawal', amountCents: 250_000 * KES }).feeCents, 309 * KES);
    assert.equal(fee({ type: 'send_unregistered', amountCents: 101 * KES }).feeCents, 47 * KES);
    assert.equal(fee({ type: 'atm_withdrawal', amountCents: 5_000 * KES }).feeCents, 69 * KES);
  });

  it('makes deposits, airtime and reversals free', () => {
    for (const type of ['agent_deposit', 'airtime', 'reversal'] as const) {
      const quote = fee({ type, amountCents: 1_000 * KES });
      assert.equal(quote.feeCents + quote.exciseCents + quote.netFeeCents, 0, type);
    }
  });

  it('charges buy goods to the merchant: nothing up to KES 200, then 0.5 % capped at KES 200', () => {
    const at = (amount: number) => fee({ type: 'buy_goods', amountCents: amount });
    assert.equal(at(200 * KES).feeCents, 0);
    const small = at(201 * KES); // 0.5 % of 20,100 cents = 100.5 → 101
    assert.equal(small.feeCents, 101);
    assert.equal(small.payer, 'receiver');
    assert.equal(small.senderFeeCents, 0);
    assert.equal(small.receiverFeeCents, 101);
    assert.equal(at(10_000 * KES).feeCents, 50 * KES);
    assert.equal(at(40_000 * KES).feeCents, 200 * KES);
    assert.equal(at(250_000 * KES).feeCents, 200 * KES);
  });

  it("charges paybill according to the biller's tariff choice", () => {
    const amountCents = 1_000 * KES;
    const customer = fee({ type: 'paybill', paybillTariff: 'customer_pays', amountCents });
    const shared = fee({ type: 'paybill', paybillTariff: 'shared', amountCents });
    const business = fee({ type: 'paybill', paybillTariff: 'business_pays', amountCents });
    assert.deepEqual(
      [customer.payer, customer.senderFeeCents, customer.receiverFeeCents],
      ['sender', 1_000, 0],
    );
    assert.deepEqual(
      [shared.payer, shared.senderFeeCents, shared.receiverFeeCents],
      ['split', 500, 500],
    );
    assert.deepEqual(
      [business.payer, business.senderFeeCents, business.receiverFeeCents],
      ['receiver', 0, 1_000],
    );
    // Excise per side: 500 × 15/115 = 65.2 → 65 on each side.
    assert.equal(shared.exciseCents, 130);
  });

  it('keeps fee = sender + receiver = excise + net, with excise within half a cent of exact', () => {
    const types = ['send_money', 'buy_goods', 'agent_withdrawal', 'b2c', 'b2b'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.integer({ min: 50 * KES, max: 250_000 * KES }),
        (type, amountCents) => {
          const quote = fee({ type, amountCents });
          assert.equal(quote.feeCents, quote.senderFeeCents + quote.receiverFeeCents);
          assert.equal(quote.feeCents, quote.exciseCents + quote.netFeeCents);
          const exact = (quote.feeCents * 1_500) / 11_500;
          assert.ok(Math.abs(quote.exciseCents - exact) <= 0.5, `${quote.exciseCents} vs ${exact}`);
        },
      ),
    );
  });
});

describe('excise modes', () => {
  it('adds excise on top in exclusive mode', () => {
    assert.deepEqual(splitExcise(1_000, 1_500, 'exclusive'), {
      feeCents: 1_150,
      exciseCents: 150,
      netFeeCents: 1_000,
    });
    assert.deepEqual(splitExcise(1_150, 1_500, 'inclusive'), {
      feeCents: 1_150,
      exciseCents: 150,
      netFeeCents: 1_000,
    });
  });

  it('applies the configured rate and mode to a whole table', () => {
    const exclusive: TariffConfig = {
      ...tariffs,
      exciseRateBasisPoints: 1_000,
      exciseMode: 'exclusive',
    };
    const quote = quoteFee(exclusive, { type: 'send_money', amountCents: 500 * KES });
    assert.ok(quote.ok);
    assert.deepEqual([quote.feeCents, quote.exciseCents, quote.netFeeCents], [770, 70, 700]);
  });
});

describe('bandProblems', () => {
  const band = (minCents: number, maxCents: number): Band => ({ minCents, maxCents });

  it('accepts ascending, contiguous bands', () => {
    assert.deepEqual(
      bandProblems([band(100, 4_900), band(4_901, 10_000), band(10_001, 50_000)], 't'),
      [],
    );
  });

  it('names overlaps, gaps, inverted and empty bands by path', () => {
    assert.match(
      bandProblems([band(100, 500), band(400, 900)], 't').join(),
      /t\[1\]\.minCents: 400 overlaps/,
    );
    assert.match(
      bandProblems([band(100, 500), band(600, 900)], 't').join(),
      /t\[1\]\.minCents: 600 leaves a gap/,
    );
    // One missing cent is a gap too: KES 5.01 would have no fee.
    assert.match(bandProblems([band(100, 500), band(502, 900)], 't').join(), /502 leaves a gap/);
    assert.match(
      bandProblems([band(900, 100)], 't').join(),
      /t\[0\]: minCents 900 is greater than maxCents 100/,
    );
    assert.match(
      bandProblems([band(500, 900), band(100, 400)], 't').join(),
      /t\[1\]\.minCents: 100 overlaps/,
    );
    assert.match(bandProblems([], 't').join(), /at least one band/);
    assert.match(bandProblems([band(0, 10)], 't').join(), /t\[0\]\.minCents: must be at least 1/);
  });

  it('puts a limit on the number of bands', () => {
    const many = Array.from({ length: TARIFF_BANDS_MAX + 1 }, (_, i) =>
      band(i * 10 + 1, i * 10 + 10),
    );
    assert.match(bandProblems(many, 't').join(), /more than 64 bands/);
  });
});

describe('agent commissions', () => {
  it('pays the withdrawal commission from the fee and the deposit commission from the operator', () => {
    assert.deepEqual(agentCommission(market.commissions, 'agent_withdrawal', 50 * KES), {
      ok: true,
      commissionCents: 500,
      source: 'fee_revenue',
    });
    assert.deepEqual(agentCommission(market.commissions, 'agent_deposit', 10 * KES), {
      ok: true,
      commissionCents: 100,
      source: 'operator',
    });
    assert.equal(agentCommission(market.commissions, 'agent_withdrawal', 49 * KES).ok, false);
  });

  it('never lets a default withdrawal commission exceed the net fee', () => {
    for (let amount = 50; amount <= 250_000; amount += 1) {
      const commission = agentCommission(market.commissions, 'agent_withdrawal', amount * KES);
      const quote = fee({ type: 'agent_withdrawal', amountCents: amount * KES });
      assert.ok(commission.ok && commission.commissionCents <= quote.netFeeCents, `KES ${amount}`);
    }
  });

  it('reports a commission above the net fee', () => {
    const greedy = {
      source: 'fee_revenue' as const,
      bands: [{ minCents: 50 * KES, maxCents: 250_000 * KES, commissionCents: 1_000 }],
    };
    // KES 11 fee at KES 50-100 nets 957 cents: a 1,000-cent commission loses money there.
    const problems = commissionWithinFeeProblems(greedy, tariffs, 'agent_withdrawal', 'c');
    assert.deepEqual(problems, [
      'c: commission 1000 cents at 5000 cents exceeds the net fee 957 cents',
    ]);
  });
});

describe('overdraft charges', () => {
  const overdraft = market.overdraft;

  it('charges a 1 % access fee with the 20 % excise inside it by default', () => {
    // 1 % of KES 500 = 500 cents; 500 × 20/120 = 83.3 → 83.
    assert.deepEqual(overdraftAccessFee(overdraft, 500 * KES), {
      feeCents: 500,
      exciseCents: 83,
      netFeeCents: 417,
    });
  });

  it('adds the excise on top when configured exclusive', () => {
    const exclusive: OverdraftConfig = { ...overdraft, exciseMode: 'exclusive' };
    assert.deepEqual(overdraftAccessFee(exclusive, 500 * KES), {
      feeCents: 600,
      exciseCents: 100,
      netFeeCents: 500,
    });
  });

  it('charges the Oct 2022 daily fees, free for the first 3 days on KES 101-1,000', () => {
    const daily = (outstandingKes: number, days: number) => {
      const result = overdraftDailyFee(overdraft, outstandingKes * KES, days);
      assert.ok(result.ok);
      return result.feeCents;
    };
    assert.equal(daily(100, 5), 0);
    assert.equal(daily(300, 3), 0);
    assert.equal(daily(300, 4), 250);
    assert.equal(daily(800, 4), 500);
    assert.equal(daily(1_200, 1), 1_800);
    assert.equal(daily(2_000, 1), 2_000);
    assert.equal(daily(70_000, 1), 2_500);
    assert.equal(daily(2_000, 0), 0, 'nothing before the first midnight');
    assert.equal(daily(0, 9), 0, 'nothing when nothing is outstanding');
  });

  it('refuses a balance above the last band', () => {
    const result = overdraftDailyFee(overdraft, 70_000 * KES + 1, 1);
    assert.equal(result.ok, false);
  });
});
