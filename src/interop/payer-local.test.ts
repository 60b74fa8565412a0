// An outbound interop transfer is treated like a local payment: scored by the same risk engine
// before any money moves (enforce mode; the sandbox trigger amounts force a block or a hold),
// confirmed to the payer by SMS committed with the fulfilment (and by another when the money
// comes back), and counted in the payer's daily usage. Two real Malipo servers through the
// in-repo switch (src/interop/testing/pair.ts).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parsePrometheusText, seriesValue } from '../ops/testing/prom-text.ts';
import { orgAccountId } from '../payments/accounts.ts';
import { DECISION_STREAM } from '../payments/review.ts';
import { RISK_TRIGGER_AMOUNTS_KES } from '../sandbox/triggers.ts';
import { FSPIOP_OUT_STREAM } from './courier.ts';
import { contentTypeOf } from './model.ts';
import {
  admin,
  closeFsp,
  type Fsp,
  interopSms,
  sendToOtherFsp,
  startFsp,
  TOKEN,
  transit,
  ussd,
  walletCents,
} from './testing/pair.ts';
import { type FspiopSwitch, startSwitch } from './testing/switch.ts';

const AMINA = {
  msisdn: '254711000501',
  local: '0711000501',
  pin: '2468',
  firstName: 'Amina',
  lastName: 'Otieno',
};
const BAKARI = {
  msisdn: '254722000602',
  local: '0722000602',
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

const send = (amountCents: number, requestId: string, waitMs?: number) =>
  sendToOtherFsp(a, BAKARI, amountCents, requestId, waitMs);

async function ussdSend(session: string, shillings: number): Promise<string> {
  await ussd(a, session, '');
  await ussd(a, session, '8');
  await ussd(a, session, `8*${BAKARI.local}`);
  await ussd(a, session, `8*${BAKARI.local}*${shillings}`);
  await ussd(a, session, `8*${BAKARI.local}*${shillings}*1`);
  return ussd(a, session, `8*${BAKARI.local}*${shillings}*1*${AMINA.pin}`);
}

describe('the risk engine scores an outbound transfer before the reservation', () => {
  test('a blocked transfer moves no money, prepares nothing and is recorded as a decision', async () => {
    const walletBefore = await walletCents(a);
    const transitBefore = await transit(a);
    const payeeBefore = await walletCents(b);
    const shown = await ussdSend('risk-block', RISK_TRIGGER_AMOUNTS_KES.block);
    assert.equal(shown, 'END Failed. Declined for your security. Call customer care');
    assert.equal(await walletCents(a), walletBefore);
    assert.deepEqual(await transit(a), transitBefore);
    assert.equal(await walletCents(b), payeeBefore);
    const decisions = (await a.server.ledger.readRecords(DECISION_STREAM, 0, 100)).map(
      (r) => JSON.parse(r.body) as { action: string; amountCents: number; from: string },
    );
    assert.ok(
      decisions.some(
        (d) =>
          d.action === 'block' &&
          d.from === AMINA.msisdn &&
          d.amountCents === RISK_TRIGGER_AMOUNTS_KES.block * 100,
      ),
      JSON.stringify(decisions),
    );
  });

  test('a hold is refused too (interop cannot wait for a review): nothing moves', async () => {
    const walletBefore = await walletCents(a);
    const sent = await send(RISK_TRIGGER_AMOUNTS_KES.hold * 100, 'risk-hold');
    assert.equal(sent.status, 409, JSON.stringify(sent.body));
    assert.equal(sent.body.error, 'blocked');
    assert.equal(await walletCents(a), walletBefore);
    assert.equal((await transit(a)).pendingCents, 0);
  });
});

test('a B2C to another network is scored too: a blocked one leaves the utility account as it was', async () => {
  const utility = async () => {
    const [account] = await a.server.ledger.lookupAccounts([orgAccountId('600100', 'utility')]);
    return account.creditsPosted - account.debitsPosted - account.debitsPending;
  };
  const before = await utility();
  const sent = await admin(a, 'POST', '/admin/interop/b2c', {
    shortcode: '600100',
    to: BAKARI.msisdn,
    amountCents: RISK_TRIGGER_AMOUNTS_KES.block * 100,
    requestId: 'b2c-block',
  });
  assert.equal(sent.status, 409, JSON.stringify(sent.body));
  assert.equal(sent.body.error, 'blocked');
  assert.equal(await utility(), before);
  assert.equal((await transit(a)).pendingCents, 0);
});

describe('the payer is told by SMS and the transfer counts toward the daily limit', () => {
  test('a fulfilled transfer: one SMS with the wallet balance after it, and the tally grows', async () => {
    const ctx = a.server.payments.context;
    // Loads today's usage into the in-memory tally first, so the reservation must update it.
    const usedBefore = await ctx.usedToday(AMINA.msisdn, ctx.now());
    const smsBefore = (await interopSms(a, AMINA.msisdn)).length;
    const sent = await send(50_000, 'sms-1');
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.state, 'committed');
    const paidCents = sent.body.transferAmountCents as number;
    assert.equal(await ctx.usedToday(AMINA.msisdn, ctx.now()), usedBefore + paidCents);

    const sms = (await interopSms(a, AMINA.msisdn)).slice(smsBefore);
    assert.equal(sms.length, 1, JSON.stringify(sms));
    const balance = (await walletCents(a)) / 100;
    const shown = balance.toLocaleString('en-US', { minimumFractionDigits: 2 });
    assert.match(sms[0].text, /^\w{10} Confirmed\. Ksh500\.00 sent to BAKARI MWITA 254722000602/);
    assert.ok(sms[0].text.includes(`New M-PESA balance is Ksh${shown}.`), sms[0].text);
    assert.ok(sms[0].text.includes(`on malipob`), sms[0].text);
  });

  test('an aborted transfer: the payer gets the money back and an SMS saying so', async () => {
    const walletBefore = await walletCents(a);
    const smsBefore = (await interopSms(a, AMINA.msisdn)).length;
    hub.hold('malipob');
    try {
      const mark = hub.log.length;
      const sent = await send(20_000, 'sms-2', 0);
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      await hub.next('POST', '/transfers', mark);
      const transferId = sent.body.transferId as string;
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
      while (
        (await admin(a, 'GET', `/admin/interop/transfers/${transferId}`)).body.state === 'prepared'
      )
        await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await hub.release('malipob');
    }
    assert.equal(await walletCents(a), walletBefore);
    const sms = (await interopSms(a, AMINA.msisdn)).slice(smsBefore);
    assert.equal(sms.length, 1, JSON.stringify(sms));
    const balance = (walletBefore / 100).toLocaleString('en-US', { minimumFractionDigits: 2 });
    assert.match(sms[0].text, /^\w{10} Failed\. Your transfer to BAKARI MWITA/);
    assert.ok(sms[0].text.includes(`New M-PESA balance is Ksh${balance}.`), sms[0].text);
    assert.equal(sms[0].to, AMINA.msisdn);
  });
});

