// The products end to end on a real ledger: every transaction type's success path with its
// balances, fees, excise, commissions and SMS, and every refusal leaving the ledger untouched.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkInvariants } from '../ledger/invariants.ts';
import {
  agentCommissionId,
  agentFloatId,
  orgAccountId,
  overdraftId,
  walletId,
} from './accounts.ts';
import type { Authorization, Outcome, Receipt } from './model.ts';
import { availableOf, netCreditOf, openWorld, type World } from './testing/world.ts';

const verified: Authorization = { kind: 'verified', by: 'test' };
const KES = (shillings: number) => shillings * 100;
let seq = 0;
const key = () => `req-${++seq}`;

let world: World;
let fees: string;
let excise: string;

function ok(outcome: Outcome<{ receipt: Receipt }>): Receipt {
  if (!outcome.ok) assert.fail(`refused: ${outcome.error}: ${outcome.message}`);
  return outcome.receipt;
}

async function ledgerSnapshot(): Promise<string> {
  const stats = await world.ledger.stats();
  return `${stats.transferIds}`;
}

/** The SMS of one receipt by recipient; a recipient with several gets them joined by a blank line. */
async function smsFor(receipt: string): Promise<Map<string, string>> {
  const all = await world.sms();
  const byRecipient = new Map<string, string>();
  for (const m of all.filter((x) => x.receipt === receipt)) {
    const before = byRecipient.get(m.to);
    byRecipient.set(m.to, before === undefined ? m.text : `${before}\n\n${m.text}`);
  }
  return byRecipient;
}

before(async () => {
  world = await openWorld({ defaultOverdraftLimitCents: KES(1000) });
  const p = world.payments;
  fees = p.context.operator.fees;
  excise = p.context.operator.excise;
  const customers = [
    ['0712000001', 'Asha', 'Wanjiru', '1234'.replace('1234', '4829')],
    ['0712000002', 'Baraka', 'Otieno', '5937'],
    ['0712000003', 'Chebet', 'Kiprop', '7261'],
    ['0712000004', 'Daudi', 'Mwangi', '3846'],
  ];
  for (const [msisdn, firstName, lastName, pin] of customers) {
    const r = await p.registerCustomer({
      msisdn,
      firstName,
      lastName,
      idNumber: `ID${msisdn.slice(-4)}`,
      pin,
    });
    assert.ok(r.ok, JSON.stringify(r));
  }
  assert.ok(
    (
      await p.registerOrganization({
        shortcode: '888880',
        name: 'Kenya Power',
        kind: 'paybill',
        paybillTariff: 'customer_pays',
        notifyMsisdn: '0712000004',
      })
    ).ok,
  );
  assert.ok(
    (await p.registerOrganization({ shortcode: '600100', name: 'Acme Payroll', kind: 'paybill' }))
      .ok,
  );
  assert.ok(
    (await p.registerTill({ tillNumber: '512345', name: 'Mama Mboga', notifyMsisdn: '0712000004' }))
      .ok,
  );
  assert.ok(
    (
      await p.registerAgent({
        agentNumber: '300300',
        storeNumber: '300301',
        name: 'Duka Agencies',
        location: 'Kibera',
        notifyMsisdn: '0712000004',
      })
    ).ok,
  );
  ok(
    await p.fundAccount({
      accountId: agentFloatId('300300'),
      amountCents: KES(200_000),
      requestKey: key(),
    }),
  );
  ok(
    await p.fundAccount({
      accountId: orgAccountId('600100', 'utility'),
      amountCents: KES(1_000_000),
      requestKey: key(),
    }),
  );
  ok(
    await p.fundAccount({
      accountId: orgAccountId('600100', 'charges'),
      amountCents: KES(10_000),
      requestKey: key(),
    }),
  );
  ok(
    await p.depositCash({
      agentNumber: '300300',
      storeNumber: '300301',
      to: '0712000001',
      amountCents: KES(20_000),
      requestKey: key(),
    }),
  );
});

after(async () => {
  const accounts = await world.ledger.lookupAccounts([fees, excise]);
  assert.equal(accounts.length, 2);
  await world.close();
});

