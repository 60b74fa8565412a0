// Two Malipo providers through the in-repo switch where the wire differs per counterpart: A sends
// the transfer phase to B in ISO 20022 (pacs.008 / pacs.002), B speaks FSPIOP 1.1 to A, and each
// holds the other's public key, so everything either sends must carry a valid FSPIOP-Signature.
// Money moves there and back; a malformed pacs.008, a tampered body, an unsigned message and one
// signed with the wrong key are refused with the scheme's errors and move no money.

import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type InteropConfig, interopConfigFromEnv, interopWire } from './index.ts';
import { signRequest } from './jws.ts';
import {
  admin,
  CUSTOMER_FUNDED_CENTS,
  closeFsp,
  type Fsp,
  restartFsp,
  settlementOrgCents,
  startFsp,
  walletCents,
} from './testing/pair.ts';
import { type FspiopSwitch, startSwitch } from './testing/switch.ts';

const AMINA = {
  msisdn: '254711000301',
  local: '0711000301',
  pin: '2468',
  firstName: 'Amina',
  lastName: 'Otieno',
};
const BAKARI = {
  msisdn: '254722000402',
  local: '0722000402',
  pin: '1357',
  firstName: 'Bakari',
  lastName: 'Mwita',
};
const ISO_TRANSFERS = 'application/vnd.interoperability.iso20022.transfers+json;version=2.0';
const FSPIOP_TRANSFERS = 'application/vnd.interoperability.transfers+json;version=1.1';

