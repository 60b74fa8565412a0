import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DarajaInputError,
  GATEWAY_ERRORS,
  gatewayErrorReply,
  inputErrorReply,
  invalidAccessTokenError,
  invalidField,
  REQUEST_ID_CHARS_MAX,
  RESULT_CODES,
  STATUS_DIFFERENCES,
} from './errors.ts';

describe('gateway errors', () => {
  it('builds the body of the reference sample exactly', () => {
    const reply = gatewayErrorReply(
      invalidField('BusinessShortCode'),
      '1c5b-4ba8-815c-ac45c57a3db01495926',
    );
    assert.deepStrictEqual(reply, {
      httpStatus: 400,
      body: {
        requestId: '1c5b-4ba8-815c-ac45c57a3db01495926',
        errorCode: '400.002.02',
        errorMessage: 'Bad Request - Invalid BusinessShortCode',
      },
    });
  });

  it('keeps every HTTP status equal to its errorCode prefix, except the documented differences', () => {
    const differences = new Map(STATUS_DIFFERENCES.map((d) => [d.error as string, d]));
    for (const [name, spec] of Object.entries(GATEWAY_ERRORS)) {
      const difference = differences.get(name);
      const expected = difference === undefined ? spec.httpStatus : difference.darajaStatus;
      assert.equal(spec.errorCode.slice(0, 3), String(expected), name);
      if (difference !== undefined) assert.notEqual(spec.httpStatus, difference.darajaStatus, name);
    }
  });

  it("answers a client's fault with a 4xx, never a 5xx", () => {
    const serverFaults = new Set(['internalServerError', 'systemBusy']);
    for (const [name, spec] of Object.entries(GATEWAY_ERRORS)) {
      if (serverFaults.has(name)) assert.ok(spec.httpStatus >= 500, name);
      else assert.ok(spec.httpStatus >= 400 && spec.httpStatus < 500, name);
    }
    assert.equal(GATEWAY_ERRORS.spikeArrestViolation.httpStatus, 429);
    assert.equal(GATEWAY_ERRORS.spikeArrestViolation.errorCode, '500.003.02');
  });

  it('uses the exact Daraja messages partners match on', () => {
    assert.equal(GATEWAY_ERRORS.wrongCredentials.errorMessage, 'Wrong credentials');
    assert.equal(GATEWAY_ERRORS.spikeArrestViolation.errorCode, '500.003.02');
    assert.equal(
      GATEWAY_ERRORS.duplicateOriginatorConversationId.errorMessage,
      'Duplicate OriginatorConversationID',
    );
    assert.equal(GATEWAY_ERRORS.invalidGrantType.errorCode, '400.008.02');
  });

  it('answers an invalid token with the code of each API family', () => {
    assert.equal(invalidAccessTokenError('stkPush').errorCode, '404.001.03');
    assert.equal(invalidAccessTokenError('reversal').errorCode, '404.001.03');
    assert.equal(invalidAccessTokenError('c2bRegisterUrl').errorCode, '400.003.01');
    assert.equal(invalidAccessTokenError('transactionStatus').errorCode, '400.003.01');
    assert.equal(invalidAccessTokenError('accountBalance').errorCode, '401.002.01');
    assert.equal(invalidAccessTokenError('accountBalance').httpStatus, 401);
  });

  it('never echoes partner text in a field error, and bounds the requestId', () => {
    assert.equal(invalidField('<script>').errorMessage, 'Bad Request - Invalid ');
    assert.equal(
      gatewayErrorReply(GATEWAY_ERRORS.badRequest, 'r'.repeat(500)).body.requestId.length,
      REQUEST_ID_CHARS_MAX,
    );
  });

  it('maps every input error to a 4xx', () => {
    const errors: DarajaInputError[] = [
      { kind: 'invalid_field', field: 'Amount', reason: 'x' },
      { kind: 'invalid_payload', reason: 'x' },
      { kind: 'invalid_grant_type', reason: 'x' },
      { kind: 'invalid_authentication_type', reason: 'x' },
      { kind: 'invalid_authentication_header', reason: 'x' },
    ];
    const codes = errors.map((e) => inputErrorReply(e, 'r'));
    for (const reply of codes) assert.ok(reply.httpStatus >= 400 && reply.httpStatus < 500);
    assert.deepStrictEqual(
      codes.map((r) => r.body.errorCode),
      ['400.002.02', '400.002.05', '400.008.02', '400.008.01', '404.001.04'],
    );
  });
});

describe('result codes', () => {
  it('carries the reference codes with their types', () => {
    assert.deepStrictEqual(RESULT_CODES.cancelledByUser, {
      code: 1032,
      desc: 'Request cancelled by user',
    });
    assert.equal(RESULT_CODES.initiatorInformationInvalid.code, 2001);
    assert.equal(RESULT_CODES.securityCredentialLocked.code, 8006);
    assert.equal(RESULT_CODES.customerTypeNotSupported.code, 2040);
    assert.equal(RESULT_CODES.originalTransactionInvalid.code, 'R000002');
    assert.equal(RESULT_CODES.operatorDoesNotExist.code, 'SFC_IC0003');
  });

  it('gives each code one meaning, except 17 (Daraja uses it twice) and 2006 (risk declines)', () => {
    const byCode = new Map<string, string[]>();
    for (const [name, spec] of Object.entries(RESULT_CODES)) {
      byCode.set(String(spec.code), [...(byCode.get(String(spec.code)) ?? []), name]);
    }
    const shared = [...byCode.entries()].filter(([, names]) => names.length > 1);
    // 2006 "Declined due to … rule" also carries Malipo's risk decisions, each with its own text.
    assert.deepStrictEqual(shared, [
      ['17', ['internalFailure', 'ruleLimited']],
      [
        '2006',
        ['accountStatusDisallows', 'declinedByRisk', 'verificationRequired', 'rejectedAfterReview'],
      ],
    ]);
  });
});
