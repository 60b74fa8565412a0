// The ILP v4 Prepare packet and the fulfilment against bytes Mojaloop's own libraries produced:
// `ilp-packet` 3.1.3 (serializeIlpPrepare) and `@mojaloop/sdk-standard-components` 19.18.8
// (IlpV4.getResponseIlp), both from the Testing Toolkit's install; the vectors are pasted here so
// the test runs without them. Then strict decoding: every altered or non-canonical packet is null.

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { conditionOf, decodePacket, fulfilmentOf, issuePacket, type QuoteTerms } from './ilp.ts';
import { decodePrepare, encodePrepare } from './ilp-oer.ts';

/** serializeIlpPrepare of the ilp-packet README's example packet. */
const PREPARE_HEX =
  '0c68000000000000006b323031373132323330313231343035343974e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de10d6578616d706c652e616c696365205db1d717301b591305adb8b4ecd7d16d8f9156033874755a1a455066b57d2c6e';
/** serializeIlpPrepare with the largest amount and 300 bytes of data (long-form lengths). */
const PREPARE_LONG =
  'DIIBc___________MjAyNjEyMDgwMjMwMDAwMDAHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwpnLm1vamFsb29wggEsQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB';

/** What IlpV4.getResponseIlp (secret 'ttk-test-secret') returned for the terms below. */
const SDK = {
  fulfilment: 'l_l1nURwwQUEVfqN1Y3edn3RJdDTekNfWj9akxqZ3rE',
  condition: 'q8nudVA7lHGJegWahp1Xxez0wxKM79QJUideyZDkrE0',
  ilpPacket:
    'DIIDZwAAAAAAADrKMjAyNjEyMDgwMzAwMDAwMDCrye51UDuUcYl6BZqGnVfF7PTDEozv1AlSJ17JkOSsTQpnLm1vamFsb29wggMgZXlKeGRXOTBaVWxrSWpvaU4yUTJNVEppWm1RdE1UQXhOQzAwTnpVMkxXRmxNamt0WkRReVpURXhaakE0WmpJNUlpd2lkSEpoYm5OaFkzUnBiMjVKWkNJNklqQm1NelJqWWpkaExXWXpaVEF0TkdRd1pDMDRNREUyTFRBNU5ERmtOakV4TTJOalppSXNJblJ5WVc1ellXTjBhVzl1Vkhsd1pTSTZleUp6WTJWdVlYSnBieUk2SWxSU1FVNVRSa1ZTSWl3aWFXNXBkR2xoZEc5eUlqb2lVRUZaUlZJaUxDSnBibWwwYVdGMGIzSlVlWEJsSWpvaVEwOU9VMVZOUlZJaWZTd2ljR0Y1WldVaU9uc2ljR0Z5ZEhsSlpFbHVabThpT25zaWNHRnlkSGxKWkZSNWNHVWlPaUpOVTBsVFJFNGlMQ0p3WVhKMGVVbGtaVzUwYVdacFpYSWlPaUl5TlRRM01URXdNREF4TURFaUxDSm1jM0JKWkNJNkltMWhiR2x3YnlKOWZTd2ljR0Y1WlhJaU9uc2ljR0Z5ZEhsSlpFbHVabThpT25zaWNHRnlkSGxKWkZSNWNHVWlPaUpOVTBsVFJFNGlMQ0p3WVhKMGVVbGtaVzUwYVdacFpYSWlPaUl5TlRVM01EQXdNREF3TURFaUxDSm1jM0JKWkNJNkluUmxjM1JwYm1kMGIyOXNhMmwwWkdaemNDSjlmU3dpWlhod2FYSmhkR2x2YmlJNklqSXdNall0TVRJdE1EaFVNRE02TURBNk1EQXVNREF3V2lJc0ltRnRiM1Z1ZENJNmV5SmhiVzkxYm5RaU9pSXhOVEF1TlNJc0ltTjFjbkpsYm1ONUlqb2lTMFZUSW4wc0ltVjRkR1Z1YzJsdmJreHBjM1FpT25zaVpYaDBaVzV6YVc5dUlqcGJleUpyWlhraU9pSndZWGxsWlZKbFkyVnBkbVZCYlc5MWJuUWlMQ0oyWVd4MVpTSTZJakUxTUNKOUxIc2lhMlY1SWpvaWNHRjVaV1ZHYzNCR1pXVWlMQ0oyWVd4MVpTSTZJakF1TlNKOVhYMTk',
};
const TERMS: QuoteTerms = {
  quoteId: '7d612bfd-1014-4756-ae29-d42e11f08f29',
  transactionId: '0f34cb7a-f3e0-4d0d-8016-0941d6113ccf',
  payeeMsisdn: '254711000101',
  payerFsp: 'testingtoolkitdfsp',
  transferAmountCents: 15_050,
  receiveAmountCents: 15_000,
  payeeFspFeeCents: 50,
  currency: 'KES',
  expirationMs: Date.parse('2026-12-08T03:00:00.000Z'),
};
const PARTIES = {
  payeeFsp: 'malipo',
  payer: { partyIdType: 'MSISDN', partyIdentifier: '255700000001' },
};

