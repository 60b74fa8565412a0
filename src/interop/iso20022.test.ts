// The ISO 20022 form of the transfer phase: what we send decodes back to the FSPIOP message it
// came from, with the element paths Mojaloop's ISO API uses; a document without them is refused.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { issuePacket } from './ilp.ts';
import { fromIso, isoContentTypeOf, isoResourceOf, toIso } from './iso20022.ts';

const ID = '0b1a9a3e-7c1d-4a55-9f4e-2c6f3b8d1e01';
const prepare = {
  transferId: ID,
  payeeFsp: 'malipob',
  payerFsp: 'malipoa',
  amount: { amount: '520', currency: 'KES' },
  ilpPacket: 'eyJxdW90ZUlkIjoiMSJ9',
  condition: 'GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM',
  expiration: '2026-12-08T01:00:00.000Z',
};

describe('ISO 20022 transfer phase', () => {
  test('POST /transfers ⇄ pacs.008', () => {
    const pacs = toIso('POST', '/transfers', prepare) as Record<string, Record<string, unknown>>;
    assert.equal(pacs.GrpHdr.NbOfTxs, '1');
    assert.deepEqual(pacs.CdtTrfTxInf.IntrBkSttlmAmt, {
      Ccy: 'KES',
      ActiveCurrencyAndAmount: '520',
    });
    assert.deepEqual(pacs.CdtTrfTxInf.CdtrAgt, { FinInstnId: { Othr: { Id: 'malipob' } } });
    assert.deepEqual(fromIso('POST', '/transfers', pacs), { ok: true, value: prepare });
  });

  test("a pacs.008 without Sh256Sgntr (Mojaloop's form) takes the condition from its ILP v4 packet", () => {
    const terms = {
      quoteId: 'q',
      transactionId: 't',
      payeeMsisdn: '254712000001',
      payerFsp: 'malipoa',
      transferAmountCents: 52_000,
      receiveAmountCents: 51_500,
      payeeFspFeeCents: 500,
      currency: 'KES',
      expirationMs: Date.parse(prepare.expiration),
    };
    const parties = { payeeFsp: 'malipob', payer: { partyIdType: 'MSISDN', partyIdentifier: '1' } };
    const issued = issuePacket('secret', terms, parties);
    const pacs = toIso('POST', '/transfers', { ...prepare, ...issued }) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    delete pacs.CdtTrfTxInf.VrfctnOfTerms.Sh256Sgntr;
    const decoded = fromIso('POST', '/transfers', pacs);
    assert.equal(decoded.ok && decoded.value.condition, issued.condition);
    // Without either, the condition is missing (3102).
    pacs.CdtTrfTxInf.VrfctnOfTerms.IlpV4PrepPacket = 'eyJxdW90ZUlkIjoiMSJ9';
    const missing = fromIso('POST', '/transfers', pacs);
    assert.equal(!missing.ok && missing.error.errorCode, '3102');
  });

  test('PUT /transfers/{ID} and its /error ⇄ pacs.002', () => {
    const fulfil = {
      transferState: 'COMMITTED',
      completedTimestamp: '2026-12-08T00:59:00.000Z',
      fulfilment: 'uU0nuZNNPgilLlLX2n2r-sSE7-N6U4DukIj3rOLvzek',
    };
    const pacs = toIso('PUT', `/transfers/${ID}`, fulfil) as Record<
      string,
      Record<string, unknown>
    >;
    assert.equal(pacs.TxInfAndSts.TxSts, 'COMM');
    assert.equal(pacs.TxInfAndSts.ExctnConf, fulfil.fulfilment);
    assert.deepEqual(fromIso('PUT', `/transfers/${ID}`, pacs), { ok: true, value: fulfil });
    const error = { errorInformation: { errorCode: '5100', errorDescription: 'Payee rejection' } };
    const rejected = toIso('PUT', `/transfers/${ID}/error`, error);
    assert.deepEqual(fromIso('PUT', `/transfers/${ID}/error`, rejected), {
      ok: true,
      value: error,
    });
  });

  test('documents without the mandatory elements are refused: 3102, or 3101 for a bad status', () => {
    const noAgent = structuredClone(toIso('POST', '/transfers', prepare)) as {
      CdtTrfTxInf: Record<string, unknown>;
    };
    delete noAgent.CdtTrfTxInf.CdtrAgt;
    const missing = fromIso('POST', '/transfers', noAgent);
    assert.equal(missing.ok, false);
    assert.equal(!missing.ok && missing.error.errorCode, '3102');
    const status = fromIso('PUT', `/transfers/${ID}`, { TxInfAndSts: { TxSts: 'DONE' } });
    assert.equal(!status.ok && status.error.errorCode, '3101');
    const array = fromIso('POST', '/transfers', []);
    assert.equal(!array.ok && array.error.errorCode, '3101');
  });

  test('content types', () => {
    assert.equal(
      isoContentTypeOf('transfers'),
      'application/vnd.interoperability.iso20022.transfers+json;version=2.0',
    );
    assert.equal(isoResourceOf(isoContentTypeOf('transfers')), 'transfers');
    assert.equal(
      isoResourceOf('application/vnd.interoperability.transfers+json;version=1.1'),
      null,
    );
  });
});