describe('payments: success paths', () => {
  test('agent deposit credits the wallet, pays the agent commission from the operator, and notifies both', async () => {
    const before = await availableOf(world, walletId('254712000002'));
    const commissionBefore = await netCreditOf(world, agentCommissionId('300300'));
    const receipt = ok(
      await world.payments.depositCash({
        agentNumber: '300300',
        to: '0712000002',
        amountCents: KES(5000),
        requestKey: key(),
      }),
    );
    assert.match(receipt.receipt, /^[A-Z][A-L][1-9A-V][0-9A-Z]{7}$/);
    assert.equal(await availableOf(world, walletId('254712000002')), before + KES(5000));
    assert.ok((await netCreditOf(world, agentCommissionId('300300'))) > commissionBefore);
    const sms = await smsFor(receipt.receipt);
    assert.match(
      sms.get('254712000002')!,
      new RegExp(
        `^${receipt.receipt} Confirmed\\. On .* Give Ksh5,000\\.00 cash to DUKA AGENCIES New M-PESA balance is Ksh5,000\\.00\\.`,
      ),
    );
  });

  test('send money: principal, fee and excise split, both SMS with exact balances', async () => {
    const s = walletId('254712000001');
    const r = walletId('254712000003');
    const [sBefore, feesBefore, exciseBefore] = [
      await availableOf(world, s),
      await netCreditOf(world, fees),
      await netCreditOf(world, excise),
    ];
    const receipt = ok(
      await world.payments.sendMoney({
        from: '0712000001',
        to: '+254712000003',
        amountCents: KES(1000),
        auth: verified,
        requestKey: key(),
      }),
    );
    // KES 501–1,000 costs KES 13, excise-inclusive at 15 %: 13 × 15/115 = 1.70 excise, 11.30 revenue.
    assert.equal(receipt.feeCents, 1300);
    assert.equal(await availableOf(world, s), sBefore - KES(1000) - 1300);
    assert.equal(await availableOf(world, r), KES(1000));
    assert.equal((await netCreditOf(world, fees)) - feesBefore, 1130);
    assert.equal((await netCreditOf(world, excise)) - exciseBefore, 170);
    const sms = await smsFor(receipt.receipt);
    const balance = ((sBefore - KES(1000) - 1300) / 100).toLocaleString('en-US', {
      minimumFractionDigits: 2,
    });
    assert.match(
      sms.get('254712000001')!,
      new RegExp(
        `^${receipt.receipt} Confirmed\\. Ksh1,000\\.00 sent to CHEBET KIPROP 0712000003 on .* New M-PESA balance is Ksh${balance}\\. Transaction cost, Ksh13\\.00\\. Amount you can transact within the day is 499,000\\.00`,
      ),
    );
    assert.match(
      sms.get('254712000003')!,
      /You have received Ksh1,000\.00 from ASHA WANJIRU 0712000001 .*New M-PESA balance is Ksh1,000\.00/,
    );
  });

  test('Hakikisha shows the registered name before the PIN', () => {
    const name = world.payments.recipientName('0712000003');
    assert.ok(name.ok);
    assert.equal(name.name, 'CHEBET KIPROP');
  });

  test('pay bill: customer pays the fee, the business is credited and notified', async () => {
    const utility = orgAccountId('888880', 'utility');
    const before = await netCreditOf(world, utility);
    const receipt = ok(
      await world.payments.payBill({
        from: '0712000001',
        shortcode: '888880',
        accountReference: 'ACC-42',
        amountCents: KES(2000),
        auth: verified,
        requestKey: key(),
      }),
    );
    assert.equal((await netCreditOf(world, utility)) - before, KES(2000));
    assert.ok(receipt.feeCents > 0);
    const sms = await smsFor(receipt.receipt);
    assert.match(sms.get('254712000001')!, /Ksh2,000\.00 sent to KENYA POWER for account ACC-42/);
    assert.ok(sms.has('254712000004'), 'the business is notified');
  });

  test('buy goods: free for the customer, the merchant pays 0.5 % capped', async () => {
    const utility = orgAccountId('512345', 'utility');
    const sBefore = await availableOf(world, walletId('254712000001'));
    const uBefore = await netCreditOf(world, utility);
    const receipt = ok(
      await world.payments.buyGoods({
        from: '0712000001',
        tillNumber: '512345',
        amountCents: KES(1000),
        auth: verified,
        requestKey: key(),
      }),
    );
    assert.equal(receipt.feeCents, 0);
    assert.equal(await availableOf(world, walletId('254712000001')), sBefore - KES(1000));
    assert.equal(
      (await netCreditOf(world, utility)) - uBefore,
      KES(1000) - 500,
      'merchant fee 0.5 % of 1,000 = 5',
    );
  });

  test('agent withdrawal: fee to the operator, commission to the agent out of the fee', async () => {
    const float = agentFloatId('300300');
    const [floatBefore, commBefore, feesBefore] = [
      await netCreditOf(world, float),
      await netCreditOf(world, agentCommissionId('300300')),
      await netCreditOf(world, fees),
    ];
    const receipt = ok(
      await world.payments.withdrawCash({
        from: '0712000001',
        agentNumber: '300300',
        storeNumber: '300301',
        amountCents: KES(1000),
        auth: verified,
        requestKey: key(),
      }),
    );
    assert.equal(receipt.feeCents, 2900);
    assert.equal((await netCreditOf(world, float)) - floatBefore, KES(1000));
    const commission = (await netCreditOf(world, agentCommissionId('300300'))) - commBefore;
    assert.equal(commission, 1700);
    // 29.00 excise-inclusive: 3.78 excise, 25.22 revenue, of which 17.00 goes to the agent.
    assert.equal((await netCreditOf(world, fees)) - feesBefore, 2522 - 1700);
    const sms = await smsFor(receipt.receipt);
    assert.match(
      sms.get('254712000001')!,
      /Withdraw Ksh1,000\.00 from 300300 - DUKA AGENCIES KIBERA/,
    );
  });

  test('B2C pays the customer from the utility account and charges the charges account', async () => {
    const wallet = walletId('254712000002');
    const before = await availableOf(world, wallet);
    const chargesBefore = await netCreditOf(world, orgAccountId('600100', 'charges'));
    const receipt = ok(
      await world.payments.businessToCustomer({
        shortcode: '600100',
        to: '254712000002',
        amountCents: KES(3000),
        commandId: 'SalaryPayment',
        requestKey: key(),
      }),
    );
    assert.equal(await availableOf(world, wallet), before + KES(3000));
    assert.equal(
      chargesBefore - (await netCreditOf(world, orgAccountId('600100', 'charges'))),
      receipt.feeCents,
    );
    const sms = await smsFor(receipt.receipt);
    assert.match(sms.get('254712000002')!, /You have received Ksh3,000\.00 from ACME PAYROLL/);
  });

  test('B2B moves money between organizations; org account moves are free', async () => {
    const before = await netCreditOf(world, orgAccountId('888880', 'utility'));
    ok(
      await world.payments.businessToBusiness({
        from: '600100',
        to: '888880',
        amountCents: KES(500),
        requestKey: key(),
      }),
    );
    assert.equal((await netCreditOf(world, orgAccountId('888880', 'utility'))) - before, KES(500));
    const working = await netCreditOf(world, orgAccountId('600100', 'working'));
    ok(
      await world.payments.moveBetweenOrgAccounts({
        shortcode: '600100',
        from: 'utility',
        to: 'working',
        amountCents: KES(100),
        requestKey: key(),
      }),
    );
    assert.equal((await netCreditOf(world, orgAccountId('600100', 'working'))) - working, KES(100));
  });

  test('airtime is free and goes to the operator', async () => {
    const airtime = world.payments.context.operator.airtime;
    const before = await netCreditOf(world, airtime);
    const receipt = ok(
      await world.payments.buyAirtime({
        from: '0712000001',
        amountCents: KES(50),
        auth: verified,
        requestKey: key(),
      }),
    );
    assert.equal((await netCreditOf(world, airtime)) - before, KES(50));
    assert.match(
      (await smsFor(receipt.receipt)).get('254712000001')!,
      /You bought Ksh50\.00 of airtime/,
    );
  });

  test('reversal: within 24 h, the recipient still holds the amount, only once', async () => {
    const sent = ok(
      await world.payments.sendMoney({
        from: '0712000001',
        to: '0712000004',
        amountCents: KES(300),
        auth: verified,
        requestKey: key(),
      }),
    );
    const before = await availableOf(world, walletId('254712000001'));
    const reversal = ok(
      await world.payments.reverseByCustomer({
        msisdn: '0712000001',
        originalReceipt: sent.receipt,
        auth: verified,
        requestKey: key(),
      }),
    );
    assert.equal(await availableOf(world, walletId('254712000001')), before + KES(300));
    assert.match(
      (await smsFor(reversal.receipt)).get('254712000001')!,
      new RegExp(`Reversal of transaction ${sent.receipt}`),
    );
    const again = await world.payments.reverseByCustomer({
      msisdn: '0712000001',
      originalReceipt: sent.receipt,
      auth: verified,
      requestKey: key(),
    });
    assert.equal(again.ok ? 'ok' : again.error, 'reversal_already_done');
  });

  test('balance, mini statement with fees apart, and a CSV statement', async () => {
    const bal = await world.payments.balance('0712000001', verified);
    assert.ok(bal.ok);
    assert.equal(bal.availableCents, await availableOf(world, walletId('254712000001')));
    const mini = await world.payments.miniStatement('0712000001', verified);
    assert.ok(mini.ok);
    assert.equal(mini.rows.length, 5);
    assert.equal(mini.rows[0].balanceCents, bal.availableCents, 'newest first, running balance');
    const full = await world.payments.statement('0712000001', 0, world.clock.nowMs());
    assert.ok(full.ok);
    const send = full.rows.find((r) => r.type === 'send_money' && r.withdrawnCents === KES(1000));
    assert.ok(send !== undefined);
    assert.equal(send.chargesCents, 1300);
    const csv = world.payments.statementCsv(full.rows);
    assert.match(csv.split('\n')[0], /^Receipt No\.,Completion Time,Details/);
    assert.equal(csv.trim().split('\n').length, full.rows.length + 1);
  });
});