describe('ILP v4 Prepare in OER', () => {
  test('encodes byte for byte what ilp-packet encodes, and decodes it back', () => {
    const prepare = {
      amount: 107n,
      executionCondition: Buffer.from('dOETbcccnl8oO+yDRhy/EmHEAU9y1I+N1lRToLhOfeE=', 'base64'),
      expiresAt: new Date('2017-12-23T01:21:40.549Z'),
      destination: 'example.alice',
      data: Buffer.from('XbHXFzAbWRMFrbi07NfRbY+RVgM4dHVaGkVQZrV9LG4=', 'base64'),
    };
    assert.equal(encodePrepare(prepare).toString('hex'), PREPARE_HEX);
    assert.deepEqual(decodePrepare(Buffer.from(PREPARE_HEX, 'hex')), prepare);
    const long = {
      amount: 2n ** 64n - 1n,
      executionCondition: Buffer.alloc(32, 7),
      expiresAt: new Date('2026-12-08T02:30:00.000Z'),
      destination: 'g.mojaloop',
      data: Buffer.alloc(300, 0x41),
    };
    assert.equal(encodePrepare(long).toString('base64url'), PREPARE_LONG);
    assert.deepEqual(decodePrepare(Buffer.from(PREPARE_LONG, 'base64url')), long);
  });

  test('refuses anything but one canonical Prepare', () => {
    const good = Buffer.from(PREPARE_HEX, 'hex');
    const altered = (at: number, byte: number) => {
      const copy = Buffer.from(good);
      copy[at] = byte;
      return copy;
    };
    assert.equal(decodePrepare(altered(0, 13)), null, 'a Fulfill is not a Prepare');
    assert.equal(decodePrepare(altered(1, 0x69)), null, 'envelope length longer than the packet');
    assert.equal(decodePrepare(Buffer.concat([good, Buffer.from([0])])), null, 'trailing byte');
    assert.equal(decodePrepare(good.subarray(0, good.length - 1)), null, 'truncated');
    assert.equal(decodePrepare(altered(10, 0x41)), null, 'a letter in the timestamp');
    // Month 13 in the timestamp (bytes 10..26 are YYYYMMDDHHmmssSSS: month at 14..15).
    assert.equal(decodePrepare(altered(15, 0x33)), null, 'month 13');
    assert.equal(decodePrepare(altered(59, 0x20)), null, 'a space in the ILP address');
    // The long form for a length that fits the short form is not canonical OER.
    const nonCanonical = Buffer.concat([Buffer.from([0x0c, 0x81, good[1]]), good.subarray(2)]);
    assert.equal(decodePrepare(nonCanonical), null);
    assert.equal(decodePrepare(Buffer.alloc(0)), null);
  });

  test('any Prepare round-trips', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.date({ min: new Date('2000-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 1000 }),
        (amount, expiresAt, condition, data) => {
          const prepare = {
            amount,
            expiresAt,
            executionCondition: Buffer.from(condition),
            destination: 'g.mojaloop',
            data: Buffer.from(data),
          };
          assert.deepEqual(decodePrepare(encodePrepare(prepare)), prepare);
        },
      ),
    );
  });
});

describe("the quote's packet, condition and fulfilment", () => {
  test("are what Mojaloop's SDK (IlpV4) computes for the same transaction object", () => {
    const issued = issuePacket('ttk-test-secret', TERMS, PARTIES);
    assert.deepEqual(issued, SDK);
    assert.deepEqual(decodePacket(SDK.ilpPacket), { ...TERMS, condition: SDK.condition });
    assert.equal(fulfilmentOf('ttk-test-secret', SDK.ilpPacket), SDK.fulfilment);
  });

  test('the condition is the SHA-256 of the fulfilment, and only our secret fulfils a packet', () => {
    const { ilpPacket, fulfilment, condition } = issuePacket('secret', TERMS, PARTIES);
    assert.equal(Buffer.from(fulfilment, 'base64url').length, 32);
    assert.equal(
      condition,
      createHash('sha256').update(Buffer.from(fulfilment, 'base64url')).digest('base64url'),
    );
    assert.equal(conditionOf(fulfilmentOf('secret', ilpPacket)), condition);
    assert.notEqual(conditionOf(fulfilmentOf('another secret', ilpPacket)), condition);
  });

  test('a packet whose terms were changed, or that is not ours, decodes to null', () => {
    // The amount in the envelope no longer matches the transaction object's.
    const bytes = Buffer.from(SDK.ilpPacket, 'base64url');
    bytes.writeBigUInt64BE(15_051n, 4);
    assert.equal(decodePacket(bytes.toString('base64url')), null);
    // Receive amount + fee must make the transfer amount.
    const skewed = issuePacket('s', { ...TERMS, payeeFspFeeCents: 60 }, PARTIES).ilpPacket;
    assert.equal(decodePacket(skewed), null);
    // The toolkit's ILP v1 packet, our old JSON packet, and junk.
    const jsonPacket = Buffer.from(JSON.stringify(TERMS)).toString('base64url');
    assert.equal(decodePacket(jsonPacket), null);
    assert.equal(decodePacket('AYIDEwAAAAAAADqYKGcudGVzdGluZ3Rvb2xraXRkZnNw'), null);
    assert.equal(decodePacket('!!!'), null);
  });

  test('a transfer stored with an old JSON packet keeps the fulfilment it was given', () => {
    const jsonPacket = Buffer.from(JSON.stringify(TERMS)).toString('base64url');
    // Decision 0016's derivation: HMAC-SHA256(secret, packet).
    const expected = createHmac('sha256', 'secret').update(jsonPacket).digest('base64url');
    assert.equal(fulfilmentOf('secret', jsonPacket), expected);
  });
});
