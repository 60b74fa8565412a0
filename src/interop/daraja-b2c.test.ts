// Daraja B2C to a customer of another provider (decision 0027): a business's
// /mpesa/b2c/v{1,3}/paymentrequest whose PartyB is not a Malipo customer is looked up in the
// scheme and paid through the interop payer; the result reaches the business's ResultURL only
// once the other provider fulfilled (success with the usual ResultParameters) or refused (a
// Daraja failure code), exactly once whatever Daraja retries and hub callbacks repeat. Two real
// Malipo servers through the in-repo switch, a real callback receiver on loopback.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CALLBACK_STREAM } from '../daraja/platform/model.ts';
import { OTHER_NETWORK_RESULTS } from '../daraja/platform/other-networks.ts';
import { resultForCode } from '../daraja/platform/result-codes.ts';
import {
  accessToken,
  darajaCall,
  type Receiver,
  startReceiver,
} from '../daraja/platform/testing/harness.ts';
import { encryptInitiatorPassword } from '../daraja/security-credential.ts';
import { orgAccountId } from '../payments/accounts.ts';
import { buildOpenApiDocument } from '../portal/openapi.ts';
import { contentTypeOf } from './model.ts';
import { closeFsp, type Fsp, restartFsp, startFsp, transit, walletCents } from './testing/pair.ts';
import { type FspiopSwitch, startSwitch } from './testing/switch.ts';

const AMINA = {
  msisdn: '254711000901',
  local: '0711000901',
  pin: '2468',
  firstName: 'Amina',
  lastName: 'Otieno',
};
const BAKARI = {
  msisdn: '254722000912',
  local: '0722000912',
  pin: '1357',
  firstName: 'Bakari',
  lastName: 'Mwita',
};

let hub: FspiopSwitch;
let a: Fsp;
let b: Fsp;
let receiver: Receiver;
let call: ReturnType<typeof darajaCall>;
let credential: string;

before(async () => {
  hub = await startSwitch();
  a = await startFsp(hub, 'malipoa', AMINA);
  b = await startFsp(hub, 'malipob', BAKARI);
  receiver = await startReceiver();
  const sandbox = a.server.darajaSandbox;
  assert.ok(sandbox !== null, 'the pair seeds the Daraja sandbox');
  call = darajaCall(
    a.server,
    await accessToken(a.server, sandbox.consumerKey, sandbox.consumerSecret),
  );
  const certificate = await (await fetch(`${a.server.url}/daraja/certificate.cer`)).text();
  credential = encryptInitiatorPassword(certificate, sandbox.initiatorPassword);
});

after(async () => {
  await receiver?.close();
  await closeFsp(a);
  await closeFsp(b);
  await hub?.close();
});

type ResultBody = {
  Result: {
    ResultCode: number | string;
    ResultDesc: string;
    OriginatorConversationID: string;
    ConversationID: string;
    TransactionID: string;
    ResultParameters?: { ResultParameter: { Key: string; Value: unknown }[] };
  };
};

function b2c(version: 1 | 3, path: string, to: string, amountKes: number, originator?: string) {
  const sandbox = a.server.darajaSandbox;
  assert.ok(sandbox !== null);
  return call(`/mpesa/b2c/v${version}/paymentrequest`, {
    ...(originator === undefined ? {} : { OriginatorConversationID: originator }),
    InitiatorName: sandbox.initiatorName,
    SecurityCredential: credential,
    CommandID: 'BusinessPayment',
    Amount: amountKes,
    PartyA: Number(sandbox.shortcode),
    PartyB: Number(to),
    Remarks: 'interop',
    QueueTimeOutURL: `${receiver.url}${path}/queue`,
    ResultURL: `${receiver.url}${path}`,
    Occasion: '',
  });
}

/** The result records committed for a conversation (delivered or not yet). */
async function resultsCommitted(conversationId: string): Promise<number> {
  const records = await a.server.ledger.readRecords(CALLBACK_STREAM, 0, 10_000);
  return records.filter((r) => r.body.includes(conversationId)).length;
}

