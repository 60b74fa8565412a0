// Risk decisions in the payment path with their ledger effects: allow, block, step-up with a
// one-time code, hold then release, hold then reject.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { agentFloatId, walletId } from './accounts.ts';
import type { Outcome, Receipt } from './model.ts';
import type { RiskVerdict } from './review.ts';
import { availableOf, openWorld, type World } from './testing/world.ts';

const KES = (n: number) => n * 100;
let world: World;
let next: RiskVerdict['action'] = 'allow';
let seq = 0;
const key = () => `risk-${++seq}`;
const verdict = (): RiskVerdict => ({
  action: next,
  score: next === 'allow' ? 0.01 : 0.97,
  reasons: [{ name: 'minutes_since_sim_swap', value: 3, contribution: 2.5 }],
  modelVersion: 'test',
});

before(async () => {
  world = await openWorld({ hooks: { assess: () => verdict() } });
  const p = world.payments;
  for (const [msisdn, name] of [
    ['0712100001', 'Asha'],
    ['0712100002', 'Baraka'],
  ]) {
    assert.ok(
      (
        await p.registerCustomer({
          msisdn,
          firstName: name,
          lastName: 'Test',
          idNumber: `ID${msisdn.slice(-4)}`,
          pin: '4826',
        })
      ).ok,
    );
  }
  assert.ok(
    (
      await p.registerAgent({
        agentNumber: '400400',
        storeNumber: '400401',
        name: 'Agent',
        location: 'Town',
      })
    ).ok,
  );
  next = 'allow';
  assert.ok(
    (
      await p.fundAccount({
        accountId: agentFloatId('400400'),
        amountCents: KES(100_000),
        requestKey: key(),
      })
    ).ok,
  );
  assert.ok(
    (
      await p.depositCash({
        agentNumber: '400400',
        to: '0712100001',
        amountCents: KES(10_000),
        requestKey: key(),
      })
    ).ok,
  );
});

after(() => world.close());

const send = (amountKes: number, stepUp?: { challengeId: string; code: string }) =>
  world.payments.sendMoney({
    from: '0712100001',
    to: '0712100002',
    amountCents: KES(amountKes),
    auth: { kind: 'verified', by: 'test', ...(stepUp ? { stepUp } : {}) },
    requestKey: key(),
  });

async function balances(): Promise<[number, number]> {
  return [
    await availableOf(world, walletId('254712100001')),
    await availableOf(world, walletId('254712100002')),
  ];
}

function receiptOf(outcome: Outcome<{ receipt: Receipt }>): Receipt {
  assert.ok(outcome.ok, JSON.stringify(outcome));
  return outcome.receipt;
}

test('allowed transactions commit with a recorded decision and its reasons', async () => {
  next = 'allow';
  const r = receiptOf(await send(100));
  const decisions = await world.ledger.readRecords('risk-decision', 0, 100);
  const mine = decisions.find((d) => d.key === r.receipt);
  assert.ok(mine !== undefined);
  assert.equal(JSON.parse(mine.body).reasons[0].name, 'minutes_since_sim_swap');
});

test('a blocked transaction moves nothing and is recorded', async () => {
  next = 'block';
  const before = await balances();
  const outcome = await send(200);
  assert.equal(outcome.ok ? 'ok' : outcome.error, 'blocked');
  assert.deepEqual(await balances(), before);
  const decisions = await world.ledger.readRecords('risk-decision', 0, 100);
  assert.equal(JSON.parse(decisions[decisions.length - 1].body).action, 'block');
});

test('step-up: a one-time code by SMS, then the same transaction commits; a wrong code does not', async () => {
  next = 'step_up';
  const before = await balances();
  const challenged = await send(300);
  assert.equal(challenged.ok ? 'ok' : challenged.error, 'step_up_required');
  const challengeId = challenged.ok ? '' : (challenged.challengeId ?? '');
  const otp = (await world.ledger.latestRecords('sms', 1))[0];
  const code = JSON.parse(otp.body).message.code as string;
  assert.match(code, /^\d{6}$/);
  assert.deepEqual(await balances(), before, 'nothing moved yet');
  const wrong = await send(300, { challengeId, code: code === '000000' ? '111111' : '000000' });
  assert.equal(wrong.ok ? 'ok' : wrong.error, 'step_up_required');
  const again = await send(300);
  const retryId = again.ok ? '' : (again.challengeId ?? '');
  const retryCode = JSON.parse((await world.ledger.latestRecords('sms', 1))[0].body).message
    .code as string;
  receiptOf(await send(300, { challengeId: retryId, code: retryCode }));
  const after = await balances();
  assert.equal(after[1] - before[1], KES(300));
});

test("hold reserves the payer's money; release completes the original transaction", async () => {
  next = 'hold';
  const before = await balances();
  const held = receiptOf(await send(1000));
  assert.equal(held.status, 'held');
  const during = await balances();
  assert.equal(during[0], before[0] - KES(1000) - 1300, 'principal and fee reserved');
  assert.equal(during[1], before[1], 'the recipient has nothing yet');
  assert.deepEqual(
    world.payments.heldTransactions().map((h) => h.receipt),
    [held.receipt],
  );
  next = 'allow';
  receiptOf(await world.payments.releaseHeld(held.receipt, 'analyst-1'));
  const after = await balances();
  assert.equal(after[0], during[0]);
  assert.equal(after[1], before[1] + KES(1000));
  assert.deepEqual(world.payments.heldTransactions(), []);
  const sms = (await world.sms()).filter((m) => m.receipt === held.receipt).map((m) => m.text);
  assert.ok(sms.some((t) => /being reviewed/.test(t)));
  assert.ok(
    sms.some((t) => /Ksh1,000\.00 sent to BARAKA TEST/.test(t)),
    'the original confirmation is sent on release',
  );
  const again = await world.payments.rejectHeld(held.receipt, 'analyst-2');
  assert.equal(again.ok ? 'ok' : again.error, 'review_not_found');
});

test('hold then reject returns the money', async () => {
  next = 'hold';
  const before = await balances();
  const held = receiptOf(await send(500));
  next = 'allow';
  receiptOf(await world.payments.rejectHeld(held.receipt, 'analyst-1'));
  assert.deepEqual(await balances(), before);
  const sms = (await world.sms()).filter((m) => m.receipt === held.receipt).map((m) => m.text);
  assert.ok(sms.some((t) => /stopped after review\. The money has been returned/.test(t)));
});
