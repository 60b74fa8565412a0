// Malipo as the payee FSP over real HTTP on loopback: a payer FSP's requests come in, the
// answers go out as FSPIOP callbacks to a recording hub, and the money is checked in the ledger.

import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Outbox } from '../outbox/index.ts';
import { orgAccountId, walletId } from '../payments/accounts.ts';
import type { RiskVerdict } from '../payments/review.ts';
import { availableOf, type World } from '../payments/testing/world.ts';
import { ASHA, CHEBET, DAUDI, intl, KES, openUssdWorld } from '../ussd/testing/fixtures.ts';
import { createCourier } from './courier.ts';
import { contentTypeOf, type FspiopResource } from './model.ts';
import { PayeeFsp } from './payee.ts';
import { registerInteropRoutes } from './routes.ts';
import { type RecordingHub, startRecordingHub } from './testing/hub.ts';

const FSP = 'malipo';
const PAYER_FSP = 'otherbank';
const SETTLEMENT = '999000';
const SECRET = 'test-ilp-secret-0123456789';
const ASHA_INTL = intl(ASHA.msisdn);

let world: World;
/** The risk engine's answer for the next payment (the fixtures and most tests: allow). */
let riskAction: RiskVerdict['action'] = 'allow';
const verdict = (): RiskVerdict => ({
  action: riskAction,
  score: riskAction === 'allow' ? 0.01 : 0.97,
  reasons: [{ name: 'test', value: 1, contribution: 1 }],
  modelVersion: 'test',
});
let hub: RecordingHub;
let app: FastifyInstance;
let outbox: Outbox;
let url: string;
/** One delivery state file, kept across the restart test's restart as the server keeps it. */
const OUTBOX_STATE_FILE = join(mkdtempSync(join(tmpdir(), 'malipo-payee-')), 'fspiop-outbox.db');

async function startPayee(): Promise<void> {
  const payee = new PayeeFsp({
    payments: world.payments,
    ledger: world.ledger,
    fspId: FSP,
    currency: 'KES',
    settlementShortcode: SETTLEMENT,
    ilpSecret: SECRET,
    clock: world.clock,
  });
  await payee.start();
  app = Fastify({ logger: false });
  const created = createCourier({
    ledger: world.ledger,
    stateFile: OUTBOX_STATE_FILE,
    hubUrl: hub.url,
    fspId: FSP,
    options: { maxAttempts: 1 },
  });
  outbox = created.outbox;
  await outbox.start();
  registerInteropRoutes(app, { payee, courier: created.courier, fspId: FSP, currency: 'KES' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

before(async () => {
  world = await openUssdWorld({ assess: () => verdict() });
  hub = await startRecordingHub();
  await startPayee();
  for (const account of ['utility', 'charges'] as const) {
    const funded = await world.payments.fundAccount({
      accountId: orgAccountId(SETTLEMENT, account),
      amountCents: KES(1_000_000),
      requestKey: `fund-interop-${account}`,
    });
    assert.ok(funded.ok, JSON.stringify(funded));
  }
  const frozen = await world.payments.setCustomerStatus(CHEBET.msisdn, 'frozen');
  assert.ok(frozen.ok, JSON.stringify(frozen));
});

after(async () => {
  await app?.close();
  await outbox?.stop();
  await hub?.close();
  await world?.close();
});

interface Sent {
  status: number;
  body: Record<string, unknown>;
}

async function send(
  method: 'GET' | 'POST',
  path: string,
  resource: FspiopResource,
  body?: unknown,
  headers: Record<string, string | undefined> = {},
): Promise<Sent> {
  const all: Record<string, string | undefined> = {
    'content-type': method === 'POST' ? contentTypeOf(resource) : undefined,
    accept: contentTypeOf(resource),
    date: new Date().toUTCString(),
    'fspiop-source': PAYER_FSP,
    'fspiop-destination': FSP,
    ...headers,
  };
  const defined = Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined);
  const response = await fetch(`${url}${path}`, {
    method,
    headers: Object.fromEntries(defined),
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : JSON.parse(text) };
}

function quoteBody(amount: string, amountType = 'RECEIVE', currency = 'KES', payee = ASHA_INTL) {
  return {
    quoteId: randomUUID(),
    transactionId: randomUUID(),
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: payee, fspId: FSP } },
    payer: {
      partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '255700000001', fspId: PAYER_FSP },
    },
    amountType,
    amount: { amount, currency },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
  };
}

