// The FSPIOP parsers on their own: amounts round-trip exactly, content types are checked.
// (The ILP packet and fulfilment are in ilp.test.ts.)

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
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
