import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { walletId } from '../../payments/accounts.ts';
import {
  ADMIN_TOKEN,
  accessToken,
  darajaCall,
  errorOf,
  type Receiver,
  request,
  skewedClock,
  startReceiver,
  startTestServer,
  stkAuth,
  type TestServer,
} from './testing/harness.ts';

const JOHN = { msisdn: '254712345678', pin: '4826' };
const MARY = '254722000111';
const PETER = '254733000222';
const SANDBOX_PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';

describe('M-Pesa Express (STK push and query)', { timeout: 120_000 }, () => {
  let server: TestServer;
  let receiver: Receiver;
  let token: string;
  const clock = skewedClock();
  let call: ReturnType<typeof darajaCall>;

  before(async () => {
    server = await startTestServer({ clock });
    receiver = await startReceiver();
    token = await accessToken(server, server.sandbox.consumerKey, server.sandbox.consumerSecret);
    call = darajaCall(server, token);
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  const push = (phone: string, path: string, changes: Record<string, unknown> = {}) => ({
    BusinessShortCode: 600000,
    ...stkAuth('600000', server.sandbox.passkey, clock.nowMs()),
    TransactionType: 'CustomerPayBillOnline',
    Amount: 10,
    PartyA: phone,
    PartyB: '600000',
    PhoneNumber: phone,
    CallBackURL: `${receiver.url}${path}`,
    AccountReference: 'INV001',
    TransactionDesc: 'Payment',
    ...changes,
  });
  const query = (checkoutRequestId: string) => ({
    BusinessShortCode: '600000',
    ...stkAuth('600000', server.sandbox.passkey, clock.nowMs()),
    CheckoutRequestID: checkoutRequestId,
  });

  it('pays after the customer enters the PIN; query and callback follow Daraja type for type', async () => {
    const balanceBefore = await walletBalance(server, JOHN.msisdn);
    const accepted = await call(
      '/mpesa/stkpush/v1/processrequest',
      push(JOHN.msisdn, '/stk/approve'),
    );
    assert.equal(accepted.status, 200);
    const { MerchantRequestID, CheckoutRequestID } = accepted.body as Record<string, string>;
    assert.match(CheckoutRequestID!, /^ws_CO_\d{14}\d{3}\d{8}$/);
    assert.deepEqual(accepted.body, {
      MerchantRequestID,
      CheckoutRequestID,
      ResponseCode: '0',
      ResponseDescription: 'Success. Request accepted for processing',
      CustomerMessage: 'Success. Request accepted for processing',
    });
    const pending = await call('/mpesa/stkpushquery/v1/query', query(CheckoutRequestID!));
    assert.equal(pending.status, 409);
    assert.deepEqual(errorOf(pending), {
      requestId: CheckoutRequestID,
      errorCode: '500.001.1001',
      errorMessage: 'The transaction is being processed',
    });
    const locked = await call('/mpesa/stkpush/v1/processrequest', push(JOHN.msisdn, '/stk/other'));
    assert.equal(locked.status, 409);
    assert.equal(
      errorOf(locked).errorMessage,
      'Unable to lock subscriber, a transaction is already in process for the current subscriber',
    );
    const prompt = server.platform.pendingPromptFor('0712345678');
    assert.equal(prompt?.checkoutRequestId, CheckoutRequestID);
    assert.match(
      prompt!.text,
      /^Do you want to pay KES 10\.00 to MALIPO SANDBOX BUSINESS\? Account no\. INV001\. Enter M-PESA PIN:$/,
    );
    const answered = await server.platform.answerPrompt(CheckoutRequestID!, { pin: JOHN.pin });
    assert.equal(answered.status, 'paid');
    const receipt = answered.status === 'paid' ? answered.receipt : '';
    const [callback] = await receiver.waitFor('/stk/approve');
    const items = (
      callback!.body as {
        Body: { stkCallback: { CallbackMetadata: { Item: { Name: string; Value: unknown }[] } } };
      }
    ).Body.stkCallback.CallbackMetadata.Item;
    const date = items.find((i) => i.Name === 'TransactionDate')!.Value;
    assert.equal(typeof date, 'number');
    assert.deepEqual(callback!.body, {
      Body: {
        stkCallback: {
          MerchantRequestID,
          CheckoutRequestID,
          ResultCode: 0,
          ResultDesc: 'The service request is processed successfully.',
          CallbackMetadata: {
            Item: [
              { Name: 'Amount', Value: 10 },
              { Name: 'MpesaReceiptNumber', Value: receipt },
              { Name: 'TransactionDate', Value: date },
              { Name: 'PhoneNumber', Value: 254712345678 },
            ],
          },
        },
      },
    });
    assert.equal(await walletBalance(server, JOHN.msisdn), balanceBefore - 1000);
    const done = await call('/mpesa/stkpushquery/v1/query', query(CheckoutRequestID!));
    assert.deepEqual(done.body, {
      ResponseCode: '0',
      ResponseDescription: 'The service request has been accepted successfully',
      MerchantRequestID,
      CheckoutRequestID,
      ResultCode: '0',
      ResultDesc: 'The service request is processed successfully.',
    });
  });

  it('reports a wrong PIN as 2001 and a cancel as 1032, without metadata and without moving money', async () => {
    for (const [answer, path, code, desc] of [
      [{ pin: '0000' }, '/stk/wrong-pin', 2001, 'The initiator information is invalid.'],
      ['cancel', '/stk/cancel', 1032, 'Request cancelled by user'],
    ] as const) {
      const before = await walletBalance(server, JOHN.msisdn);
      const accepted = await call('/mpesa/stkpush/v1/processrequest', push(JOHN.msisdn, path));
      const ids = accepted.body as Record<string, string>;
      await server.platform.answerPrompt(ids.CheckoutRequestID!, answer);
      const [callback] = await receiver.waitFor(path);
      assert.deepEqual(callback!.body, {
        Body: {
          stkCallback: {
            MerchantRequestID: ids.MerchantRequestID,
            CheckoutRequestID: ids.CheckoutRequestID,
            ResultCode: code,
            ResultDesc: desc,
          },
        },
      });
      const queried = await call('/mpesa/stkpushquery/v1/query', query(ids.CheckoutRequestID!));
      assert.equal(queried.body.ResultCode, String(code));
      assert.equal(await walletBalance(server, JOHN.msisdn), before);
    }
    // The wrong PIN counted against the customer's PIN; a right one clears it.
    await server.payments.resetPin(JOHN.msisdn, JOHN.pin);
  });

  it('lets sandbox test customers answer by themselves, with each documented outcome', async () => {
    const cases = [
      ['approve', 0],
      ['cancel', 1032],
      ['unreachable', 1037],
      ['wrong_pin', 2001],
      ['insufficient_funds', 1],
    ] as const;
    for (const [mode, code] of cases) {
      const set = await request(`${server.url}/daraja/admin/test-customers/${MARY}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: { mode, delayMs: 50 },
      });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const accepted = await call(
        '/mpesa/stkpush/v1/processrequest',
        push(MARY, `/stk/auto-${mode}`),
      );
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      const [callback] = await receiver.waitFor(`/stk/auto-${mode}`);
      const stk = (callback!.body as { Body: { stkCallback: Record<string, unknown> } }).Body
        .stkCallback;
      assert.equal(stk.ResultCode, code, mode);
      assert.equal('CallbackMetadata' in stk, code === 0);
    }
    // The seeded test customer (Daraja's tutorial number) approves by itself.
    const accepted = await call(
      '/mpesa/stkpush/v1/processrequest',
      push('254708374149', '/stk/seeded'),
    );
    assert.equal(accepted.status, 200);
    const [callback] = await receiver.waitFor('/stk/seeded');
    assert.equal(
      (callback!.body as { Body: { stkCallback: { ResultCode: number } } }).Body.stkCallback
        .ResultCode,
      0,
    );
  });

  it('tells the partner an unknown number cannot be reached (1037)', async () => {
    const accepted = await call(
      '/mpesa/stkpush/v1/processrequest',
      push('254799999999', '/stk/unknown'),
    );
    assert.equal(accepted.status, 200);
    const [callback] = await receiver.waitFor('/stk/unknown');
    assert.equal(
      (callback!.body as { Body: { stkCallback: { ResultCode: number } } }).Body.stkCallback
        .ResultCode,
      1037,
    );
  });

  it('refuses malformed input with Daraja error bodies and never moves money', async () => {
    const [latest] = await server.ledger.latestRecords('txn', 1);
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ Amount: undefined }, 400, '400.002.02', 'Bad Request - Invalid Amount'],
      [{ Amount: 'ten' }, 400, '400.002.02', 'Bad Request - Invalid Amount'],
      [{ Amount: 0 }, 400, '400.002.02', 'Bad Request - Invalid Amount'],
      [{ Amount: -5 }, 400, '400.002.02', 'Bad Request - Invalid Amount'],
      [{ Amount: 1.5 }, 400, '400.002.02', 'Bad Request - Invalid Amount'],
      [{ Amount: '10' }, 200, '', ''],
      [{ PhoneNumber: '12345' }, 400, '400.002.02', 'Bad Request - Invalid PhoneNumber'],
      [{ PhoneNumber: { n: 1 } }, 400, '400.002.02', 'Bad Request - Invalid PhoneNumber'],
      [{ PartyA: true }, 400, '400.002.02', 'Bad Request - Invalid PartyA'],
      [
        { CallBackURL: 'ftp://x.example/cb' },
        400,
        '400.002.02',
        'Bad Request - Invalid CallBackURL',
      ],
      [
        { CallBackURL: 'https://shop.example/mpesa/cb' },
        400,
        '400.002.02',
        'Bad Request - Invalid CallBackURL',
      ],
      [{ TransactionType: 'Pay' }, 400, '400.002.02', 'Bad Request - Invalid TransactionType'],
      [{ Timestamp: '2021' }, 400, '400.002.02', 'Bad Request - Invalid Timestamp'],
      [{ Password: 'd3Jvbmc=' }, 400, '500.001.1001', 'Wrong credentials'],
      [
        stkAuth('600000', SANDBOX_PASSKEY, Date.now() - 86_400_000),
        400,
        '400.002.02',
        'Bad Request - Invalid Timestamp',
      ],
      [
        { BusinessShortCode: '888880' },
        400,
        '400.002.02',
        'Bad Request - Invalid BusinessShortCode',
      ],
      [{ PartyB: '888880' }, 400, '400.002.02', 'Bad Request - Invalid PartyB'],
    ];
    for (const [changes, status, errorCode, errorMessage] of cases) {
      const body = push(PETER, status === 200 ? '/stk/string-amount' : '/stk/never', changes);
      for (const [key, value] of Object.entries(changes))
        if (value === undefined) delete body[key as keyof typeof body];
      const answer = await call('/mpesa/stkpush/v1/processrequest', body);
      assert.equal(
        answer.status,
        status,
        `${JSON.stringify(changes)}: ${JSON.stringify(answer.body)}`,
      );
      if (status === 200) {
        await server.platform.answerPrompt(String(answer.body.CheckoutRequestID), 'cancel');
        continue;
      }
      const error = errorOf(answer);
      assert.equal(error.errorCode, errorCode);
      assert.equal(error.errorMessage, errorMessage);
    }
    for (const raw of ['{', '[]', 'null', '"x"']) {
      const answer = await request(`${server.url}/mpesa/stkpush/v1/processrequest`, {
        rawBody: raw,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(answer.status, 400, raw);
      assert.equal(errorOf(answer).errorCode, '400.002.05');
    }
    const notJson = await request(`${server.url}/mpesa/stkpush/v1/processrequest`, {
      rawBody: 'a=b',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
    });
    assert.equal(notJson.status, 415);
    assert.equal(errorOf(notJson).errorCode, '415.001.01');
    const huge = await call(
      '/mpesa/stkpush/v1/processrequest',
      push(PETER, '/stk/never', { TransactionDesc: 'x'.repeat(20_000) }),
    );
    assert.equal(huge.status, 413);
    assert.equal(errorOf(huge).errorCode, '413.001.01');
    const [after] = await server.ledger.latestRecords('txn', 1);
    assert.equal(after?.seq, latest?.seq);
    assert.equal(receiver.received.filter((r) => r.path === '/stk/never').length, 0);
  });

  it('refuses missing, invalid, expired and other apps\u2019 tokens', async () => {
    const body = push(PETER, '/stk/never');
    const none = await request(`${server.url}/mpesa/stkpush/v1/processrequest`, { body });
    assert.deepEqual([none.status, errorOf(none).errorCode], [401, '404.001.04']);
    const invalid = await request(`${server.url}/mpesa/stkpush/v1/processrequest`, {
      body,
      headers: { authorization: 'Bearer c9SQxWWhmdVRlyh0zh8gZDTkubVF' },
    });
    assert.deepEqual(
      [invalid.status, errorOf(invalid).errorCode, errorOf(invalid).errorMessage],
      [401, '404.001.03', 'Invalid Access Token'],
    );
    const other = await createApp(server, ['888880']);
    const otherToken = await accessToken(server, other.consumerKey, other.consumerSecret);
    const foreign = await darajaCall(server, otherToken)(
      '/mpesa/stkpush/v1/processrequest',
      push(PETER, '/stk/never'),
    );
    assert.deepEqual(
      [foreign.status, errorOf(foreign).errorMessage],
      [400, 'Bad Request - Invalid BusinessShortCode'],
    );
    const oldToken = await accessToken(
      server,
      server.sandbox.consumerKey,
      server.sandbox.consumerSecret,
    );
    clock.advance(3_601_000);
    const expired = await darajaCall(server, oldToken)(
      '/mpesa/stkpush/v1/processrequest',
      push(PETER, '/stk/never'),
    );
    assert.deepEqual([expired.status, errorOf(expired).errorCode], [401, '404.001.03']);
    const fresh = await accessToken(
      server,
      server.sandbox.consumerKey,
      server.sandbox.consumerSecret,
    );
    const stillOk = await darajaCall(server, fresh)(
      '/mpesa/stkpushquery/v1/query',
      query('ws_CO_000'),
    );
    assert.deepEqual(
      [stillOk.status, errorOf(stillOk).errorMessage],
      [400, 'Bad Request - Invalid CheckoutRequestID'],
    );
    token = fresh;
    call = darajaCall(server, fresh);
  });
});

describe('OAuth', { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('issues hour-long tokens; a new one does not revoke the old', async () => {
    const basic = Buffer.from(
      `${server.sandbox.consumerKey}:${server.sandbox.consumerSecret}`,
    ).toString('base64');
    const url = `${server.url}/oauth/v1/generate?grant_type=client_credentials`;
    const first = await request(url, {
      method: 'GET',
      headers: { authorization: `Basic ${basic}` },
    });
    assert.equal(first.status, 200);
    assert.deepEqual(Object.keys(first.body).sort(), ['access_token', 'expires_in']);
    assert.match(String(first.body.access_token), /^[A-Za-z0-9]{28}$/);
    assert.equal(first.body.expires_in, '3599');
    const second = await accessToken(
      server,
      server.sandbox.consumerKey,
      server.sandbox.consumerSecret,
    );
    for (const token of [String(first.body.access_token), second]) {
      const answer = await darajaCall(server, token)('/mpesa/stkpushquery/v1/query', {
        BusinessShortCode: 600000,
      });
      assert.equal(answer.status, 400, 'the token is accepted; the body is what is wrong');
      assert.equal(errorOf(answer).errorCode, '400.002.02');
    }
  });

  it('answers bad grants and credentials with Daraja errors', async () => {
    const good = Buffer.from(
      `${server.sandbox.consumerKey}:${server.sandbox.consumerSecret}`,
    ).toString('base64');
    const wrong = Buffer.from(`${server.sandbox.consumerKey}:nope`).toString('base64');
    const cases: [string, Record<string, string>, string][] = [
      ['?grant_type=password', { authorization: `Basic ${good}` }, '400.008.02'],
      ['', { authorization: `Basic ${good}` }, '400.008.02'],
      ['?grant_type=client_credentials', {}, '400.008.01'],
      ['?grant_type=client_credentials', { authorization: `Basic ${wrong}` }, '400.008.01'],
      ['?grant_type=client_credentials', { authorization: 'Bearer x' }, '400.008.01'],
    ];
    for (const [query, headers, code] of cases) {
      const answer = await request(`${server.url}/oauth/v1/generate${query}`, {
        method: 'GET',
        headers,
      });
      assert.equal(answer.status, 400);
      assert.equal(errorOf(answer).errorCode, code, `${query} ${JSON.stringify(headers)}`);
    }
  });

  it('answers unknown paths and methods in Daraja shape', async () => {
    const unknown = await request(`${server.url}/mpesa/nothing/v1/here`, { body: {} });
    assert.deepEqual([unknown.status, errorOf(unknown).errorCode], [404, '404.001.01']);
    const method = await request(`${server.url}/mpesa/stkpush/v1/processrequest`, {
      method: 'DELETE',
    });
    assert.deepEqual([method.status, errorOf(method).errorCode], [405, '405.001']);
  });

  it('answers an app over its rate with a spike arrest error', async () => {
    const limited = await startTestServer({
      platform: { rateLimit: { perSecond: 0.001, burst: 3 } },
    });
    try {
      const token = await accessToken(
        limited,
        limited.sandbox.consumerKey,
        limited.sandbox.consumerSecret,
      );
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) {
        const answer = await darajaCall(limited, token)('/mpesa/stkpushquery/v1/query', {});
        codes.push(errorOf(answer).errorCode);
      }
      assert.deepEqual(codes, [
        '400.002.02',
        '400.002.02',
        '400.002.02',
        '500.003.02',
        '500.003.02',
      ]);
    } finally {
      await limited.close();
    }
  });
});

describe('STK prompt expiry', { timeout: 60_000 }, () => {
  it('times out an unanswered prompt with 1037, and frees the customer for the next push', async () => {
    const server = await startTestServer({ platform: { promptLifetimeMs: 500 } });
    const receiver = await startReceiver();
    try {
      const token = await accessToken(
        server,
        server.sandbox.consumerKey,
        server.sandbox.consumerSecret,
      );
      const body = (path: string) => ({
        BusinessShortCode: '600000',
        ...stkAuth('600000', server.sandbox.passkey),
        TransactionType: 'CustomerPayBillOnline',
        Amount: '1',
        PartyA: '254733000222',
        PartyB: 600000,
        PhoneNumber: 254733000222,
        CallBackURL: `${receiver.url}${path}`,
        AccountReference: 'X',
      });
      const first = await darajaCall(server, token)(
        '/mpesa/stkpush/v1/processrequest',
        body('/expire'),
      );
      assert.equal(first.status, 200);
      const [callback] = await receiver.waitFor('/expire');
      const stk = (callback!.body as { Body: { stkCallback: Record<string, unknown> } }).Body
        .stkCallback;
      assert.deepEqual(stk, {
        MerchantRequestID: first.body.MerchantRequestID,
        CheckoutRequestID: first.body.CheckoutRequestID,
        ResultCode: 1037,
        ResultDesc: 'DS timeout user cannot be reached',
      });
      const second = await darajaCall(server, token)(
        '/mpesa/stkpush/v1/processrequest',
        body('/again'),
      );
      assert.equal(second.status, 200);
      assert.deepEqual(
        await server.platform.answerPrompt(String(first.body.CheckoutRequestID), 'cancel'),
        { status: 'not_found' },
      );
    } finally {
      await server.close();
      await receiver.close();
    }
  });
});

async function walletBalance(server: TestServer, msisdn: string): Promise<number> {
  const [account] = await server.ledger.lookupAccounts([walletId(msisdn)]);
  return account!.creditsPosted - account!.debitsPosted - account!.debitsPending;
}

async function createApp(server: TestServer, shortcodes: string[]) {
  const created = await request(`${server.url}/daraja/admin/apps`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name: 'Other app', shortcodes },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body as { consumerKey: string; consumerSecret: string; appId: string };
}
