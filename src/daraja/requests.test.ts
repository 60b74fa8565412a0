import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Parsed } from './coerce.ts';
import { inputErrorReply } from './errors.ts';
import {
  type ParseOptions,
  parseAccountBalanceRequest,
  parseB2bRequest,
  parseB2cAccountTopUpRequest,
  parseB2cRequest,
  parseBearerToken,
  parseBusinessBuyGoodsRequest,
  parseBusinessPayBillRequest,
  parseBusinessToPochiRequest,
  parseC2bRegisterUrlRequest,
  parseC2bSimulateRequest,
  parseC2bValidationAnswer,
  parseDynamicQrRequest,
  parseOAuthRequest,
  parsePullQueryRequest,
  parsePullRegisterRequest,
  parseReversalRequest,
  parseStkPushRequest,
  parseStkQueryRequest,
  parseTaxRemittanceRequest,
  parseTransactionStatusRequest,
} from './requests.ts';

const SANDBOX: ParseOptions = { environment: 'sandbox' };
const PRODUCTION: ParseOptions = { environment: 'production' };
// A 2048-bit ciphertext's length; the parsers only check that it is base64.
const CREDENTIAL = Buffer.alloc(256, 7).toString('base64');
const DOCS_PASSWORD =
  'MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjEwNjI4MDkyNDA4';

function value<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) assert.fail(`expected success, got ${JSON.stringify(parsed.error)}`);
  return parsed.value;
}

/** Asserts a refusal naming `field`, answered as Daraja's 400.002.02 for that field. */
function assertFieldError<T>(parsed: Parsed<T>, field: string): void {
  assert.equal(parsed.ok, false, `expected ${field} to be refused`);
  if (parsed.ok) return;
  assert.equal(parsed.error.kind, 'invalid_field');
  if (parsed.error.kind === 'invalid_field') assert.equal(parsed.error.field, field);
  const reply = inputErrorReply(parsed.error, 'req-1');
  assert.deepEqual(reply, {
    httpStatus: 400,
    body: {
      requestId: 'req-1',
      errorCode: '400.002.02',
      errorMessage: `Bad Request - Invalid ${field}`,
    },
  });
}

function with_(base: Record<string, unknown>, changes: Record<string, unknown>) {
  const body: Record<string, unknown> = { ...base, ...changes };
  for (const [key, v] of Object.entries(changes)) if (v === undefined) delete body[key];
  return body;
}

const STK_BODY = {
  BusinessShortCode: 174379,
  Password: DOCS_PASSWORD,
  Timestamp: '20210628092408',
  TransactionType: 'CustomerPayBillOnline',
  Amount: '1',
  PartyA: '254722000000',
  PartyB: '174379',
  PhoneNumber: '254722111111',
  CallBackURL: 'https://mydomain.com/path',
  AccountReference: 'accountref',
  TransactionDesc: 'txndesc',
};

