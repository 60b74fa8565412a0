// Malipo's own fee on an outbound interop transfer (decision 0027): priced by the market's
// `otherNetworks` tariff, reserved with the principal at prepare (pending fee and excise legs),
// earned when the payee FSP fulfils, returned with the money when the transfer fails; on the
// statement as the transfer's charges and in both SMS. Two real Malipo servers through the
// in-repo switch (src/interop/testing/pair.ts).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { operatorAccounts } from '../payments/accounts.ts';
import { otherNetworksFee } from '../payments/tariffs.ts';
import { contentTypeOf } from './model.ts';
import {
  admin,
  closeFsp,
  type Fsp,
  interopSms,
  sendToOtherFsp,
  startFsp,
  transit,
  walletCents,
} from './testing/pair.ts';
import { type FspiopSwitch, startSwitch } from './testing/switch.ts';

const AMINA = {
  msisdn: '254711000701',
  local: '0711000701',
  pin: '2468',
  firstName: 'Amina',
  lastName: 'Otieno',
};
const BAKARI = {
  msisdn: '254722000802',
  local: '0722000802',
  pin: '1357',
  firstName: 'Bakari',
  lastName: 'Mwita',
};

let hub: FspiopSwitch;
let a: Fsp;
let b: Fsp;

before(async () => {
  hub = await startSwitch();
  a = await startFsp(hub, 'malipoa', AMINA);
  b = await startFsp(hub, 'malipob', BAKARI);
});

after(async () => {
  await closeFsp(a);
  await closeFsp(b);
  await hub?.close();
});

/** The operator's fee and excise accounts on A: posted and pending credits. */
async function revenue() {
  const ids = operatorAccounts(a.server.payments.shard);
  const [fees, excise] = await a.server.ledger.lookupAccounts([ids.fees, ids.excise]);
  return {
    feesPosted: fees.creditsPosted - fees.debitsPosted,
    feesPending: fees.creditsPending,
    excisePosted: excise.creditsPosted - excise.debitsPosted,
    excisePending: excise.creditsPending,
  };
}

const send = (amountCents: number, requestId: string, waitMs?: number) =>
  sendToOtherFsp(a, BAKARI, amountCents, requestId, waitMs);