interface WireMoney {
  amount: string;
  currency: string;
}

interface QuoteAnswer {
  transferAmount: WireMoney;
  payeeReceiveAmount: WireMoney;
  payeeFspFee: WireMoney;
  ilpPacket: string;
  condition: string;
}

const codeOf = (body: Record<string, unknown>) =>
  (body.errorInformation as { errorCode: string }).errorCode;

/** Asks for a quote and returns its callback body (which must not be an error). */
async function quote(
  amount: string,
  amountType = 'RECEIVE',
  payee = ASHA_INTL,
): Promise<QuoteAnswer> {
  const body = quoteBody(amount, amountType, 'KES', payee);
  const mark = hub.callbacks.length;
  assert.equal((await send('POST', '/quotes', 'quotes', body)).status, 202);
  const answer = await Promise.race([
    hub.next(`/quotes/${body.quoteId}`, mark),
    hub.next(`/quotes/${body.quoteId}/error`, mark),
  ]);
  assert.equal(answer.path, `/quotes/${body.quoteId}`, JSON.stringify(answer.body));
  return answer.body as unknown as QuoteAnswer;
}

function transferBody(q: QuoteAnswer, overrides: Record<string, unknown> = {}) {
  return {
    transferId: randomUUID(),
    payerFsp: PAYER_FSP,
    payeeFsp: FSP,
    amount: q.transferAmount,
    ilpPacket: q.ilpPacket,
    condition: q.condition,
    expiration: new Date(Date.now() + 30_000).toISOString(),
    ...overrides,
  };
}

async function transfer(body: { transferId: unknown }, headers = {}) {
  const mark = hub.callbacks.length;
  const sent = await send('POST', '/transfers', 'transfers', body, headers);
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const ok = hub.next(`/transfers/${body.transferId}`, mark);
  const error = hub.next(`/transfers/${body.transferId}/error`, mark);
  return Promise.race([ok, error]);
}

const ashaWallet = () => availableOf(world, walletId(ASHA_INTL));
const settlement = () => availableOf(world, orgAccountId(SETTLEMENT, 'utility'));

describe('party lookup', () => {
  test('a customer is answered with a PUT /parties callback naming them', async () => {
    const mark = hub.callbacks.length;
    const sent = await send('GET', `/parties/MSISDN/${ASHA_INTL}`, 'parties');
    assert.equal(sent.status, 202);
    const callback = await hub.next(`/parties/MSISDN/${ASHA_INTL}`, mark);
    assert.equal(callback.method, 'PUT');
    assert.equal(callback.headers['fspiop-source'], FSP);
    assert.equal(callback.headers['fspiop-destination'], PAYER_FSP);
    assert.equal(callback.headers['content-type'], contentTypeOf('parties'));
    const party = callback.body.party as { name: string; partyIdInfo: unknown };
    assert.equal(party.name, ASHA.shown);
    assert.deepEqual(party.partyIdInfo, {
      partyIdType: 'MSISDN',
      partyIdentifier: ASHA_INTL,
      fspId: FSP,
    });
  });

  test('an unknown number is answered with error 3204, a frozen one with 5400', async () => {
    const mark = hub.callbacks.length;
    await send('GET', '/parties/MSISDN/254712999999', 'parties');
    const unknown = await hub.next('/parties/MSISDN/254712999999/error', mark);
    assert.equal(codeOf(unknown.body), '3204');
    const chebet = intl(CHEBET.msisdn);
    await send('GET', `/parties/MSISDN/${chebet}`, 'parties');
    const frozen = await hub.next(`/parties/MSISDN/${chebet}/error`, mark);
    assert.equal(codeOf(frozen.body), '5400');
  });
});

