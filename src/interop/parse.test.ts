// The FSPIOP parsers and the ILP fulfilment on their own: amounts round-trip exactly, and a
// fulfilment's SHA-256 is its condition.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { conditionOf, decodePacket, encodePacket, fulfilmentOf, type QuoteTerms } from './ilp.ts';
import { formatAmount, parseHeaders, parseMoney } from './parse.ts';

test('any amount in cents survives the wire form and back', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (cents) => {
      const wire = formatAmount(cents);
      assert.match(wire, /^([0]|([1-9][0-9]{0,17}))([.][0-9]{0,3}[1-9])?$/);
      const back = parseMoney({ amount: wire, currency: 'KES' }, 'KES');
      assert.ok(back.ok);
      assert.equal(back.value.amountCents, cents);
    }),
  );
});

test('amounts the Amount pattern refuses are malformed (3101), zero is invalid (3100)', () => {
  for (const amount of ['01', '1.', '1.10', '-5', '1e3', ' 1', '1,000', '']) {
    const parsed = parseMoney({ amount, currency: 'KES' }, 'KES');
    assert.ok(!parsed.ok && parsed.error.errorCode === '3101', amount);
  }
  const zero = parseMoney({ amount: '0', currency: 'KES' }, 'KES');
  assert.ok(!zero.ok && zero.error.errorCode === '3100');
});

test('a content type for another resource or major version is refused', () => {
  const base = { date: new Date().toUTCString(), 'fspiop-source': 'payer' };
  const bad = [
    'application/json',
    'application/vnd.interoperability.quotes+json;version=2.0',
    'application/vnd.interoperability.transfers+json;version=1.1',
  ];
  for (const type of bad) {
    const parsed = parseHeaders({ ...base, 'content-type': type }, 'quotes');
    assert.ok(!parsed.ok && parsed.error.errorCode === '3101', type);
  }
  const good = parseHeaders(
    { ...base, 'content-type': 'application/vnd.interoperability.quotes+json;version=1.0' },
    'quotes',
  );
  assert.ok(good.ok);
});

test('the condition is the SHA-256 of the fulfilment, and only our secret fulfils a packet', () => {
  const terms: QuoteTerms = {
    quoteId: 'q',
    transactionId: 't',
    payeeMsisdn: '254712000001',
    payerFsp: 'payer',
    transferAmountCents: 100_500,
    receiveAmountCents: 100_000,
    payeeFspFeeCents: 500,
    currency: 'KES',
    expirationMs: 1_800_000_000_000,
  };
  const packet = encodePacket(terms);
  assert.deepEqual(decodePacket(packet), terms);
  const fulfilment = fulfilmentOf('secret', packet);
  const condition = conditionOf(fulfilment);
  assert.equal(Buffer.from(fulfilment, 'base64url').length, 32);
  assert.equal(
    condition,
    createHash('sha256').update(Buffer.from(fulfilment, 'base64url')).digest('base64url'),
  );
  assert.notEqual(conditionOf(fulfilmentOf('another secret', packet)), condition);
  assert.equal(decodePacket(Buffer.from('{"quoteId":1}').toString('base64url')), null);
  assert.equal(decodePacket('!!!'), null);
});