describe('payments: overdraft', () => {
  test('draw covers a shortfall with a 1 % access fee; the next incoming money repays it first', async () => {
    const p = world.payments;
    const c = '254712000003';
    const opted = await p.optInOverdraft(c, verified);
    assert.ok(opted.ok, JSON.stringify(opted));
    const balance = await availableOf(world, walletId(c));
    const amount = balance + KES(200);
    const receipt = ok(
      await p.buyGoods({
        from: c,
        tillNumber: '512345',
        amountCents: amount,
        auth: verified,
        requestKey: key(),
      }),
    );
    assert.equal(receipt.overdraftDrawCents, KES(200));
    assert.equal(await availableOf(world, walletId(c)), 0);
    const [od] = await world.ledger.lookupAccounts([overdraftId(c)]);
    assert.equal(od.debitsPosted - od.creditsPosted, KES(200) + 200, 'draw + 1 % access fee');
    assert.match(
      (await smsFor(receipt.receipt)).get(c)!,
      /Fuliza M-PESA amount is Ksh 200\.00\. Access Fee charged Ksh 2\.00/,
    );
    const deposit = ok(
      await p.depositCash({
        agentNumber: '300300',
        to: c,
        amountCents: KES(1000),
        requestKey: key(),
      }),
    );
    assert.equal(deposit.overdraftRepaidCents, KES(202));
    const [after] = await world.ledger.lookupAccounts([overdraftId(c)]);
    assert.equal(after.debitsPosted - after.creditsPosted, 0);
    assert.equal(await availableOf(world, walletId(c)), KES(1000) - KES(202));
  });

  test('a draw beyond the limit is insufficient funds and moves nothing', async () => {
    const c = '254712000003';
    const before = await ledgerSnapshot();
    const balance = await availableOf(world, walletId(c));
    const outcome = await world.payments.sendMoney({
      from: c,
      to: '0712000002',
      amountCents: balance + KES(2000),
      auth: verified,
      requestKey: key(),
    });
    assert.equal(outcome.ok ? 'ok' : outcome.error, 'insufficient_funds');
    assert.equal(await ledgerSnapshot(), before);
  });
});