describe('quote and transfer', () => {
  test('a RECEIVE quote adds the B2C fee; the transfer credits the customer and is fulfilled', async () => {
    const q = await quote('1000');
    assert.deepEqual(q.payeeReceiveAmount, { amount: '1000', currency: 'KES' });
    assert.deepEqual(q.payeeFspFee, { amount: '5', currency: 'KES' });
    assert.deepEqual(q.transferAmount, { amount: '1005', currency: 'KES' });
    const walletBefore = await ashaWallet();
    const settlementBefore = await settlement();
    const body = transferBody(q);
    const callback = await transfer(body);
    assert.equal(callback.path, `/transfers/${body.transferId}`, JSON.stringify(callback.body));
    assert.equal(callback.body.transferState, 'COMMITTED');
    // The hub checks exactly this: SHA-256 of the fulfilment is the quoted condition.
    const fulfilment = Buffer.from(callback.body.fulfilment as string, 'base64url');
    assert.equal(createHash('sha256').update(fulfilment).digest('base64url'), q.condition);
    assert.equal(await ashaWallet(), walletBefore + KES(1000));
    assert.equal(await settlement(), settlementBefore - KES(1000));
    const sms = await world.sms();
    const credited = sms.filter(
      (s) => s.to === ASHA_INTL && /interoperability settlement/i.test(s.text),
    );
    assert.equal(credited.length, 1, JSON.stringify(sms.slice(-3)));
    assert.match(credited[0].text, /received Ksh1,000\.00/);

    // The payer FSP retries: the same fulfilment again, and no second credit.
    const again = await transfer(body);
    assert.equal(again.body.fulfilment, callback.body.fulfilment);
    assert.equal(await ashaWallet(), walletBefore + KES(1000));

    const mark = hub.callbacks.length;
    await send('GET', `/transfers/${body.transferId}`, 'transfers');
    const state = await hub.next(`/transfers/${body.transferId}`, mark);
    assert.equal(state.body.transferState, 'COMMITTED');
    assert.equal(state.body.fulfilment, callback.body.fulfilment);
  });

  test('two copies of a transfer sent at once credit the customer once', async () => {
    const body = transferBody(await quote('600'));
    const before = await ashaWallet();
    const mark = hub.callbacks.length;
    const sent = await Promise.all([1, 2].map(() => send('POST', '/transfers', 'transfers', body)));
    assert.deepEqual(
      sent.map((s) => s.status),
      [202, 202],
    );
    const callback = await hub.next(`/transfers/${body.transferId}`, mark);
    assert.equal(callback.body.transferState, 'COMMITTED');
    assert.equal(await ashaWallet(), before + KES(600));
    // A retry after both settles is answered again, still without a second credit.
    const again = await transfer(body);
    assert.equal(again.body.fulfilment, callback.body.fulfilment);
    assert.equal(await ashaWallet(), before + KES(600));
  });

  test('a SEND quote takes the fee out of the amount', async () => {
    const q = await quote('1005', 'SEND');
    assert.deepEqual(q.transferAmount, { amount: '1005', currency: 'KES' });
    assert.deepEqual(q.payeeReceiveAmount, { amount: '1000', currency: 'KES' });
  });

  test('a quote for an amount a transfer could not pay is declined before any money is asked', async () => {
    for (const [amount, code] of [
      ['100.5', '5103'],
      ['5', '5103'],
    ] as const) {
      const body = quoteBody(amount);
      const mark = hub.callbacks.length;
      assert.equal((await send('POST', '/quotes', 'quotes', body)).status, 202);
      const answer = await hub.next(`/quotes/${body.quoteId}/error`, mark);
      assert.equal(codeOf(answer.body), code, amount);
    }
  });

  test('a restarted payee FSP still answers a retried transfer once', async () => {
    const q = await quote('200');
    const body = transferBody(q);
    const first = await transfer(body);
    const wallet = await ashaWallet();
    await app.close();
    await outbox.stop();
    await startPayee();
    const again = await transfer(body);
    assert.equal(again.body.fulfilment, first.body.fulfilment);
    assert.equal(await ashaWallet(), wallet);
  });
});