/** Waits (bounded by the test's timeout) until the transfer left the prepared state. */
async function ended(transferId: string): Promise<string> {
  for (;;) {
    const state = (await admin(a, 'GET', `/admin/interop/transfers/${transferId}`)).body.state;
    if (state !== 'prepared') return state as string;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const KES_1000 = 100_000;

describe("Malipo's fee on a send to another network", () => {
  test('the tariff prices it (banded on what the recipient gets, excise inside)', () => {
    const fee = otherNetworksFee(a.server.payments.market.tariffs, KES_1000);
    assert.ok('netFeeCents' in fee);
    assert.deepEqual(fee, { feeCents: 1300, exciseCents: 170, netFeeCents: 1130 });
    assert.deepEqual(a.server.payments.interopFee('customer', KES_1000), {
      ok: true,
      feeCents: 1300,
    });
  });

  test('reserved at prepare with the principal, earned at the fulfilment, on the statement and the SMS', async () => {
    const walletBefore = await walletCents(a);
    const revenueBefore = await revenue();
    const smsBefore = (await interopSms(a)).length;
    hub.hold('malipob');
    let sent: Awaited<ReturnType<typeof send>>;
    try {
      const mark = hub.log.length;
      sent = await send(KES_1000, 'fee-1', 0);
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal(sent.body.state, 'prepared');
      assert.equal(sent.body.malipoFeeCents, 1300);
      await hub.next('POST', '/transfers', mark);
      const transferAmount = sent.body.transferAmountCents as number;
      // Prepared: the wallet is down by the transfer amount and the fee, all of it pending.
      assert.equal(await walletCents(a), walletBefore - transferAmount - 1300);
      assert.deepEqual(await revenue(), {
        ...revenueBefore,
        feesPending: revenueBefore.feesPending + 1130,
        excisePending: revenueBefore.excisePending + 170,
      });
      // Transit holds only what the payee FSP is paid; the fee never goes there.
      assert.equal((await transit(a)).pendingCents, transferAmount);
    } finally {
      await hub.release('malipob');
    }
    assert.equal(await ended(sent.body.transferId as string), 'committed');
    const transferAmount = sent.body.transferAmountCents as number;
    assert.equal(await walletCents(a), walletBefore - transferAmount - 1300);
    assert.deepEqual(await revenue(), {
      feesPosted: revenueBefore.feesPosted + 1130,
      feesPending: revenueBefore.feesPending,
      excisePosted: revenueBefore.excisePosted + 170,
      excisePending: revenueBefore.excisePending,
    });
    const view = await admin(a, 'GET', '/admin/interop/positions');
    assert.equal((view.body.reconciliation as { reconciled: boolean }).reconciled, true);

    // The statement shows one row under the receipt: the transfer amount withdrawn, the fee as
    // its charges.
    const statement = await a.server.payments.statement(AMINA.msisdn, 0, Date.now() + 60_000);
    assert.ok(statement.ok);
    const row = statement.rows.find((r) => r.receipt === sent.body.receipt);
    assert.ok(row !== undefined, JSON.stringify(statement.rows.slice(-3)));
    assert.equal(row.withdrawnCents, transferAmount);
    assert.equal(row.chargesCents, 1300);
    assert.equal(row.description, 'send money to OTHER NETWORK');
    assert.equal(row.balanceCents, await walletCents(a));

    const sms = (await interopSms(a)).slice(smsBefore);
    assert.equal(sms.length, 1, JSON.stringify(sms));
    const cost = ((transferAmount - KES_1000 + 1300) / 100).toFixed(2);
    assert.ok(sms[0].text.startsWith(`${sent.body.receipt} Confirmed.`), sms[0].text);
    assert.ok(sms[0].text.includes(`Transaction cost, Ksh${cost}.`), sms[0].text);
  });

  test('returned with the money when the payee FSP refuses: nothing is earned', async () => {
    const walletBefore = await walletCents(a);
    const revenueBefore = await revenue();
    const smsBefore = (await interopSms(a)).length;
    hub.hold('malipob');
    let transferId = '';
    let reserved = 0;
    try {
      const mark = hub.log.length;
      const sent = await send(KES_1000, 'fee-2', 0);
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      transferId = sent.body.transferId as string;
      reserved = (sent.body.transferAmountCents as number) + 1300;
      await hub.next('POST', '/transfers', mark);
      assert.equal(await walletCents(a), walletBefore - reserved);
      const put = await fetch(`${a.server.url}/transfers/${transferId}/error`, {
        method: 'PUT',
        headers: {
          'content-type': contentTypeOf('transfers'),
          date: new Date().toUTCString(),
          'fspiop-source': 'switch',
          'fspiop-destination': 'malipoa',
        },
        body: JSON.stringify({
          errorInformation: { errorCode: '5100', errorDescription: 'Payee rejection' },
        }),
      });
      assert.equal(put.status, 200);
      assert.equal(await ended(transferId), 'aborted');
    } finally {
      await hub.release('malipob');
    }
    assert.equal(await walletCents(a), walletBefore);
    assert.deepEqual(await revenue(), revenueBefore);
    assert.deepEqual(await transit(a), {
      postedCents: (await transit(a)).postedCents,
      pendingCents: 0,
    });
    const sms = (await interopSms(a)).slice(smsBefore);
    assert.equal(sms.length, 1, JSON.stringify(sms));
    const returned = (reserved / 100).toLocaleString('en-US', { minimumFractionDigits: 2 });
    assert.ok(sms[0].text.includes(`Ksh${returned} has been returned`), sms[0].text);
  });

  test('a fee the payer was not shown is refused before any money moves', async () => {
    const walletBefore = await walletCents(a);
    let built = 0;
    const refused = await a.server.payments.reserveInterop({
      payer: { kind: 'customer', msisdn: AMINA.msisdn, auth: { kind: 'pin', pin: AMINA.pin } },
      transferId: '5b0f1c52-52c1-4d2b-9d3f-2a1f3f5c7e01',
      transferAmountCents: KES_1000,
      feeCents: 0,
      timeoutSeconds: 120,
      scored: { payee: BAKARI.msisdn, payeeFsp: 'malipob', amountCents: KES_1000, feeCents: 0 },
      records: () => {
        built++;
        return [];
      },
    });
    assert.equal(refused.ok, false);
    assert.equal(refused.ok ? '' : refused.error, 'invalid_request');
    assert.equal(built, 0);
    assert.equal(await walletCents(a), walletBefore);
  });
});
