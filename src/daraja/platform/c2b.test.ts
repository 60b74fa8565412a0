import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { orgAccountId } from '../../payments/accounts.ts';
import { formatCompactTimestamp } from '../time.ts';
import {
  accessToken,
  darajaCall,
  errorOf,
  type Receiver,
  startReceiver,
  startTestServer,
  stkAuth,
  type TestServer,
  waitFor,
} from './testing/harness.ts';

describe('C2B register URL, simulate, validation and confirmation', { timeout: 120_000 }, () => {
  let server: TestServer;
  let receiver: Receiver;
  let call: ReturnType<typeof darajaCall>;

  before(async () => {
    server = await startTestServer({ platform: { c2bValidationTimeoutMs: 300 } });
    receiver = await startReceiver();
    const token = await accessToken(
      server,
      server.sandbox.consumerKey,
      server.sandbox.consumerSecret,
    );
    call = darajaCall(server, token);
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  const register = (
    version: 1 | 2,
    responseType: string,
    prefix: string,
    shortcode: string | number = 600000,
  ) =>
    call(`/mpesa/c2b/v${version}/registerurl`, {
      ShortCode: shortcode,
      ResponseType: responseType,
      ConfirmationURL: `${receiver.url}${prefix}/confirmation`,
      ValidationURL: `${receiver.url}${prefix}/validation`,
    });
  const simulate = (version: 1 | 2, changes: Record<string, unknown> = {}) =>
    call(`/mpesa/c2b/v${version}/simulate`, {
      ShortCode: 600000,
      CommandID: 'CustomerPayBillOnline',
      Amount: 5,
      Msisdn: 254708374149,
      BillRefNumber: 'Sample Transaction',
      ...changes,
    });
  const utilityCents = async () => {
    const [a] = await server.ledger.lookupAccounts([orgAccountId('600000', 'utility')]);
    return a!.creditsPosted - a!.debitsPosted - a!.debitsPending;
  };

  it('registers URLs (v1 and v2 answers as in the samples) and confirms a simulated payment', async () => {
    const v1 = await register(1, 'Completed', '/v1');
    assert.equal(v1.status, 200);
    assert.deepEqual(v1.body, {
      OriginatorCoversationID: v1.body.OriginatorCoversationID,
      ResponseCode: '0',
      ResponseDescription: 'success',
    });
    const v2 = await register(2, 'Completed', '/v2');
    assert.deepEqual(v2.body, {
      OriginatorCoversationID: v2.body.OriginatorCoversationID,
      ResponseCode: '0',
      ResponseDescription: 'Success',
    });
    receiver.behave('/v2/validation', {
      answer: { ResultCode: '0', ResultDesc: 'Accepted', ThirdPartyTransID: 'TP-777' },
    });
    const simulatedAtMs = Date.now();
    const simulated = await simulate(2);
    assert.deepEqual(simulated.body, {
      OriginatorCoversationID: simulated.body.OriginatorCoversationID,
      ResponseCode: '0',
      ResponseDescription: 'Accept the service request successfully.',
    });
    const [validation] = await receiver.waitFor('/v2/validation');
    const [confirmation] = await receiver.waitFor('/v2/confirmation');
    const body = confirmation!.body as Record<string, string>;
    const [principal] = await server.ledger.lookupTransfers([`${body.TransID}:p`]);
    const balance = ((await utilityCents()) / 100).toFixed(2);
    // TransTime is the payment's time, taken before the ledger commits its transfers: between
    // the request and the commit (often the same second, not always).
    const earliest = formatCompactTimestamp(simulatedAtMs, 180);
    const latest = formatCompactTimestamp(principal!.timestamp / 1000, 180);
    assert.ok(
      body.TransTime! >= earliest && body.TransTime! <= latest,
      `TransTime ${body.TransTime} outside ${earliest}..${latest}`,
    );
    assert.deepEqual(body, {
      TransactionType: 'Pay Bill',
      TransID: body.TransID,
      TransTime: body.TransTime,
      TransAmount: '5.00',
      BusinessShortCode: '600000',
      BillRefNumber: 'Sample Transaction',
      InvoiceNumber: '',
      OrgAccountBalance: balance,
      ThirdPartyTransID: 'TP-777',
      MSISDN: '2547 ***** 149',
      FirstName: 'JOHN',
      MiddleName: '',
      LastName: 'DOE',
    });
    const asked = validation!.body as Record<string, string>;
    assert.equal(asked.OrgAccountBalance, '');
    assert.equal(asked.TransAmount, '5.00');
    assert.equal(asked.ThirdPartyTransID, '');
    const v1simulated = await simulate(1, { Amount: '7' });
    assert.deepEqual(Object.keys(v1simulated.body).sort(), [
      'ConversationID',
      'OriginatorCoversationID',
      'ResponseCode',
      'ResponseDescription',
    ]);
    assert.equal(v1simulated.body.ResponseCode, '0');
    const confirmations = await receiver.waitFor('/v2/confirmation', 2);
    assert.equal((confirmations[1]!.body as Record<string, string>).TransAmount, '7.00');
  });

  it('applies the validator\u2019s rejection, and the registered default when it does not answer', async () => {
    await register(2, 'Completed', '/reject');
    receiver.behave('/reject/validation', {
      answer: { ResultCode: 'C2B00012', ResultDesc: 'Rejected' },
    });
    const before = await utilityCents();
    await simulate(2, { Amount: 11 });
    await receiver.waitFor('/reject/validation');
    await server.platform.idle();
    assert.equal(await utilityCents(), before);
    assert.equal(receiver.attempts.filter((a) => a.path === '/reject/confirmation').length, 0);

    await register(2, 'Completed', '/slow-completed');
    receiver.behave('/slow-completed/validation', { hang: true });
    await simulate(2, { Amount: 12 });
    const [late] = await receiver.waitFor('/slow-completed/confirmation');
    assert.equal((late!.body as Record<string, string>).TransAmount, '12.00');

    await register(2, 'Cancelled', '/slow-cancelled');
    receiver.behave('/slow-cancelled/validation', { hang: true });
    const beforeCancelled = await utilityCents();
    await simulate(2, { Amount: 13 });
    await waitFor('the validation attempt', () =>
      receiver.attempts.some((a) => a.path === '/slow-cancelled/validation'),
    );
    await server.platform.idle();
    assert.equal(await utilityCents(), beforeCancelled);
  });

  it('also confirms an M-Pesa Express payment to the registered shortcode', async () => {
    await register(2, 'Completed', '/stk-c2b');
    const token = await accessToken(
      server,
      server.sandbox.consumerKey,
      server.sandbox.consumerSecret,
    );
    const pushed = await darajaCall(server, token)('/mpesa/stkpush/v1/processrequest', {
      BusinessShortCode: '600000',
      ...stkAuth('600000', server.sandbox.passkey),
      TransactionType: 'CustomerPayBillOnline',
      Amount: 3,
      PartyA: '254711000333',
      PartyB: '600000',
      PhoneNumber: '254711000333',
      CallBackURL: `${receiver.url}/stk-c2b/stk`,
      AccountReference: 'ORDER9',
    });
    assert.equal(pushed.status, 200);
    await server.platform.answerPrompt(String(pushed.body.CheckoutRequestID), { pin: '6048' });
    const [stk] = await receiver.waitFor('/stk-c2b/stk');
    const [confirmation] = await receiver.waitFor('/stk-c2b/confirmation');
    const receipt = (
      stk!.body as { Body: { stkCallback: { CallbackMetadata: { Item: { Value: unknown }[] } } } }
    ).Body.stkCallback.CallbackMetadata.Item[1]!.Value;
    assert.equal((confirmation!.body as Record<string, string>).TransID, receipt);
    assert.equal((confirmation!.body as Record<string, string>).BillRefNumber, 'ORDER9');
  });

  it('refuses malformed registrations and simulations with Daraja errors', async () => {
    const cases: [() => Promise<{ status: number; body: Record<string, unknown> }>, string][] = [
      [() => register(2, 'completed', '/x'), 'Bad Request - Invalid ResponseType'],
      [() => register(2, 'Completed', '/x', 888880), 'Bad Request - Invalid ShortCode'],
      [
        () =>
          call('/mpesa/c2b/v2/registerurl', {
            ShortCode: 600000,
            ResponseType: 'Completed',
            ConfirmationURL: 'https://x.example/sql/c',
            ValidationURL: 'https://x.example/v',
          }),
        'Bad Request - Invalid ConfirmationURL',
      ],
      [
        () =>
          call('/mpesa/c2b/v2/registerurl', {
            ShortCode: 600000,
            ResponseType: 'Completed',
            ConfirmationURL: 'http://10.0.0.1/c',
            ValidationURL: 'https://x.example/v',
          }),
        'Bad Request - Invalid ConfirmationURL',
      ],
      [() => simulate(2, { Msisdn: '254799999999' }), 'Bad Request - Invalid Msisdn'],
      [() => simulate(2, { Msisdn: 'abc' }), 'Bad Request - Invalid Msisdn'],
      [() => simulate(2, { Amount: -1 }), 'Bad Request - Invalid Amount'],
      [() => simulate(2, { BillRefNumber: undefined }), 'Bad Request - Invalid BillRefNumber'],
      [() => simulate(2, { CommandID: 'Steal' }), 'Bad Request - Invalid CommandID'],
      [() => simulate(2, { ShortCode: 888880 }), 'Bad Request - Invalid ShortCode'],
    ];
    for (const [send, message] of cases) {
      const answer = await send();
      assert.equal(answer.status, 400, message);
      assert.equal(errorOf(answer).errorMessage, message);
    }
  });

  it('serves Pull Transactions for the last 48 hours and dynamic QR codes', async () => {
    const pull = {
      ShortCode: '600000',
      RequestType: 'Pull',
      NominatedNumber: '0722000111',
      CallBackURL: `${receiver.url}/pull`,
    };
    const first = await call('/pulltransactions/v1/register', pull);
    assert.equal(first.body.ResponseStatus, '1000');
    const again = await call('/pulltransactions/v1/register', pull);
    assert.deepEqual(again.body, {
      ResponseRefID: again.body.ResponseRefID,
      ResponseCode: '0',
      ResponseStatus: '1001',
      ShortCode: '600000',
      ResponseDescription: 'ShortCode already Registered',
    });
    const wall = (ms: number) =>
      new Date(ms + 180 * 60_000).toISOString().replace('T', ' ').slice(0, 19);
    const query = await call('/pulltransactions/v1/query', {
      ShortCode: '600000',
      StartDate: wall(Date.now() - 3_600_000),
      EndDate: wall(Date.now() + 60_000),
      OffSetValue: '0',
    });
    assert.equal(query.status, 200, JSON.stringify(query.body));
    assert.equal(query.body.ResponseCode, '1000');
    const rows = (query.body.Response as Record<string, unknown>[][])[0]!;
    const row = rows.find((r) => r.amount === '5.0');
    assert.ok(row, JSON.stringify(rows));
    assert.deepEqual(Object.keys(row!), [
      'transactionId',
      'trxDate',
      'msisdn',
      'sender',
      'transactiontype',
      'billreference',
      'amount',
      'organizationname',
    ]);
    assert.equal(row!.msisdn, 254708374149);
    assert.equal(row!.transactiontype, 'c2b-pay-bill-debit');
    const empty = await call('/pulltransactions/v1/query', {
      ShortCode: '600000',
      StartDate: '2020-08-04 8:36:00',
      EndDate: '2020-08-05 8:36:00',
      OffSetValue: 0,
    });
    assert.deepEqual(empty.body.ResponseCode, '1001');
    const qr = await call('/mpesa/qrcode/v1/generate', {
      MerchantName: 'TEST SUPERMARKET',
      RefNo: 'Invoice Test',
      Amount: 1,
      TrxCode: 'BG',
      CPI: '373132',
      Size: '300',
    });
    assert.equal(qr.status, 200, JSON.stringify(qr.body));
    assert.deepEqual(Object.keys(qr.body), [
      'ResponseCode',
      'RequestID',
      'ResponseDescription',
      'QRCode',
    ]);
    assert.equal(qr.body.ResponseDescription, 'QR Code Successfully Generated.');
    const png = Buffer.from(String(qr.body.QRCode), 'base64');
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const badQr = await call('/mpesa/qrcode/v1/generate', {
      MerchantName: 'X',
      RefNo: 'Y',
      Amount: 1,
      TrxCode: 'ZZ',
      CPI: '373132',
      Size: '300',
    });
    assert.deepEqual(
      [badQr.status, errorOf(badQr).errorMessage],
      [400, 'Bad Request - Invalid TrxCode'],
    );
  });
});

describe('C2B in production mode', { timeout: 60_000 }, () => {
  it('refuses loopback URLs, re-registration and the simulator', async () => {
    const server = await startTestServer({ sandbox: false });
    try {
      const token = await accessToken(
        server,
        server.sandbox.consumerKey,
        server.sandbox.consumerSecret,
      );
      const call = darajaCall(server, token);
      const loopback = await call('/mpesa/c2b/v2/registerurl', {
        ShortCode: 600000,
        ResponseType: 'Completed',
        ConfirmationURL: 'https://127.0.0.1/c',
        ValidationURL: 'https://127.0.0.1/v',
      });
      assert.deepEqual(
        [loopback.status, errorOf(loopback).errorMessage],
        [400, 'Bad Request - Invalid ConfirmationURL'],
      );
      const plain = await call('/mpesa/c2b/v2/registerurl', {
        ShortCode: 600000,
        ResponseType: 'Completed',
        ConfirmationURL: 'http://93.184.216.34/c',
        ValidationURL: 'https://93.184.216.34/v',
      });
      assert.deepEqual(
        [plain.status, errorOf(plain).errorMessage],
        [400, 'Bad Request - Invalid ConfirmationURL'],
      );
      const ok = await call('/mpesa/c2b/v2/registerurl', {
        ShortCode: 600000,
        ResponseType: 'Completed',
        ConfirmationURL: 'https://93.184.216.34/c',
        ValidationURL: 'https://93.184.216.34/v',
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const again = await call('/mpesa/c2b/v2/registerurl', {
        ShortCode: 600000,
        ResponseType: 'Completed',
        ConfirmationURL: 'https://93.184.216.34/c2',
        ValidationURL: 'https://93.184.216.34/v2',
      });
      assert.deepEqual(
        [again.status, errorOf(again).errorCode, errorOf(again).errorMessage],
        [409, '500.003.1001', 'Urls are already registered'],
      );
      const simulate = await call('/mpesa/c2b/v2/simulate', {
        ShortCode: 600000,
        CommandID: 'CustomerPayBillOnline',
        Amount: 1,
        Msisdn: 254708374149,
        BillRefNumber: 'x',
      });
      assert.deepEqual([simulate.status, errorOf(simulate).errorCode], [404, '404.001.01']);
    } finally {
      await server.close();
    }
  });
});