function parameter(body: ResultBody, key: string): unknown {
  return body.Result.ResultParameters?.ResultParameter.find((p) => p.Key === key)?.Value;
}

async function utilityCents(): Promise<number> {
  const sandbox = a.server.darajaSandbox;
  assert.ok(sandbox !== null);
  const [account] = await a.server.ledger.lookupAccounts([
    orgAccountId(sandbox.shortcode, 'utility'),
  ]);
  return account.creditsPosted - account.debitsPosted - account.debitsPending;
}

describe('Daraja B2C to a customer of another provider', () => {
  test('a restart while the transfer is prepared: the request waits for it and answers once', async () => {
    // First in the file, to a payee of its own: the risk model (enforce) asks a business paying
    // many new recipients within ten minutes for a step-up, which interop refuses.
    const chebet = '254722000923';
    const registered = await b.server.payments.registerCustomer({
      msisdn: chebet,
      firstName: 'Chebet',
      lastName: 'Koech',
      idNumber: '20000923',
      pin: '1470',
    });
    assert.ok(registered.ok, JSON.stringify(registered));
    hub.ownParty(chebet, 'malipob');
    const payeeBefore = await walletCents(b, chebet);
    hub.hold('malipob');
    let conversationId = '';
    try {
      const mark = hub.log.length;
      const accepted = await b2c(3, '/v3-restart', chebet, 160, 'iop-b2c-v3-restart');
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      conversationId = String(accepted.body.ConversationID);
      await hub.next('POST', '/transfers', mark);
      await restartFsp(hub, a);
    } finally {
      await hub.release('malipob');
    }
    const sandbox = a.server.darajaSandbox;
    assert.ok(sandbox !== null);
    call = darajaCall(
      a.server,
      await accessToken(a.server, sandbox.consumerKey, sandbox.consumerSecret),
    );
    const [result] = await receiver.waitFor('/v3-restart');
    const body = result.body as ResultBody;
    assert.equal(body.Result.ResultCode, 0);
    assert.equal(body.Result.ConversationID, conversationId);
    assert.equal(parameter(body, 'TransactionAmount'), 160);
    assert.equal(await walletCents(b, chebet), payeeBefore + 16_000);
    assert.equal(await resultsCommitted(conversationId), 1);
    assert.equal(receiver.attempts.filter((r) => r.path === '/v3-restart/queue').length, 0);
  });

  test('v3: the result waits for the fulfilment, then carries the receipt and the receiver', async () => {
    const payeeBefore = await walletCents(b);
    const utilityBefore = await utilityCents();
    hub.hold('malipob');
    let conversationId = '';
    try {
      const mark = hub.log.length;
      const accepted = await b2c(3, '/v3-ok', BAKARI.msisdn, 250, 'iop-b2c-v3-1');
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.ResponseCode, '0');
      conversationId = String(accepted.body.ConversationID);
      await hub.next('POST', '/transfers', mark);
      // Prepared, not fulfilled: the business's money is reserved and no result is committed.
      assert.equal(await resultsCommitted(conversationId), 0);
      assert.ok((await transit(a)).pendingCents >= 25_000);
      assert.ok((await utilityCents()) <= utilityBefore - 25_000);
    } finally {
      await hub.release('malipob');
    }
    const [result] = await receiver.waitFor('/v3-ok');
    const body = result.body as ResultBody;
    assert.equal(body.Result.ResultCode, 0);
    assert.equal(body.Result.ConversationID, conversationId);
    assert.equal(body.Result.OriginatorConversationID, 'iop-b2c-v3-1');
    assert.match(body.Result.TransactionID, /^[A-Z0-9]{10}$/);
    assert.equal(parameter(body, 'TransactionAmount'), 250);
    assert.equal(parameter(body, 'TransactionReceipt'), body.Result.TransactionID);
    assert.equal(parameter(body, 'ReceiverPartyPublicName'), `${BAKARI.msisdn} - BAKARI MWITA`);
    assert.equal(await walletCents(b), payeeBefore + 25_000);
    assert.equal(await resultsCommitted(conversationId), 1);
  });

  test('a Daraja retry of the same OriginatorConversationID pays once and answers once', async () => {
    const payeeBefore = await walletCents(b);
    const first = await b2c(3, '/v3-retry', BAKARI.msisdn, 120, 'iop-b2c-v3-2');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const again = await b2c(3, '/v3-retry', BAKARI.msisdn, 120, 'iop-b2c-v3-2');
    assert.notEqual(again.status, 200, 'the duplicate is refused at the gateway');
    const [result] = await receiver.waitFor('/v3-retry');
    assert.equal((result.body as ResultBody).Result.ResultCode, 0);
    assert.equal(await walletCents(b), payeeBefore + 12_000);
    assert.equal(await resultsCommitted(String(first.body.ConversationID)), 1);
  });

  test('a duplicate fulfilment from the hub commits no second result', async () => {
    hub.hold('malipob');
    let transferId = '';
    let conversationId = '';
    try {
      const mark = hub.log.length;
      const accepted = await b2c(1, '/v1-dup', BAKARI.msisdn, 130);
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      conversationId = String(accepted.body.ConversationID);
      const prepare = await hub.next('POST', '/transfers', mark);
      transferId = String(prepare.body.transferId);
    } finally {
      await hub.release('malipob');
    }
    await receiver.waitFor('/v1-dup');
    const fulfil = hub.log.find((m) => m.method === 'PUT' && m.path === `/transfers/${transferId}`);
    assert.ok(fulfil !== undefined, 'the payee FSP fulfilled through the switch');
    const replay = await fetch(`${a.server.url}/transfers/${transferId}`, {
      method: 'PUT',
      headers: {
        'content-type': contentTypeOf('transfers'),
        date: new Date().toUTCString(),
        'fspiop-source': 'malipob',
        'fspiop-destination': 'malipoa',
      },
      body: JSON.stringify(fulfil.body),
    });
    assert.ok(replay.status < 300, String(replay.status));
    assert.equal(await resultsCommitted(conversationId), 1);
  });

  test('a number no provider knows: a failure result, nothing moves', async () => {
    const utilityBefore = await utilityCents();
    const accepted = await b2c(1, '/v1-unknown', '254733999901', 100);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const [result] = await receiver.waitFor('/v1-unknown');
    // As a local B2C to an unknown number answers.
    assert.equal((result.body as ResultBody).Result.ResultCode, 'SFC_IC0003');
    assert.equal(await utilityCents(), utilityBefore);
  });

  test('the payee FSP refuses: the money comes back and the result says so', async () => {
    const utilityBefore = await utilityCents();
    hub.hold('malipob');
    try {
      const mark = hub.log.length;
      const accepted = await b2c(1, '/v1-refused', BAKARI.msisdn, 140);
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      const prepare = await hub.next('POST', '/transfers', mark);
      const put = await fetch(
        `${a.server.url}/transfers/${String(prepare.body.transferId)}/error`,
        {
          method: 'PUT',
          headers: {
            'content-type': contentTypeOf('transfers'),
            date: new Date().toUTCString(),
            'fspiop-source': 'switch',
            'fspiop-destination': 'malipoa',
          },
          body: JSON.stringify({
            errorInformation: { errorCode: '5100', errorDescription: 'Payee rejection' },
          }),
        },
      );
      assert.equal(put.status, 200);
      const [result] = await receiver.waitFor('/v1-refused');
      assert.equal((result.body as ResultBody).Result.ResultCode, 12);
    } finally {
      await hub.release('malipob');
    }
    assert.equal(await utilityCents(), utilityBefore);
  });
});

test('the portal documents each result a B2C to another network can end in', () => {
  // An unknown number answers as a local B2C to an unknown number does.
  assert.deepEqual(OTHER_NETWORK_RESULTS.party_not_found, resultForCode('b2c', 'unknown_customer'));
  const notes = JSON.stringify(buildOpenApiDocument()['x-malipo-notes']);
  assert.ok(notes.includes('B2C to a customer of another provider'));
  for (const spec of Object.values(OTHER_NETWORK_RESULTS))
    assert.ok(notes.includes(`${spec.code} \\"${spec.desc}\\"`), spec.desc);
});