test('the FSPIOP outbox is on the ops console and in the backlog metrics beside callbacks and SMS', async () => {
  const call = async (path: string) => {
    const response = await fetch(`${a.server.url}${path}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return { status: response.status, text: await response.text() };
  };
  const summary = JSON.parse((await call('/ops/api/summary')).text) as {
    outbox: { stream: string; delivered: number }[];
  };
  const streams = summary.outbox.map((o) => o.stream);
  assert.ok(streams.includes('sms') && streams.includes(FSPIOP_OUT_STREAM), streams.join());
  // The transfers above were sent through it.
  const fspiop = summary.outbox.find((o) => o.stream === FSPIOP_OUT_STREAM);
  assert.ok(fspiop !== undefined && fspiop.delivered >= 2, JSON.stringify(fspiop));
  assert.equal((await call(`/ops/api/outbox/${FSPIOP_OUT_STREAM}/dead`)).status, 200);
  const scraped = parsePrometheusText((await call('/metrics')).text);
  const gauge = scraped.get('malipo_outbox_messages');
  assert.ok(
    gauge?.samples.some((s) => s.labels.stream === FSPIOP_OUT_STREAM && s.labels.state === 'dead'),
    'a backlog series for the FSPIOP outbox',
  );
  assert.equal(
    seriesValue(scraped, 'malipo_outbox_messages', { stream: FSPIOP_OUT_STREAM, state: 'dead' }),
    0,
  );
});
