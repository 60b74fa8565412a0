// The payer side's remaining FSPIOP answers, each moving no money or giving it all back: a quote
// the payee FSP rejects (5103, below its B2C tariff), an amount our own tariff does not price
// (3100, before anything is asked of the scheme), a payee FSP that reports the transfer ABORTED
// (5100, the reservation and Malipo's fee voided), and a frozen payee (5400 from its quote).
// Two real Malipo servers through the in-repo switch (src/interop/testing/pair.ts).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { contentTypeOf } from './model.ts';
import {
  admin,
  closeFsp,
  type Fsp,
  sendToOtherFsp,
  startFsp,
  transit,
  walletCents,
} from './testing/pair.ts';
import { type FspiopSwitch, startSwitch } from './testing/switch.ts';

const AMINA = {
  msisdn: '254711001101',
  local: '0711001101',
  pin: '2468',
  firstName: 'Amina',
  lastName: 'Otieno',
};
const BAKARI = {
  msisdn: '254722001202',
  local: '0722001202',
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

const errorCodeOf = (body: Record<string, unknown>) =>
  (body.error as { errorCode: string } | null)?.errorCode;

test('the payee FSP rejects the quote (below its B2C tariff): 5103, nothing moves', async () => {
  const walletBefore = await walletCents(a);
  const sent = await send(500, 'codes-quote-limit');
  assert.equal(sent.status, 409, JSON.stringify(sent.body));
  assert.equal(sent.body.phase, 'quote');
  assert.equal(errorCodeOf(sent.body), '5103');
  assert.equal(await walletCents(a), walletBefore);
  assert.equal((await transit(a)).pendingCents, 0);
});

test('an amount our own tariff does not price: 3100 before the scheme is asked, nothing moves', async () => {
  const walletBefore = await walletCents(a);
  const quotesBefore = hub.log.filter((m) => m.method === 'POST' && m.path === '/quotes').length;
  const sent = await send(30_000_000, 'codes-no-tariff');
  assert.equal(sent.status, 409, JSON.stringify(sent.body));
  assert.equal(sent.body.phase, 'quote');
  assert.equal(errorCodeOf(sent.body), '3100');
  const quotesAfter = hub.log.filter((m) => m.method === 'POST' && m.path === '/quotes').length;
  assert.equal(quotesAfter, quotesBefore, 'no quote was sent');
  assert.equal(await walletCents(a), walletBefore);
});

test('the payee FSP reports the transfer ABORTED: 5100, the money and the fee come back', async () => {
  const walletBefore = await walletCents(a);
  hub.hold('malipob');
  let transferId = '';
  try {
    const mark = hub.log.length;
    const sent = await send(100_000, 'codes-aborted', 0);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    transferId = String(sent.body.transferId);
    await hub.next('POST', '/transfers', mark);
    const reserved =
      (sent.body.transferAmountCents as number) + (sent.body.malipoFeeCents as number);
    assert.equal(await walletCents(a), walletBefore - reserved);
    const put = await fetch(`${a.server.url}/transfers/${transferId}`, {
      method: 'PUT',
      headers: {
        'content-type': contentTypeOf('transfers'),
        date: new Date().toUTCString(),
        'fspiop-source': 'malipob',
        'fspiop-destination': 'malipoa',
      },
      body: JSON.stringify({
        completedTimestamp: new Date().toISOString(),
        transferState: 'ABORTED',
      }),
    });
    assert.equal(put.status, 200);
    for (;;) {
      const view = await admin(a, 'GET', `/admin/interop/transfers/${transferId}`);
      if (view.body.state !== 'prepared') {
        assert.equal(view.body.state, 'aborted');
        assert.equal(errorCodeOf(view.body), '5100');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    hub.drop('malipob');
  }
  assert.equal(await walletCents(a), walletBefore);
  assert.equal((await transit(a)).pendingCents, 0);
});

test('a frozen payee: the payee FSP refuses the quote with 5400, nothing moves', async () => {
  const frozen = await b.server.payments.setCustomerStatus(BAKARI.msisdn, 'frozen');
  assert.ok(frozen.ok, JSON.stringify(frozen));
  try {
    const walletBefore = await walletCents(a);
    const sent = await send(20_000, 'codes-frozen');
    assert.equal(sent.status, 409, JSON.stringify(sent.body));
    assert.equal(errorCodeOf(sent.body), '5400');
    assert.equal(await walletCents(a), walletBefore);
  } finally {
    await b.server.payments.setCustomerStatus(BAKARI.msisdn, 'active');
  }
});