describe('hostile transfers move no money', () => {
  const cases: [string, (q: QuoteAnswer) => Record<string, unknown>, object, string][] = [
    ['a changed amount', () => ({ amount: { amount: '2005', currency: 'KES' } }), {}, '3106'],
    ['a condition for another packet', () => ({ condition: 'A'.repeat(43) }), {}, '3106'],
    [
      'a packet not issued by us',
      () => ({ ilpPacket: Buffer.from('{"x":1}').toString('base64url') }),
      {},
      '3106',
    ],
    ['a source other than the quoted payer', () => ({}), { 'fspiop-source': 'thief' }, '3106'],
    [
      'an expired transfer',
      () => ({ expiration: new Date(Date.now() - 1000).toISOString() }),
      {},
      '3303',
    ],
  ];
  for (const [name, change, headers, code] of cases) {
    test(`${name} is answered with ${code}`, async () => {
      const q = await quote('1000');
      const before = await ashaWallet();
      const body = transferBody(q, change(q));
      const callback = await transfer(body, headers);
      assert.equal(callback.path, `/transfers/${body.transferId}/error`);
      assert.equal(codeOf(callback.body), code);
      assert.equal(await ashaWallet(), before);
    });
  }

  test('a transfer id reused with another quote is refused with 3106', async () => {
    const first = transferBody(await quote('300'));
    await transfer(first);
    const before = await ashaWallet();
    const q = await quote('400');
    const reused = transferBody(q, { transferId: first.transferId });
    const callback = await transfer(reused);
    assert.equal(codeOf(callback.body), '3106');
    assert.equal(await ashaWallet(), before);
  });

  test('a payee over the wallet balance limit is answered with 5200', async () => {
    // Three top-band transfers take Daudi from KES 20,000 to 470,000; a fourth would pass 500,000.
    const daudi = intl(DAUDI.msisdn);
    for (let i = 0; i < 3; i++) {
      const done = await transfer(transferBody(await quote('150000', 'RECEIVE', daudi)));
      assert.equal(done.body.transferState, 'COMMITTED', JSON.stringify(done.body));
    }
    const before = await availableOf(world, walletId(daudi));
    const callback = await transfer(transferBody(await quote('150000', 'RECEIVE', daudi)));
    assert.equal(codeOf(callback.body), '5200');
    assert.equal(await availableOf(world, walletId(daudi)), before);
  });
});

describe('risk decisions on incoming transfers', () => {
  for (const [action, code] of [
    ['block', '5400'],
    ['hold', '5105'],
  ] as const) {
    test(`a transfer the risk engine would ${action} is declined with ${code}, the money back`, async () => {
      const q = await quote('700');
      const wallet = await ashaWallet();
      const funds = await settlement();
      riskAction = action;
      try {
        const callback = await transfer(transferBody(q));
        assert.equal(callback.path.endsWith('/error'), true, JSON.stringify(callback.body));
        assert.equal(codeOf(callback.body), code);
      } finally {
        riskAction = 'allow';
      }
      assert.equal(await ashaWallet(), wallet);
      assert.equal(await settlement(), funds);
    });
  }
});