describe('payments: refusals leave the ledger untouched', () => {
  const cases: [string, () => Promise<Outcome<{ receipt: Receipt }>>, string][] = [
    [
      'insufficient funds',
      () =>
        world.payments.sendMoney({
          from: '0712000002',
          to: '0712000001',
          amountCents: KES(200_000),
          auth: verified,
          requestKey: key(),
        }),
      'insufficient_funds',
    ],
    [
      'above per-transaction maximum',
      () =>
        world.payments.sendMoney({
          from: '0712000001',
          to: '0712000002',
          amountCents: KES(250_001),
          auth: verified,
          requestKey: key(),
        }),
      'amount_above_maximum',
    ],
    [
      'below minimum',
      () =>
        world.payments.withdrawCash({
          from: '0712000001',
          agentNumber: '300300',
          storeNumber: '300301',
          amountCents: KES(10),
          auth: verified,
          requestKey: key(),
        }),
      'amount_below_minimum',
    ],
    [
      'not whole shillings',
      () =>
        world.payments.sendMoney({
          from: '0712000001',
          to: '0712000002',
          amountCents: 12_345,
          auth: verified,
          requestKey: key(),
        }),
      'amount_invalid_step',
    ],
    [
      'unknown recipient',
      () =>
        world.payments.sendMoney({
          from: '0712000001',
          to: '0799999999',
          amountCents: KES(10),
          auth: verified,
          requestKey: key(),
        }),
      'unknown_customer',
    ],
    [
      'invalid MSISDN',
      () =>
        world.payments.sendMoney({
          from: '0712000001',
          to: '12',
          amountCents: KES(10),
          auth: verified,
          requestKey: key(),
        }),
      'invalid_msisdn',
    ],
    [
      'same party',
      () =>
        world.payments.sendMoney({
          from: '0712000001',
          to: '254712000001',
          amountCents: KES(10),
          auth: verified,
          requestKey: key(),
        }),
      'same_party',
    ],
    [
      'unknown paybill',
      () =>
        world.payments.payBill({
          from: '0712000001',
          shortcode: '999999',
          accountReference: 'x',
          amountCents: KES(10),
          auth: verified,
          requestKey: key(),
        }),
      'unknown_business',
    ],
    [
      'unknown till',
      () =>
        world.payments.buyGoods({
          from: '0712000001',
          tillNumber: '111',
          amountCents: KES(10),
          auth: verified,
          requestKey: key(),
        }),
      'unknown_till',
    ],
    [
      'agent store mismatch',
      () =>
        world.payments.withdrawCash({
          from: '0712000001',
          agentNumber: '300300',
          storeNumber: '999',
          amountCents: KES(100),
          auth: verified,
          requestKey: key(),
        }),
      'agent_store_mismatch',
    ],
    [
      'wrong PIN',
      () =>
        world.payments.sendMoney({
          from: '0712000002',
          to: '0712000001',
          amountCents: KES(10),
          auth: { kind: 'pin', pin: '0000' },
          requestKey: key(),
        }),
      'wrong_pin',
    ],
    [
      'B2C reversal not allowed',
      async () => {
        const b2c = ok(
          await world.payments.businessToCustomer({
            shortcode: '600100',
            to: '0712000002',
            amountCents: KES(100),
            requestKey: key(),
          }),
        );
        return world.payments.reverseByCustomer({
          msisdn: '0712000002',
          originalReceipt: b2c.receipt,
          auth: verified,
          requestKey: key(),
        });
      },
      'reversal_not_allowed',
    ],
  ];
  for (const [name, run, expected] of cases) {
    test(name, async () => {
      const before = await ledgerSnapshot();
      const outcome = await run();
      assert.equal(outcome.ok ? 'ok' : outcome.error, expected);
      if (name !== 'B2C reversal not allowed')
        assert.equal(await ledgerSnapshot(), before, 'no transfer committed');
    });
  }

  test("daily value limit counts the day's payments", async () => {
    const p = world.payments;
    ok(
      await p.fundAccount({
        accountId: agentFloatId('300300'),
        amountCents: KES(800_000),
        requestKey: key(),
      }),
    );
    ok(
      await p.depositCash({
        agentNumber: '300300',
        to: '0712000002',
        amountCents: KES(250_000),
        requestKey: key(),
      }),
    );
    ok(
      await p.payBill({
        from: '0712000002',
        shortcode: '888880',
        accountReference: 'big',
        amountCents: KES(240_000),
        auth: verified,
        requestKey: key(),
      }),
    );
    ok(
      await p.depositCash({
        agentNumber: '300300',
        to: '0712000002',
        amountCents: KES(250_000),
        requestKey: key(),
      }),
    );
    ok(
      await p.payBill({
        from: '0712000002',
        shortcode: '888880',
        accountReference: 'big',
        amountCents: KES(240_000),
        auth: verified,
        requestKey: key(),
      }),
    );
    // 480,000 paid today; 30,000 more would pass the 500,000 daily value limit.
    const before = await ledgerSnapshot();
    const outcome = await p.payBill({
      from: '0712000002',
      shortcode: '888880',
      accountReference: 'big',
      amountCents: KES(30_000),
      auth: verified,
      requestKey: key(),
    });
    assert.equal(outcome.ok ? 'ok' : outcome.error, 'daily_limit_exceeded');
    assert.equal(await ledgerSnapshot(), before);
  });

  test('the payee balance limit includes what the payee already holds', async () => {
    const p = world.payments;
    ok(
      await p.fundAccount({
        accountId: agentFloatId('300300'),
        amountCents: KES(600_000),
        requestKey: key(),
      }),
    );
    const room = async () => KES(500_000) - (await availableOf(world, walletId('254712000001')));
    for (let left = await room(); left > KES(200); left = await room()) {
      ok(
        await p.depositCash({
          agentNumber: '300300',
          to: '0712000001',
          amountCents: Math.min(KES(250_000), left - KES(100)),
          requestKey: key(),
        }),
      );
    }
    const outcome = await p.depositCash({
      agentNumber: '300300',
      to: '0712000001',
      amountCents: (await room()) + KES(1),
      requestKey: key(),
    });
    assert.equal(outcome.ok ? 'ok' : outcome.error, 'payee_balance_limit_exceeded');
  });

  test('three wrong PINs lock the PIN until the operator resets it', async () => {
    const p = world.payments;
    const send = (pin: string) =>
      p.sendMoney({
        from: '0712000004',
        to: '0712000001',
        amountCents: KES(10),
        auth: { kind: 'pin', pin },
        requestKey: key(),
      });
    const codes = [];
    for (let i = 0; i < 4; i++) {
      const outcome = await send('1111');
      codes.push(outcome.ok ? 'ok' : outcome.error);
    }
    assert.deepEqual(codes, ['wrong_pin', 'wrong_pin', 'pin_locked', 'pin_locked']);
    const correct = await send('3846');
    assert.equal(
      correct.ok ? 'ok' : correct.error,
      'pin_locked',
      'even the right PIN is refused while locked',
    );
    assert.ok((await p.resetPin('0712000004', '5820')).ok);
    await p.depositCash({
      agentNumber: '300300',
      to: '0712000004',
      amountCents: KES(100),
      requestKey: key(),
    });
    const after = await send('5820');
    assert.ok(after.ok, JSON.stringify(after));
  });

  test('a frozen customer can neither pay nor be paid', async () => {
    const p = world.payments;
    assert.ok((await p.setCustomerStatus('0712000003', 'frozen')).ok);
    const pay = await p.sendMoney({
      from: '0712000003',
      to: '0712000001',
      amountCents: KES(10),
      auth: verified,
      requestKey: key(),
    });
    const paid = await p.sendMoney({
      from: '0712000001',
      to: '0712000003',
      amountCents: KES(10),
      auth: verified,
      requestKey: key(),
    });
    assert.deepEqual(
      [pay.ok ? 'ok' : pay.error, paid.ok ? 'ok' : paid.error],
      ['party_frozen', 'party_frozen'],
    );
    assert.ok((await p.setCustomerStatus('0712000003', 'active')).ok);
  });

  test('a duplicate request is refused with the original receipt, once', async () => {
    const requestKey = key();
    const first = ok(
      await world.payments.sendMoney({
        from: '0712000001',
        to: '0712000002',
        amountCents: KES(10),
        auth: verified,
        requestKey,
      }),
    );
    const before = await ledgerSnapshot();
    const again = await world.payments.sendMoney({
      from: '0712000001',
      to: '0712000002',
      amountCents: KES(10),
      auth: verified,
      requestKey,
    });
    assert.equal(again.ok ? 'ok' : again.error, 'duplicate_request');
    assert.equal(again.ok ? '' : again.receipt, first.receipt);
    assert.equal(await ledgerSnapshot(), before);
  });

  test('invariants hold across everything above', async () => {
    const all = await world.ledger.scanTransfers(0, 10_000);
    const ids = new Set(all.rows.flatMap((t) => [t.debitAccountId, t.creditAccountId]));
    const accounts = await world.ledger.lookupAccounts([...ids]);
    assert.ok(checkInvariants(accounts).ok);
  });
});