describe('ISO 20022 to one counterpart, JWS required by the other', { timeout: 120_000 }, () => {
  let hub: FspiopSwitch;
  let a: Fsp;
  let b: Fsp;
  let aKey: KeyObject;

  before(async () => {
    hub = await startSwitch();
    a = await startFsp(hub, 'malipoa', AMINA, { iso20022Fsps: ['malipob'] });
    const aPublic = readFileSync(join(a.dataDir, 'interop-jws-public.pem'), 'utf8');
    aKey = createPrivateKey(readFileSync(join(a.dataDir, 'interop-jws-private.pem')));
    b = await startFsp(hub, 'malipob', BAKARI, { jwsVerificationKeys: { malipoa: aPublic } });
    // And A requires B's signature too (a restart on the same data folder keeps A's key), so the
    // callbacks B signs — PUT /parties, /quotes, /transfers — are checked as well.
    const bPublic = readFileSync(join(b.dataDir, 'interop-jws-public.pem'), 'utf8');
    a.extra = { ...a.extra, jwsVerificationKeys: { malipob: bPublic } };
    await restartFsp(hub, a);
  });

  after(async () => {
    await closeFsp(a);
    await closeFsp(b);
    await hub?.close();
  });

  test('money moves there (pacs.008, signed) and back (FSPIOP, answered with pacs.002)', async () => {
    const there = await send(a, AMINA, BAKARI.msisdn, 40_000, 'there');
    const back = await send(b, BAKARI, AMINA.msisdn, 10_000, 'back');
    // Malipo's own fee (decision 0027): KES 7 on KES 400, none on KES 100.
    assert.equal(await walletCents(a), CUSTOMER_FUNDED_CENTS - there - 700 + 10_000);
    assert.equal(await walletCents(b), CUSTOMER_FUNDED_CENTS + 40_000 - back);

    const transfersFrom = (source: string, method: string, path: RegExp) =>
      hub.log.filter((m) => m.source === source && m.method === method && path.test(m.path));
    // A → B: the prepare is a pacs.008 carrying our condition; it was signed, B checked it.
    const [prepare] = transfersFrom('malipoa', 'POST', /^\/transfers$/);
    assert.equal(prepare.contentType, ISO_TRANSFERS);
    const tx = prepare.body.CdtTrfTxInf as Record<string, Record<string, unknown>>;
    assert.equal(tx.IntrBkSttlmAmt.ActiveCurrencyAndAmount, String(there / 100));
    assert.match(String(tx.VrfctnOfTerms.Sh256Sgntr), /^[A-Za-z0-9_-]{43}$/);
    // B → A: FSPIOP both ways from B; A's fulfilment to B is a pacs.002.
    const [prepareBack] = transfersFrom('malipob', 'POST', /^\/transfers$/);
    assert.equal(prepareBack.contentType, FSPIOP_TRANSFERS);
    const [fulfil] = transfersFrom('malipoa', 'PUT', /^\/transfers\/[^/]+$/);
    assert.equal(fulfil.contentType, ISO_TRANSFERS);
    const status = fulfil.body.TxInfAndSts as Record<string, unknown>;
    assert.equal(status.TxSts, 'COMM');
    assert.match(String(status.ExctnConf), /^[A-Za-z0-9_-]{43}$/);
    // Parties and quotes stay FSPIOP 1.1 even to an ISO counterpart.
    const [quote] = transfersFrom('malipoa', 'POST', /^\/quotes$/);
    assert.equal(quote.contentType, 'application/vnd.interoperability.quotes+json;version=1.1');

    // The operator sees each side's wire; A's public key is the one B verifies with.
    const wireA = await admin(a, 'GET', '/admin/interop/wire');
    assert.deepEqual(
      { ...wireA.body, publicKeyPem: undefined },
      {
        fspId: 'malipoa',
        iso20022Fsps: ['malipob'],
        signing: true,
        publicKeyPem: undefined,
        verifiedFsps: ['malipob'],
      },
    );
    assert.equal(
      wireA.body.publicKeyPem,
      readFileSync(join(a.dataDir, 'interop-jws-public.pem'), 'utf8'),
    );
    const wireB = await admin(b, 'GET', '/admin/interop/wire');
    assert.deepEqual(wireB.body.verifiedFsps, ['malipoa']);
  });

  test('a malformed pacs.008 (no condition, bad amount) gets the scheme error; no money moves', async () => {
    const before = await balances(b);
    const pacs = pacs008('5.001');
    const noCondition = structuredClone(pacs);
    delete (noCondition.CdtTrfTxInf.VrfctnOfTerms as Record<string, unknown>).Sh256Sgntr;
    const missing = await post(b, signedIso(aKey, noCondition));
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errorInformation.errorCode, '3102');
    assert.match(missing.body.errorInformation.errorDescription, /Sh256Sgntr/);
    const badAmount = await post(b, signedIso(aKey, pacs));
    assert.equal(badAmount.status, 400);
    assert.match(badAmount.body.errorInformation.errorCode, /^310[01]$/);
    const notIso = await post(b, signedIso(aKey, { Document: 'x' }));
    assert.equal(notIso.body.errorInformation.errorCode, '3102');
    assert.deepEqual(await balances(b), before);
  });

  test('a well-formed pacs.008 with a forged condition is answered with 3106 and moves no money', async () => {
    const before = await balances(b);
    const forged = pacs008('100');
    const id = '0b1a9a3e-7c1d-4a55-9f4e-2c6f3b8d1e77';
    forged.CdtTrfTxInf.PmtId.TxId = id;
    const mark = hub.log.length;
    const { headers, text } = signedIso(aKey, forged);
    const response = await fetch(`${hub.url}/transfers`, { method: 'POST', headers, body: text });
    assert.equal(response.status, 202);
    // Through the switch to B, which decodes, checks the condition against its packet, and
    // answers the scheme error to A (in FSPIOP: B has no ISO setting for A).
    const answer = await hub.next('PUT', `/transfers/${id}/error`, mark);
    assert.equal(answer.source, 'malipob');
    assert.equal(answer.contentType, FSPIOP_TRANSFERS);
    const info = answer.body.errorInformation as { errorCode: string };
    assert.equal(info.errorCode, '3106');
    assert.deepEqual(await balances(b), before);
  });

  test('JWS: a tampered body, an unsigned message and a wrong key are refused with 3105', async () => {
    const before = await balances(b);
    const good = signedIso(aKey, pacs008('100'));
    const tampered = { ...good, text: good.text.replace('"100"', '"900"') };
    assert.notEqual(tampered.text, good.text);
    const refused = await post(b, tampered);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errorInformation.errorCode, '3105');
    assert.match(refused.body.errorInformation.errorDescription, /does not verify/);

    const unsigned = { ...good, headers: { ...good.headers } };
    delete unsigned.headers['fspiop-signature'];
    const missing = await post(b, unsigned);
    assert.equal(missing.body.errorInformation.errorCode, '3105');
    assert.match(missing.body.errorInformation.errorDescription, /missing FSPIOP-Signature/);

    // Signed by B's own key, claiming to be A: the signature is not A's.
    const bKey = createPrivateKey(readFileSync(join(b.dataDir, 'interop-jws-private.pem')));
    const forged = await post(b, signedIso(bKey, pacs008('100')));
    assert.equal(forged.body.errorInformation.errorCode, '3105');
    assert.deepEqual(await balances(b), before);
  });
});