describe('parseStkPushRequest', () => {
  it('reads the docs sample into a typed command with cents and canonical strings', () => {
    assert.deepEqual(value(parseStkPushRequest(STK_BODY, PRODUCTION)), {
      businessShortcode: '174379',
      password: DOCS_PASSWORD,
      timestamp: {
        text: '20210628092408',
        clock: { year: 2021, month: 6, day: 28, hour: 9, minute: 24, second: 8 },
      },
      transactionType: 'CustomerPayBillOnline',
      amountCents: 100,
      partyA: '254722000000',
      partyB: '174379',
      phoneNumber: '254722111111',
      callbackUrl: 'https://mydomain.com/path',
      accountReference: 'accountref',
      transactionDesc: 'txndesc',
    });
  });

  it('accepts numbers and numeric strings alike', () => {
    const asNumbers = with_(STK_BODY, {
      BusinessShortCode: 174379,
      Amount: 1,
      PartyA: 254722000000,
      PartyB: 174379,
      PhoneNumber: 254722111111,
      Timestamp: 20210628092408,
    });
    const asStrings = with_(STK_BODY, { BusinessShortCode: '174379', Amount: '1.00' });
    assert.deepEqual(
      value(parseStkPushRequest(asNumbers, PRODUCTION)),
      value(parseStkPushRequest(asStrings, PRODUCTION)),
    );
  });

  it('takes a TransactionDesc longer than documented and keeps its first 13 characters', () => {
    const parsed = value(
      parseStkPushRequest(with_(STK_BODY, { TransactionDesc: 'Lipa na mpesa online' }), SANDBOX),
    );
    assert.equal(parsed.transactionDesc, 'Lipa na mpesa');
  });

  it('treats an absent, null or empty TransactionDesc as none', () => {
    for (const desc of [undefined, null, '']) {
      const parsed = value(
        parseStkPushRequest(with_(STK_BODY, { TransactionDesc: desc }), SANDBOX),
      );
      assert.equal(parsed.transactionDesc, null);
    }
  });

  it('normalises local phone formats to 254...', () => {
    const parsed = value(
      parseStkPushRequest(with_(STK_BODY, { PhoneNumber: '0722111111' }), SANDBOX),
    );
    assert.equal(parsed.phoneNumber, '254722111111');
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    ['missing shortcode', { BusinessShortCode: undefined }, 'BusinessShortCode'],
    ['shortcode of letters', { BusinessShortCode: 'abc' }, 'BusinessShortCode'],
    ['shortcode too short', { BusinessShortCode: 1234 }, 'BusinessShortCode'],
    ['shortcode with a leading zero', { BusinessShortCode: '017437' }, 'BusinessShortCode'],
    ['shortcode as a boolean', { BusinessShortCode: true }, 'BusinessShortCode'],
    ['missing password', { Password: undefined }, 'Password'],
    ['password not base64', { Password: 'not base64!' }, 'Password'],
    ['30 February', { Timestamp: '20210230092408' }, 'Timestamp'],
    ['13-digit timestamp', { Timestamp: '2021062809240' }, 'Timestamp'],
    ['hour 24', { Timestamp: '20210628240000' }, 'Timestamp'],
    ['ISO timestamp', { Timestamp: '2021-06-28T09:24:08Z' }, 'Timestamp'],
    [
      'lower-case transaction type',
      { TransactionType: 'customerpaybillonline' },
      'TransactionType',
    ],
    ['zero amount', { Amount: 0 }, 'Amount'],
    ['zero amount as text', { Amount: '0' }, 'Amount'],
    ['negative amount', { Amount: -5 }, 'Amount'],
    ['negative amount as text', { Amount: '-5' }, 'Amount'],
    ['fractional amount', { Amount: 1.5 }, 'Amount'],
    ['fractional amount as text', { Amount: '1.50' }, 'Amount'],
    ['amount in exponent form', { Amount: '1e3' }, 'Amount'],
    ['amount with leading zero', { Amount: '010' }, 'Amount'],
    ['amount with spaces', { Amount: ' 10' }, 'Amount'],
    ['empty amount', { Amount: '' }, 'Amount'],
    ['amount as an object', { Amount: { value: 1 } }, 'Amount'],
    ['huge amount', { Amount: 1e12 }, 'Amount'],
    ['infinite amount', { Amount: Number.POSITIVE_INFINITY }, 'Amount'],
    ['11-digit phone', { PartyA: '25472200000' }, 'PartyA'],
    ['non-mobile phone', { PartyA: '254202000000' }, 'PartyA'],
    ['phone with a plus', { PhoneNumber: '+254722111111' }, 'PhoneNumber'],
    ['phone of letters', { PhoneNumber: 'twenty' }, 'PhoneNumber'],
    [
      'callback with a forbidden word',
      { CallBackURL: 'https://mydomain.com/mpesa/cb' },
      'CallBackURL',
    ],
    ['callback over plain http', { CallBackURL: 'http://mydomain.com/path' }, 'CallBackURL'],
    ['callback to loopback', { CallBackURL: 'https://127.0.0.1/path' }, 'CallBackURL'],
    ['relative callback', { CallBackURL: '/path' }, 'CallBackURL'],
    ['account reference of 13', { AccountReference: 'A'.repeat(13) }, 'AccountReference'],
    ['empty account reference', { AccountReference: '' }, 'AccountReference'],
    ['control character', { AccountReference: 'ref\u0000' }, 'AccountReference'],
    ['transaction desc of 101', { TransactionDesc: 'D'.repeat(101) }, 'TransactionDesc'],
  ];
  for (const [name, changes, field] of refusals) {
    it(`refuses ${name} as Invalid ${field}`, () => {
      assertFieldError(parseStkPushRequest(with_(STK_BODY, changes), PRODUCTION), field);
    });
  }

  it('reports the first bad field in Daraja order', () => {
    const body = with_(STK_BODY, { BusinessShortCode: 'x', Amount: 0 });
    assertFieldError(parseStkPushRequest(body, PRODUCTION), 'BusinessShortCode');
  });

  it('allows plain-http loopback callbacks in sandbox only', () => {
    const body = with_(STK_BODY, { CallBackURL: 'http://localhost:3000/cb' });
    assert.equal(value(parseStkPushRequest(body, SANDBOX)).callbackUrl, 'http://localhost:3000/cb');
    assertFieldError(parseStkPushRequest(body, PRODUCTION), 'CallBackURL');
  });

  it('answers a body that is not a JSON object with 400.002.05', () => {
    for (const raw of [null, [], 'text', 42, undefined]) {
      const parsed = parseStkPushRequest(raw, SANDBOX);
      assert.equal(parsed.ok, false);
      if (parsed.ok) continue;
      assert.equal(parsed.error.kind, 'invalid_payload');
      assert.equal(inputErrorReply(parsed.error, 'r').body.errorCode, '400.002.05');
      assert.equal(inputErrorReply(parsed.error, 'r').httpStatus, 400);
    }
  });

  it('refuses a body with absurdly many keys', () => {
    const body: Record<string, unknown> = { ...STK_BODY };
    for (let i = 0; i < 100; i++) body[`extra${i}`] = i;
    const parsed = parseStkPushRequest(body, SANDBOX);
    assert.equal(parsed.ok ? null : parsed.error.kind, 'invalid_payload');
  });

  it('ignores inherited properties (no prototype tricks)', () => {
    const body = Object.create({ Amount: 5 });
    Object.assign(body, with_(STK_BODY, { Amount: undefined }));
    assertFieldError(parseStkPushRequest(body, SANDBOX), 'Amount');
  });
});

describe('parseStkQueryRequest', () => {
  const body = {
    BusinessShortCode: '174379',
    Password: DOCS_PASSWORD,
    Timestamp: '20210628092408',
    CheckoutRequestID: 'ws_CO_260520211133524545',
  };
  it('reads the docs sample', () => {
    const parsed = value(parseStkQueryRequest(body));
    assert.equal(parsed.checkoutRequestId, 'ws_CO_260520211133524545');
    assert.equal(parsed.timestamp.text, '20210628092408');
  });
  it('refuses a missing or odd CheckoutRequestID', () => {
    assertFieldError(
      parseStkQueryRequest(with_(body, { CheckoutRequestID: undefined })),
      'CheckoutRequestID',
    );
    assertFieldError(
      parseStkQueryRequest(with_(body, { CheckoutRequestID: 'ws CO' })),
      'CheckoutRequestID',
    );
    assertFieldError(
      parseStkQueryRequest(with_(body, { CheckoutRequestID: 'w'.repeat(65) })),
      'CheckoutRequestID',
    );
  });
});

describe('C2B register URL and simulate', () => {
  const register = {
    ShortCode: '600984',
    ResponseType: 'Completed',
    ConfirmationURL: 'https://mydomain.com/confirmation',
    ValidationURL: 'https://mydomain.com/validation',
  };
  it('reads the register sample', () => {
    assert.deepEqual(value(parseC2bRegisterUrlRequest(register, PRODUCTION)), {
      shortcode: '600984',
      responseType: 'Completed',
      confirmationUrl: 'https://mydomain.com/confirmation',
      validationUrl: 'https://mydomain.com/validation',
    });
  });
  it('accepts only Completed or Cancelled, spelled exactly', () => {
    assert.equal(
      value(parseC2bRegisterUrlRequest(with_(register, { ResponseType: 'Cancelled' }), SANDBOX))
        .responseType,
      'Cancelled',
    );
    assertFieldError(
      parseC2bRegisterUrlRequest(with_(register, { ResponseType: 'completed' }), SANDBOX),
      'ResponseType',
    );
    assertFieldError(
      parseC2bRegisterUrlRequest(with_(register, { ResponseType: 'Canceled' }), SANDBOX),
      'ResponseType',
    );
  });
  it('checks both URLs', () => {
    const bad = with_(register, { ValidationURL: 'https://mydomain.com/exec' });
    assertFieldError(parseC2bRegisterUrlRequest(bad, SANDBOX), 'ValidationURL');
    assertFieldError(
      parseC2bRegisterUrlRequest(with_(register, { ConfirmationURL: 7 }), SANDBOX),
      'ConfirmationURL',
    );
  });

  const simulate = {
    ShortCode: 600984,
    CommandID: 'CustomerPayBillOnline',
    Amount: 1,
    Msisdn: 254708374149,
    BillRefNumber: 'Test Ref',
  };
  it('reads the simulate sample (numbers, Msisdn casing)', () => {
    assert.deepEqual(value(parseC2bSimulateRequest(simulate, SANDBOX)), {
      shortcode: '600984',
      commandId: 'CustomerPayBillOnline',
      amountCents: 100,
      msisdn: '254708374149',
      billRefNumber: 'Test Ref',
    });
  });
  it('takes MSISDN as a variant spelling and a null BillRefNumber for tills', () => {
    const till = with_(simulate, {
      Msisdn: undefined,
      MSISDN: '254708374149',
      CommandID: 'CustomerBuyGoodsOnline',
      BillRefNumber: null,
    });
    const parsed = value(parseC2bSimulateRequest(till, SANDBOX));
    assert.equal(parsed.msisdn, '254708374149');
    assert.equal(parsed.billRefNumber, null);
  });
  it('refuses a bad CommandID, amount or account number', () => {
    assertFieldError(
      parseC2bSimulateRequest(with_(simulate, { CommandID: 'SalaryPayment' }), SANDBOX),
      'CommandID',
    );
    assertFieldError(parseC2bSimulateRequest(with_(simulate, { Amount: 0.5 }), SANDBOX), 'Amount');
    assertFieldError(
      parseC2bSimulateRequest(with_(simulate, { BillRefNumber: 'R'.repeat(21) }), SANDBOX),
      'BillRefNumber',
    );
    assertFieldError(
      parseC2bSimulateRequest(with_(simulate, { Msisdn: undefined }), SANDBOX),
      'Msisdn',
    );
  });
});

const B2C_V3 = {
  OriginatorConversationID: '600997_Test_32et3241ed8yu',
  InitiatorName: 'testapi',
  SecurityCredential: CREDENTIAL,
  CommandID: 'BusinessPayment',
  Amount: 10,
  PartyA: 600996,
  PartyB: 254728762287,
  Remarks: 'here are my remarks',
  QueueTimeOutURL: 'https://mydomain.com/b2c/queue',
  ResultURL: 'https://mydomain.com/b2c/result',
  Occassion: 'Christmas',
};

describe('B2C v1/v3 and Business to Pochi', () => {
  it('reads a v3 request, Occassion spelled as Safaricom does', () => {
    assert.deepEqual(value(parseB2cRequest(B2C_V3, PRODUCTION, 3)), {
      version: 3,
      originatorConversationId: '600997_Test_32et3241ed8yu',
      initiatorName: 'testapi',
      securityCredential: CREDENTIAL,
      commandId: 'BusinessPayment',
      amountCents: 1000,
      partyA: '600996',
      partyB: '254728762287',
      remarks: 'here are my remarks',
      queueTimeOutUrl: 'https://mydomain.com/b2c/queue',
      resultUrl: 'https://mydomain.com/b2c/result',
      occasion: 'Christmas',
    });
  });
  it('accepts Occasion for Occassion and QueueTimeoutURL for QueueTimeOutURL', () => {
    const variant = with_(B2C_V3, {
      Occassion: undefined,
      Occasion: 'Eid',
      QueueTimeOutURL: undefined,
      QueueTimeoutURL: 'https://mydomain.com/q',
    });
    const parsed = value(parseB2cRequest(variant, PRODUCTION, 3));
    assert.equal(parsed.occasion, 'Eid');
    assert.equal(parsed.queueTimeOutUrl, 'https://mydomain.com/q');
  });
  it('reads v1 without OriginatorConversationID', () => {
    const v1 = with_(B2C_V3, {
      OriginatorConversationID: undefined,
      Occassion: undefined,
      Occasion: 'x',
    });
    const parsed = value(parseB2cRequest(v1, PRODUCTION, 1));
    assert.equal(parsed.version, 1);
    assert.equal(parsed.originatorConversationId, null);
    assert.equal(parsed.occasion, 'x');
  });
  it('requires OriginatorConversationID in v3', () => {
    assertFieldError(
      parseB2cRequest(with_(B2C_V3, { OriginatorConversationID: undefined }), PRODUCTION, 3),
      'OriginatorConversationID',
    );
    assertFieldError(
      parseB2cRequest(with_(B2C_V3, { OriginatorConversationID: 'has space' }), PRODUCTION, 3),
      'OriginatorConversationID',
    );
  });
  const refusals: [string, Record<string, unknown>, string][] = [
    ['a Pochi CommandID', { CommandID: 'BusinessPayToPochi' }, 'CommandID'],
    ['one-character remarks', { Remarks: 'x' }, 'Remarks'],
    ['101-character remarks', { Remarks: 'r'.repeat(101) }, 'Remarks'],
    ['a credential that is not base64', { SecurityCredential: '***' }, 'SecurityCredential'],
    ['an oversized credential', { SecurityCredential: 'A'.repeat(1028) }, 'SecurityCredential'],
    ['a landline PartyB', { PartyB: '254202000000' }, 'PartyB'],
    ['a shortcode of letters', { PartyA: 'B2C' }, 'PartyA'],
    ['a missing result URL', { ResultURL: undefined }, 'ResultURL'],
    ['an over-long occasion', { Occassion: 'o'.repeat(101) }, 'Occassion'],
    ['a missing initiator', { InitiatorName: undefined }, 'InitiatorName'],
  ];
  for (const [name, changes, field] of refusals) {
    it(`refuses ${name}`, () => {
      assertFieldError(parseB2cRequest(with_(B2C_V3, changes), PRODUCTION, 3), field);
    });
  }
  it('Business to Pochi takes only BusinessPayToPochi', () => {
    const pochi = with_(B2C_V3, { CommandID: 'BusinessPayToPochi' });
    assert.equal(
      value(parseBusinessToPochiRequest(pochi, PRODUCTION)).commandId,
      'BusinessPayToPochi',
    );
    assertFieldError(parseBusinessToPochiRequest(B2C_V3, PRODUCTION), 'CommandID');
  });
});

const B2B_BODY = {
  Initiator: 'API_Username',
  SecurityCredential: CREDENTIAL,
  'Command ID': 'BusinessPayBill',
  SenderIdentifierType: '4',
  RecieverIdentifierType: 4,
  Amount: 239,
  PartyA: 123456,
  PartyB: 600000,
  AccountReference: '353353',
  Requester: '254700000000',
  Remarks: 'OK',
  QueueTimeOutURL: 'https://mydomain.com/b2b/queue/',
  ResultURL: 'https://mydomain.com/b2b/result/',
  Occassion: '',
};

describe('B2B family', () => {
  it('reads a Business Pay Bill request, with the docs\' spaced "Command ID"', () => {
    assert.deepEqual(value(parseB2bRequest(B2B_BODY, PRODUCTION)), {
      initiator: 'API_Username',
      securityCredential: CREDENTIAL,
      commandId: 'BusinessPayBill',
      senderIdentifierType: '4',
      receiverIdentifierType: '4',
      amountCents: 23900,
      partyA: '123456',
      partyB: '600000',
      accountReference: '353353',
      requester: '254700000000',
      remarks: 'OK',
      queueTimeOutUrl: 'https://mydomain.com/b2b/queue/',
      resultUrl: 'https://mydomain.com/b2b/result/',
      occasion: null,
    });
  });
  it('requires an account reference for Pay Bill but not for Buy Goods or top-up', () => {
    assertFieldError(
      parseBusinessPayBillRequest(with_(B2B_BODY, { AccountReference: undefined }), PRODUCTION),
      'AccountReference',
    );
    const buyGoods = with_(B2B_BODY, {
      'Command ID': 'BusinessBuyGoods',
      AccountReference: undefined,
      RecieverIdentifierType: '2',
    });
    const parsed = value(parseBusinessBuyGoodsRequest(buyGoods, PRODUCTION));
    assert.equal(parsed.accountReference, null);
    assert.equal(parsed.receiverIdentifierType, '2');
    const topUp = with_(B2B_BODY, {
      'Command ID': 'BusinessPayToBulk',
      AccountReference: undefined,
    });
    assert.equal(
      value(parseB2cAccountTopUpRequest(topUp, PRODUCTION)).commandId,
      'BusinessPayToBulk',
    );
  });
  it('accepts the correctly spelled ReceiverIdentifierType too', () => {
    const body = with_(B2B_BODY, {
      RecieverIdentifierType: undefined,
      ReceiverIdentifierType: '4',
    });
    assert.equal(value(parseB2bRequest(body, PRODUCTION)).receiverIdentifierType, '4');
  });
  const refusals: [string, Record<string, unknown>, string][] = [
    ['a sender type other than 4', { SenderIdentifierType: '1' }, 'SenderIdentifierType'],
    [
      'a till receiver type for Pay Bill',
      { RecieverIdentifierType: '2' },
      'RecieverIdentifierType',
    ],
    ['a 14-character account reference', { AccountReference: 'A'.repeat(14) }, 'AccountReference'],
    ['a requester that is not a phone', { Requester: 'abc' }, 'Requester'],
    ['an unknown command', { 'Command ID': 'PayTaxToKRA' }, 'CommandID'],
    ['a missing amount', { Amount: undefined }, 'Amount'],
  ];
  for (const [name, changes, field] of refusals) {
    it(`refuses ${name}`, () => {
      assertFieldError(parseB2bRequest(with_(B2B_BODY, changes), PRODUCTION), field);
    });
  }
  it('keeps each specific parser to its own CommandID', () => {
    const buyGoods = with_(B2B_BODY, { 'Command ID': 'BusinessBuyGoods' });
    assertFieldError(parseBusinessPayBillRequest(buyGoods, PRODUCTION), 'CommandID');
    assertFieldError(parseBusinessBuyGoodsRequest(B2B_BODY, PRODUCTION), 'CommandID');
  });
  it('tax remittance pays the tax authority only', () => {
    const tax = with_(B2B_BODY, { 'Command ID': 'PayTaxToKRA', PartyB: 572572 });
    assert.equal(value(parseTaxRemittanceRequest(tax, PRODUCTION)).partyB, '572572');
    assertFieldError(
      parseTaxRemittanceRequest(with_(tax, { PartyB: 600000 }), PRODUCTION),
      'PartyB',
    );
    assertFieldError(
      parseTaxRemittanceRequest(with_(tax, { AccountReference: undefined }), PRODUCTION),
      'AccountReference',
    );
    const elsewhere = { ...PRODUCTION, taxAuthorityShortcode: '600000' };
    assert.equal(
      value(parseTaxRemittanceRequest(with_(tax, { PartyB: 600000 }), elsewhere)).partyB,
      '600000',
    );
  });
});

describe('transaction status, account balance, reversal', () => {
  const status = {
    Initiator: 'testapi',
    SecurityCredential: CREDENTIAL,
    'Command ID': 'TransactionStatusQuery',
    'Transaction ID': 'NEF61H8J60',
    OriginalConversationID: '7071-4170-a0e4-8345632bad442',
    PartyA: '600782',
    IdentifierType: '4',
    ResultURL: 'https://mydomain.com/TransactionStatus/result/',
    QueueTimeOutURL: 'https://mydomain.com/TransactionStatus/queue/',
    Remarks: 'OK',
    Occasion: 'OK',
  };
  it('reads a status query by receipt, spaced keys included', () => {
    assert.deepEqual(value(parseTransactionStatusRequest(status, PRODUCTION)), {
      initiator: 'testapi',
      securityCredential: CREDENTIAL,
      commandId: 'TransactionStatusQuery',
      transactionId: 'NEF61H8J60',
      originalConversationId: null,
      partyA: '600782',
      identifierType: '4',
      resultUrl: 'https://mydomain.com/TransactionStatus/result/',
      queueTimeOutUrl: 'https://mydomain.com/TransactionStatus/queue/',
      remarks: 'OK',
      occasion: 'OK',
    });
  });
  it('reads a status query by OriginalConversationID, and an MSISDN PartyA for type 1', () => {
    const body = with_(status, {
      'Transaction ID': undefined,
      PartyA: 254708374149,
      IdentifierType: 1,
    });
    const parsed = value(parseTransactionStatusRequest(body, PRODUCTION));
    assert.equal(parsed.transactionId, null);
    assert.equal(parsed.originalConversationId, '7071-4170-a0e4-8345632bad442');
    assert.equal(parsed.partyA, '254708374149');
  });
  it('needs one of TransactionID or OriginalConversationID, and a known IdentifierType', () => {
    const neither = with_(status, {
      'Transaction ID': undefined,
      OriginalConversationID: undefined,
    });
    assertFieldError(parseTransactionStatusRequest(neither, PRODUCTION), 'TransactionID');
    assertFieldError(
      parseTransactionStatusRequest(with_(status, { 'Transaction ID': 'SHORT' }), PRODUCTION),
      'TransactionID',
    );
    assertFieldError(
      parseTransactionStatusRequest(with_(status, { IdentifierType: '3' }), PRODUCTION),
      'IdentifierType',
    );
    assertFieldError(
      parseTransactionStatusRequest(with_(status, { 'Command ID': 'AccountBalance' }), PRODUCTION),
      'CommandID',
    );
  });

  const balance = {
    Initiator: 'testapi',
    SecurityCredential: CREDENTIAL,
    CommandID: 'AccountBalance',
    PartyA: 600000,
    IdentifierType: '4',
    Remarks: 'ok',
    QueueTimeOutURL: 'https://mydomain.com/AccountBalance/queue/',
    ResultURL: 'https://mydomain.com/AccountBalance/result/',
  };
  it('reads an account balance query', () => {
    assert.deepEqual(value(parseAccountBalanceRequest(balance, PRODUCTION)), {
      initiator: 'testapi',
      securityCredential: CREDENTIAL,
      commandId: 'AccountBalance',
      partyA: '600000',
      identifierType: '4',
      remarks: 'ok',
      queueTimeOutUrl: 'https://mydomain.com/AccountBalance/queue/',
      resultUrl: 'https://mydomain.com/AccountBalance/result/',
    });
    assertFieldError(
      parseAccountBalanceRequest(with_(balance, { IdentifierType: '1' }), PRODUCTION),
      'IdentifierType',
    );
    assertFieldError(
      parseAccountBalanceRequest(with_(balance, { Remarks: undefined }), PRODUCTION),
      'Remarks',
    );
  });

  const reversal = {
    Initiator: 'testapi',
    SecurityCredential: CREDENTIAL,
    CommandID: 'TransactionReversal',
    TransactionID: 'pdu91hivit',
    Amount: 200,
    ReceiverParty: 603021,
    RecieverIdentifierType: '11',
    ResultURL: 'https://mydomain.com/reversal/result',
    QueueTimeOutURL: 'https://mydomain.com/reversal/queue',
    Remarks: 'Payment reversal',
    Occasion: '',
  };
  it('reads a reversal, upper-casing the receipt', () => {
    assert.deepEqual(value(parseReversalRequest(reversal, PRODUCTION)), {
      initiator: 'testapi',
      securityCredential: CREDENTIAL,
      commandId: 'TransactionReversal',
      transactionId: 'PDU91HIVIT',
      amountCents: 20000,
      receiverParty: '603021',
      receiverIdentifierType: '11',
      resultUrl: 'https://mydomain.com/reversal/result',
      queueTimeOutUrl: 'https://mydomain.com/reversal/queue',
      remarks: 'Payment reversal',
      occasion: null,
    });
  });
  it('accepts ReceiverIdentifierType (the spelling that fails on Daraja) and the older "4"', () => {
    const body = with_(reversal, {
      RecieverIdentifierType: undefined,
      ReceiverIdentifierType: '4',
    });
    assert.equal(value(parseReversalRequest(body, PRODUCTION)).receiverIdentifierType, '4');
    assertFieldError(
      parseReversalRequest(with_(reversal, { RecieverIdentifierType: '1' }), PRODUCTION),
      'RecieverIdentifierType',
    );
    assertFieldError(
      parseReversalRequest(with_(reversal, { TransactionID: 'PDU91HI-IT' }), PRODUCTION),
      'TransactionID',
    );
    assertFieldError(
      parseReversalRequest(with_(reversal, { Amount: '200.5' }), PRODUCTION),
      'Amount',
    );
  });
});

describe('pull transactions and dynamic QR', () => {
  it('reads a pull registration', () => {
    const body = {
      ShortCode: '600000',
      RequestType: 'Pull',
      NominatedNumber: '0722000000',
      CallBackURL: 'https://mydomain.com/pull',
    };
    assert.deepEqual(value(parsePullRegisterRequest(body, PRODUCTION)), {
      shortcode: '600000',
      requestType: 'Pull',
      nominatedNumber: '254722000000',
      callbackUrl: 'https://mydomain.com/pull',
    });
    assertFieldError(
      parsePullRegisterRequest({ ...body, RequestType: 'Push' }, PRODUCTION),
      'RequestType',
    );
  });
  const query = {
    ShortCode: '600000',
    StartDate: '2020-08-04 8:36:00',
    EndDate: '2020-08-16 10:10:00',
    OffSetValue: '0',
  };
  it('reads a pull query in Nairobi wall-clock time', () => {
    assert.deepEqual(value(parsePullQueryRequest(query, PRODUCTION)), {
      shortcode: '600000',
      startMs: Date.UTC(2020, 7, 4, 5, 36, 0),
      endMs: Date.UTC(2020, 7, 16, 7, 10, 0),
      offset: 0,
    });
  });
  it('refuses bad dates, an inverted period and a negative offset', () => {
    assertFieldError(
      parsePullQueryRequest({ ...query, StartDate: '2020-02-30 08:00:00' }, PRODUCTION),
      'StartDate',
    );
    assertFieldError(
      parsePullQueryRequest({ ...query, EndDate: '2020-08-01 00:00:00' }, PRODUCTION),
      'EndDate',
    );
    assertFieldError(
      parsePullQueryRequest({ ...query, OffSetValue: '-1' }, PRODUCTION),
      'OffSetValue',
    );
  });
  const qr = {
    MerchantName: 'TEST SUPERMARKET',
    RefNo: 'Invoice Test',
    Amount: 1,
    TrxCode: 'BG',
    CPI: '373132',
    Size: '300',
  };
  it('reads a dynamic QR request', () => {
    assert.deepEqual(value(parseDynamicQrRequest(qr, PRODUCTION)), {
      merchantName: 'TEST SUPERMARKET',
      refNo: 'Invoice Test',
      amountCents: 100,
      trxCode: 'BG',
      cpi: '373132',
      sizePixels: 300,
    });
    assert.equal(
      value(parseDynamicQrRequest({ ...qr, TrxCode: 'SM', CPI: '0722000000' }, PRODUCTION)).cpi,
      '254722000000',
    );
  });
  it('refuses an unknown TrxCode and out-of-range sizes', () => {
    assertFieldError(parseDynamicQrRequest({ ...qr, TrxCode: 'XX' }, PRODUCTION), 'TrxCode');
    assertFieldError(parseDynamicQrRequest({ ...qr, Size: '50' }, PRODUCTION), 'Size');
    assertFieldError(parseDynamicQrRequest({ ...qr, Size: '2000' }, PRODUCTION), 'Size');
  });
});

describe('OAuth and bearer tokens', () => {
  const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;
  it('reads client credentials, splitting at the first colon', () => {
    const parsed = parseOAuthRequest({
      grantType: 'client_credentials',
      authorization: basic('key:sec:ret'),
    });
    assert.deepEqual(value(parsed), { consumerKey: 'key', consumerSecret: 'sec:ret' });
    const asArrays = parseOAuthRequest({
      grantType: ['client_credentials'],
      authorization: [basic('k:s')],
    });
    assert.deepEqual(value(asArrays), { consumerKey: 'k', consumerSecret: 's' });
  });
  it('answers a wrong grant type with 400.008.02', () => {
    for (const grantType of [undefined, 'password', ['client_credentials', 'x']]) {
      const parsed = parseOAuthRequest({ grantType, authorization: basic('k:s') });
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.equal(inputErrorReply(parsed.error, 'r').body.errorCode, '400.008.02');
    }
  });
  it('answers missing or unreadable Basic credentials with 400.008.01', () => {
    for (const authorization of [
      undefined,
      'Bearer abc',
      'Basic !!!',
      basic('nocolon'),
      basic(':secret'),
      'Basic',
      `Basic ${'A'.repeat(2000)}`,
    ]) {
      const parsed = parseOAuthRequest({ grantType: 'client_credentials', authorization });
      assert.equal(parsed.ok, false, String(authorization));
      if (!parsed.ok) {
        const reply = inputErrorReply(parsed.error, 'r');
        assert.equal(reply.body.errorCode, '400.008.01');
        assert.equal(reply.httpStatus, 400);
      }
    }
  });
  it('reads a Bearer token and answers its absence with 404.001.04', () => {
    assert.equal(
      value(parseBearerToken('Bearer c9SQxWWhmdVRlyh0zh8gZDTkubVF')),
      'c9SQxWWhmdVRlyh0zh8gZDTkubVF',
    );
    assert.equal(value(parseBearerToken('bearer abc')), 'abc');
    for (const header of [undefined, '', 'Basic abc', 'Bearer ', 'Bearer a b']) {
      const parsed = parseBearerToken(header);
      assert.equal(parsed.ok, false);
      if (!parsed.ok)
        assert.deepEqual(inputErrorReply(parsed.error, 'r').body.errorCode, '404.001.04');
    }
  });
});

describe('parseC2bValidationAnswer', () => {
  it('accepts 0 in every spelling', () => {
    for (const code of [0, '0', '00000000']) {
      assert.deepEqual(
        value(parseC2bValidationAnswer({ ResultCode: code, ResultDesc: 'Accepted' })),
        {
          accepted: true,
          thirdPartyTransId: null,
        },
      );
    }
  });
  it('reads a rejection and the ThirdPartyTransID', () => {
    const answer = { ResultCode: 'C2B00012', ResultDesc: 'Rejected', ThirdPartyTransID: 'inv-42' };
    assert.deepEqual(value(parseC2bValidationAnswer(answer)), {
      accepted: false,
      resultCode: 'C2B00012',
      thirdPartyTransId: 'inv-42',
    });
  });
  it('reports an unreadable answer so the ResponseType default can apply', () => {
    assert.equal(parseC2bValidationAnswer({}).ok, false);
    assert.equal(parseC2bValidationAnswer('OK').ok, false);
    assert.equal(parseC2bValidationAnswer({ ResultCode: 'C2B 0001' }).ok, false);
  });
});