describe('malformed and mis-routed requests are refused synchronously', () => {
  const valid = () => quoteBody('100');
  const cases: [string, () => Promise<Sent>, string][] = [
    ['a body that is not JSON', () => send('POST', '/quotes', 'quotes', '{"quoteId":'), '3101'],
    [
      'another resource type',
      () =>
        send('POST', '/quotes', 'quotes', valid(), { 'content-type': contentTypeOf('parties') }),
      '3101',
    ],
    [
      'no FSPIOP-Source',
      () => send('POST', '/quotes', 'quotes', valid(), { 'fspiop-source': undefined }),
      '3102',
    ],
    [
      'no Date',
      () => send('GET', `/parties/MSISDN/${ASHA_INTL}`, 'parties', undefined, { date: undefined }),
      '3102',
    ],
    [
      'a destination that is another FSP',
      () => send('POST', '/quotes', 'quotes', valid(), { 'fspiop-destination': 'otherbank2' }),
      '3201',
    ],
    [
      'an oversized body',
      () => send('POST', '/quotes', 'quotes', { ...valid(), note: 'x'.repeat(70_000) }),
      '3104',
    ],
    [
      'a quote for a payee at another FSP',
      () => {
        const body = valid();
        body.payee.partyIdInfo.fspId = 'otherbank2';
        return send('POST', '/quotes', 'quotes', body);
      },
      '3201',
    ],
    ['a party type we do not serve', () => send('GET', '/parties/IBAN/KE001', 'parties'), '3100'],
    ['a malformed MSISDN', () => send('GET', '/parties/MSISDN/07x', 'parties'), '3101'],
    [
      'a quote in another currency',
      () => send('POST', '/quotes', 'quotes', quoteBody('100', 'RECEIVE', 'USD')),
      '5106',
    ],
    [
      'an amount with three decimals',
      () => send('POST', '/quotes', 'quotes', quoteBody('100.005')),
      '3100',
    ],
    [
      'a transfer id that is not a UUID',
      () => send('GET', '/transfers/not-a-uuid', 'transfers'),
      '3101',
    ],
  ];
  for (const [name, act, code] of cases) {
    test(`${name}: HTTP 400 with ${code}, no callback`, async () => {
      const mark = hub.callbacks.length;
      const sent = await act();
      assert.equal(sent.status, 400, JSON.stringify(sent.body));
      assert.equal(codeOf(sent.body), code);
      assert.equal(hub.callbacks.length, mark);
    });
  }
});

test('an unknown transfer id is answered with 3208', async () => {
  const id = randomUUID();
  const mark = hub.callbacks.length;
  await send('GET', `/transfers/${id}`, 'transfers');
  const callback = await hub.next(`/transfers/${id}/error`, mark);
  assert.equal(codeOf(callback.body), '3208');
});

test('a transfer against a quote that expired is answered with 3302 and moves no money', async () => {
  const q = await quote('700');
  const before = await ashaWallet();
  // The quote was valid for a minute by our clock; the transfer itself is still in time.
  world.clock.advance(61_000);
  try {
    const body = transferBody(q, {
      expiration: new Date(world.clock.nowMs() + 30_000).toISOString(),
    });
    const callback = await transfer(body);
    assert.equal(callback.path, `/transfers/${body.transferId}/error`);
    assert.equal(codeOf(callback.body), '3302');
    assert.equal(await ashaWallet(), before);
  } finally {
    world.clock.advance(-61_000);
  }
});

test('a payee FSP whose settlement organization cannot pay answers 5001; nothing moves', async () => {
  // Another payee FSP on the same ledger, paying out of an organization nobody funded.
  const unfunded = new PayeeFsp({
    payments: world.payments,
    ledger: world.ledger,
    fspId: FSP,
    currency: 'KES',
    settlementShortcode: '999001',
    ilpSecret: SECRET,
    clock: world.clock,
  });
  await unfunded.start();
  const asked = await unfunded.quote(
    {
      quoteId: randomUUID(),
      transactionId: randomUUID(),
      payee: { partyIdType: 'MSISDN', partyIdentifier: ASHA_INTL, fspId: FSP },
      payer: { partyIdType: 'MSISDN', partyIdentifier: '255700000001', fspId: PAYER_FSP },
      amountType: 'RECEIVE',
      amount: { amountCents: KES(500), currency: 'KES' },
      scenario: 'TRANSFER',
      expirationMs: null,
      note: null,
    },
    PAYER_FSP,
  );
  assert.equal(asked.kind, 'put', JSON.stringify(asked));
  const q = (asked as { body: Record<string, unknown> }).body as unknown as QuoteAnswer;
  const before = await ashaWallet();
  const answer = await unfunded.transfer(
    {
      transferId: randomUUID(),
      payeeFsp: FSP,
      payerFsp: PAYER_FSP,
      amount: { amountCents: KES(Number(q.transferAmount.amount)), currency: 'KES' },
      ilpPacket: q.ilpPacket,
      condition: q.condition,
      expirationMs: world.clock.nowMs() + 30_000,
    },
    PAYER_FSP,
  );
  assert.equal(answer.kind, 'error', JSON.stringify(answer));
  assert.equal((answer as { error: { errorCode: string } }).error.errorCode, '5001');
  assert.equal(await ashaWallet(), before);
});