describe('Date freshness and replays', { timeout: 120_000 }, () => {
  let hub: FspiopSwitch;
  let a: Fsp;
  let b: Fsp;
  let aKey: KeyObject;

  before(async () => {
    hub = await startSwitch();
    a = await startFsp(hub, 'malipoa', { ...AMINA, msisdn: '254711000311' });
    aKey = createPrivateKey(readFileSync(join(a.dataDir, 'interop-jws-private.pem')));
    const aPublic = readFileSync(join(a.dataDir, 'interop-jws-public.pem'), 'utf8');
    b = await startFsp(
      hub,
      'malipob',
      { ...BAKARI, msisdn: '254722000412' },
      { jwsVerificationKeys: { malipoa: aPublic } },
    );
  });

  after(async () => {
    await closeFsp(a);
    await closeFsp(b);
    await hub?.close();
  });

  test('a correctly signed message replayed after the window is refused with 3100', async () => {
    const before = await balances(b);
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000).toUTCString();
    const replayed = await post(b, signedIso(aKey, pacs008('100'), sixMinutesAgo));
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body.errorInformation.errorCode, '3100');
    assert.match(replayed.body.errorInformation.errorDescription, /from our clock/);
    // Dated in the future beyond the window: the same.
    const ahead = new Date(Date.now() + 6 * 60_000).toUTCString();
    const future = await post(b, signedIso(aKey, pacs008('100'), ahead));
    assert.equal(future.body.errorInformation.errorCode, '3100');
    assert.deepEqual(await balances(b), before);
  });

  test('a replay given a fresh Date no longer matches its signature (3105)', async () => {
    const old = signedIso(aKey, pacs008('100'), new Date(Date.now() - 6 * 60_000).toUTCString());
    const redated = { ...old, headers: { ...old.headers, date: new Date().toUTCString() } };
    const refused = await post(b, redated);
    assert.equal(refused.body.errorInformation.errorCode, '3105');
    assert.match(refused.body.errorInformation.errorDescription, /FSPIOP-Date does not match/);
    // Other headers the signature covers, changed after signing: the same.
    const good = signedIso(aKey, pacs008('100'));
    const rerouted = { ...good, headers: { ...good.headers, 'fspiop-destination': 'malipoc' } };
    const moved = await post(b, rerouted);
    assert.equal(moved.body.errorInformation.errorCode, '3105');
    assert.match(moved.body.errorInformation.errorDescription, /FSPIOP-Destination/);
  });

  test('a missing Date is 3102, a malformed one 3101, from anyone', async () => {
    const lookup = (date: string | undefined) =>
      fetch(`${b.server.url}/parties/MSISDN/${b.customer.msisdn}`, {
        headers: {
          ...(date === undefined ? {} : { date }),
          'fspiop-source': 'malipoc',
          'fspiop-destination': 'malipob',
        },
      }).then(async (r) => ({
        status: r.status,
        body: JSON.parse((await r.text()) || '{}') as { errorInformation: { errorCode: string } },
      }));
    const missing = await lookup(undefined);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errorInformation.errorCode, '3102');
    const malformed = await lookup('yesterday at noon');
    assert.equal(malformed.body.errorInformation.errorCode, '3101');
    const fresh = await lookup(new Date().toUTCString());
    assert.equal(fresh.status, 202);
  });
});

async function send(from: Fsp, payer: typeof AMINA, to: string, amountCents: number, id: string) {
  const sent = await admin(from, 'POST', '/admin/interop/transfers', {
    from: payer.msisdn,
    to,
    amountCents,
    pin: payer.pin,
    requestId: id,
  });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  assert.equal(sent.body.state, 'committed');
  return sent.body.transferAmountCents as number;
}

async function balances(fsp: Fsp) {
  return { wallet: await walletCents(fsp), org: await settlementOrgCents(fsp) };
}

