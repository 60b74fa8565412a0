// Property: no partner input makes a parser throw. Every body, however odd, yields a typed
// command or a DarajaInputError that maps to a 4xx.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { wholeShillingsToCents } from './coerce.ts';
import { inputErrorReply } from './errors.ts';
import * as requests from './requests.ts';
import { shillingsText } from './shapes.ts';

const OPTIONS: requests.ParseOptions = { environment: 'production' };
const PARSERS: [string, (raw: unknown) => { ok: boolean }][] = [
  ['stk push', (raw) => requests.parseStkPushRequest(raw, OPTIONS)],
  ['stk query', (raw) => requests.parseStkQueryRequest(raw)],
  ['c2b register', (raw) => requests.parseC2bRegisterUrlRequest(raw, OPTIONS)],
  ['c2b simulate', (raw) => requests.parseC2bSimulateRequest(raw, OPTIONS)],
  ['b2c v3', (raw) => requests.parseB2cRequest(raw, OPTIONS, 3)],
  ['b2b', (raw) => requests.parseB2bRequest(raw, OPTIONS)],
  ['tax', (raw) => requests.parseTaxRemittanceRequest(raw, OPTIONS)],
  ['status', (raw) => requests.parseTransactionStatusRequest(raw, OPTIONS)],
  ['balance', (raw) => requests.parseAccountBalanceRequest(raw, OPTIONS)],
  ['reversal', (raw) => requests.parseReversalRequest(raw, OPTIONS)],
  ['pull query', (raw) => requests.parsePullQueryRequest(raw, OPTIONS)],
  ['qr', (raw) => requests.parseDynamicQrRequest(raw, OPTIONS)],
  ['validation answer', (raw) => requests.parseC2bValidationAnswer(raw)],
];

// Field names the parsers read, so random bodies reach the field checks, not just "missing".
const KEYS = [
  'BusinessShortCode',
  'Password',
  'Timestamp',
  'TransactionType',
  'Amount',
  'PartyA',
  'PartyB',
  'PhoneNumber',
  'CallBackURL',
  'AccountReference',
  'ShortCode',
  'CommandID',
  'Msisdn',
  'InitiatorName',
  'Initiator',
  'SecurityCredential',
  'Remarks',
  'ResultURL',
  'QueueTimeOutURL',
  'TransactionID',
  'ResultCode',
];
const body = fc.dictionary(
  fc.constantFrom(...KEYS),
  fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.double()),
);

describe('parsers never throw', () => {
  for (const [name, parse] of PARSERS) {
    it(name, () => {
      fc.assert(
        fc.property(fc.oneof(body, fc.anything()), (raw) => {
          const parsed = parse(raw) as ReturnType<typeof requests.parseStkQueryRequest>;
          if (!parsed.ok) {
            const status = inputErrorReply(parsed.error, 'r').httpStatus;
            assert.ok(status >= 400 && status < 500);
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('amounts', () => {
  it('whole shillings in any accepted spelling give the same integer cents', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999 }), (shillings) => {
        const cents = shillings * 100;
        assert.equal(wholeShillingsToCents(shillings), cents);
        assert.equal(wholeShillingsToCents(String(shillings)), cents);
        assert.equal(wholeShillingsToCents(`${shillings}.00`), cents);
        assert.equal(wholeShillingsToCents(shillingsText(cents)), cents);
      }),
    );
  });
});
