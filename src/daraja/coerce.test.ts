import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AMOUNT_SHILLINGS_MAX,
  asDigits,
  asText,
  BodyReader,
  textProblem,
  wholeShillingsToCents,
} from './coerce.ts';

describe('wholeShillingsToCents', () => {
  it('accepts whole shillings as numbers and strings', () => {
    assert.equal(wholeShillingsToCents(10), 1000);
    assert.equal(wholeShillingsToCents('10'), 1000);
    assert.equal(wholeShillingsToCents('10.00'), 1000);
    assert.equal(wholeShillingsToCents('10.0'), 1000);
    assert.equal(wholeShillingsToCents(AMOUNT_SHILLINGS_MAX), AMOUNT_SHILLINGS_MAX * 100);
  });

  it('explains each refusal', () => {
    const cases: [unknown, RegExp][] = [
      [0, /positive/],
      [-0, /positive/],
      ['-1', /positive/],
      [1.5, /fractional/],
      ['1.05', /fractional/],
      ['1.', /whole number/],
      ['1e3', /whole number/],
      ['0x10', /whole number/],
      ['007', /leading zeros/],
      [Number.NaN, /finite/],
      [AMOUNT_SHILLINGS_MAX + 1, /above/],
      [undefined, /missing/],
      [true, /got boolean/],
      [[1], /got array/],
    ];
    for (const [input, reason] of cases) {
      const outcome = wholeShillingsToCents(input);
      assert.equal(typeof outcome, 'string', String(input));
      assert.match(outcome as string, reason, String(input));
    }
  });
});

describe('primitive coercions', () => {
  it('reads text and digits from strings and non-negative integers only', () => {
    assert.equal(asText('abc'), 'abc');
    assert.equal(asText(600984), '600984');
    assert.equal(asText(-1), null);
    assert.equal(asText(1.5), null);
    assert.equal(asText(null), null);
    assert.equal(asDigits('0123'), '0123');
    assert.equal(asDigits('12a'), null);
  });

  it('checks length, control characters and pattern', () => {
    assert.equal(textProblem('ok', { minChars: 1, maxChars: 2 }), null);
    assert.match(textProblem('long', { minChars: 1, maxChars: 2 }) ?? '', /longer/);
    assert.match(textProblem('a\u0085', { minChars: 1, maxChars: 5 }) ?? '', /control/);
    assert.match(
      textProblem('a b', { minChars: 1, maxChars: 5, pattern: /^\S+$/ }) ?? '',
      /format/,
    );
  });
});

describe('BodyReader', () => {
  it('prefers the documented spelling and skips null variants', () => {
    const reader = new BodyReader({ Occassion: null, Occasion: 'x', Both: 'a', Other: 'b' });
    assert.equal(reader.raw(['Occassion', 'Occasion']), 'x');
    assert.equal(reader.raw(['Both', 'Other']), 'a');
    assert.equal(reader.raw(['Nothing']), undefined);
  });

  it('keeps only the first error, naming the documented field', () => {
    const reader = new BodyReader({ Amount: 0, PartyA: 'x' });
    reader.amountCents(['Amount']);
    reader.shortcode(['PartyA']);
    assert.deepStrictEqual(reader.error, {
      kind: 'invalid_field',
      field: 'Amount',
      reason: 'amount must be positive',
    });
    assert.equal(reader.result(() => 1).ok, false);
  });

  it('reads codes given as numbers or strings', () => {
    const reader = new BodyReader({ IdentifierType: 4, Other: '11' });
    assert.equal(reader.code(['IdentifierType'], ['4', '2']), '4');
    assert.equal(reader.code(['Other'], ['11']), '11');
    assert.equal(reader.error, null);
  });
});