function pacs008(amount: string) {
  return {
    GrpHdr: {
      MsgId: '0123456789abcdef0123456789abcdef',
      CreDtTm: new Date().toISOString(),
      NbOfTxs: '1',
      SttlmInf: { SttlmMtd: 'CLRG' },
      PmtInstrXpryDtTm: new Date(Date.now() + 60_000).toISOString(),
    },
    CdtTrfTxInf: {
      PmtId: { TxId: '0b1a9a3e-7c1d-4a55-9f4e-2c6f3b8d1e01' },
      ChrgBr: 'SHAR',
      CdtrAgt: { FinInstnId: { Othr: { Id: 'malipob' } } },
      DbtrAgt: { FinInstnId: { Othr: { Id: 'malipoa' } } },
      IntrBkSttlmAmt: { Ccy: 'KES', ActiveCurrencyAndAmount: amount },
      VrfctnOfTerms: {
        IlpV4PrepPacket: Buffer.from('{}').toString('base64url'),
        Sh256Sgntr: 'GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM',
      } as Record<string, unknown>,
    },
  };
}

/** A POST /transfers from malipoa to malipob carrying `document` as is, signed with `key`. */
function signedIso(key: KeyObject, document: unknown, date = new Date().toUTCString()) {
  const text = JSON.stringify(document);
  const route = { source: 'malipoa', destination: 'malipob' };
  const headers: Record<string, string> = {
    'content-type': ISO_TRANSFERS,
    accept: ISO_TRANSFERS,
    date,
    'fspiop-source': route.source,
    'fspiop-destination': route.destination,
    ...signRequest(key, { method: 'POST', uri: '/transfers', ...route, date, body: text }),
  };
  return { headers, text };
}

async function post(fsp: Fsp, message: { headers: Record<string, string>; text: string }) {
  const response = await fetch(`${fsp.server.url}/transfers`, {
    method: 'POST',
    headers: message.headers,
    body: message.text,
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text === '' ? {} : JSON.parse(text)) as {
      errorInformation: { errorCode: string; errorDescription: string };
    },
  };
}

describe('the wire from the environment', () => {
  test('ISO 20022 counterparts, our key kept in the data folder, counterparts keys from a folder', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'malipo-wire-'));
    try {
      const keysDir = join(dataDir, 'keys');
      mkdirSync(keysDir);
      const peer = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(
        join(keysDir, 'fspB.pem'),
        peer.publicKey.export({ type: 'spki', format: 'pem' }),
      );
      const config = interopConfigFromEnv(
        {
          MALIPO_INTEROP_HUB_URL: 'http://127.0.0.1:8190',
          MALIPO_INTEROP_FSP_ID: 'malipo',
          MALIPO_INTEROP_ISO20022_FSPS: ' fspA, fspB ,',
          MALIPO_INTEROP_JWS_KEYS_DIR: keysDir,
        },
        dataDir,
      );
      assert.deepEqual(config?.iso20022Fsps, ['fspA', 'fspB']);
      assert.deepEqual(Object.keys(config?.jwsVerificationKeys ?? {}), ['fspB']);
      const wire = interopWire(config as InteropConfig, dataDir);
      const keyFile = readFileSync(join(dataDir, 'interop-jws-private.pem'), 'utf8');
      interopWire(config as InteropConfig, dataDir);
      assert.equal(readFileSync(join(dataDir, 'interop-jws-private.pem'), 'utf8'), keyFile);

      const message = {
        method: 'PUT',
        resource: 'transfers' as const,
        path: '/transfers/0b1a9a3e-7c1d-4a55-9f4e-2c6f3b8d1e01/error',
        body: { errorInformation: { errorCode: '5100', errorDescription: 'Payee rejection' } },
      };
      const iso = wire.encode({ ...message, destination: 'fspB' });
      assert.equal(iso.headers['content-type'], ISO_TRANSFERS);
      assert.match(String(iso.text), /"StsRsnInf"/);
      assert.ok(iso.headers['fspiop-signature'] !== undefined);
      const plain = wire.encode({ ...message, destination: 'fspC' });
      assert.equal(plain.headers['content-type'], FSPIOP_TRANSFERS);
      assert.match(String(plain.text), /"errorInformation"/);

      // fspB's messages must be signed by fspB; fspC has no key and needs none.
      const incoming = (source: string) => ({
        method: 'PUT',
        path: message.path,
        headers: { 'fspiop-source': source, 'content-type': FSPIOP_TRANSFERS, date: 'x' },
        rawBody: JSON.stringify(message.body),
        body: message.body,
      });
      const refused = wire.decode(incoming('fspB'));
      assert.equal(!refused.ok && refused.error.errorCode, '3105');
      assert.equal(wire.decode(incoming('fspC')).ok, true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
