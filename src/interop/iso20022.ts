// Mojaloop's ISO 20022 mode for the transfer phase: POST /transfers carried as a pacs.008
// (FIToFICustomerCreditTransfer), its answer PUT /transfers/{ID} and PUT /transfers/{ID}/error as a
// pacs.002 (FIToFIPaymentStatusReport), with the content type
// `application/vnd.interoperability.iso20022.transfers+json;version=2.0`. The element paths are
// the ones Mojaloop's own transformer (@mojaloop/ml-schema-transformer-lib 2.10, mappings
// fspiopiso20022/transfers) reads and writes, so a message here is one a Mojaloop ISO hub reads.
//
// Our own mapping rather than that library (decisions 0024, 0026): its FSPIOP→ISO pacs.008 needs
// the ISO quote response as context. Our packet is a real ILP v4 Prepare now (ilp.ts), so an
// incoming pacs.008 without VrfctnOfTerms.Sh256Sgntr (Mojaloop's form) takes the condition from
// it; we still send Sh256Sgntr too, for Malipo peers that read only it. Parties and quotes stay
// FSPIOP (see docs/architecture.md). Incoming ISO is turned into the FSPIOP body and then
// checked by the same parsers (parse.ts) as any FSPIOP message; no I/O here.

import { randomBytes } from 'node:crypto';
import { packetCondition } from './ilp.ts';
import type { FspiopResource, Parsed } from './model.ts';
import { parseError } from './model.ts';

export const ISO_VERSION = '2.0';
const ISO_TYPE = /^application\/vnd\.interoperability\.iso20022\.([a-z]+)\+json/;

export function isoContentTypeOf(resource: FspiopResource): string {
  return `application/vnd.interoperability.iso20022.${resource}+json;version=${ISO_VERSION}`;
}

/** The resource an ISO 20022 content type names; null when the type is not ISO 20022. */
export function isoResourceOf(contentType: string | undefined): string | null {
  return ISO_TYPE.exec(contentType ?? '')?.[1] ?? null;
}

/** Only the transfer phase has an ISO form here. */
export function hasIsoForm(resource: FspiopResource): boolean {
  return resource === 'transfers';
}

type Json = Record<string, unknown>;

const TO_ISO_STATE: Record<string, string> = {
  COMMITTED: 'COMM',
  RESERVED: 'RESV',
  RECEIVED: 'RECV',
  ABORTED: 'ABOR',
};
const FROM_ISO_STATE = Object.fromEntries(Object.entries(TO_ISO_STATE).map(([k, v]) => [v, k]));

/** ISO MsgId is Max35Text; 32 hex characters are as unique as a UUID. */
function groupHeader(): Json {
  return { MsgId: randomBytes(16).toString('hex'), CreDtTm: new Date().toISOString() };
}

/** The ISO body for an outgoing FSPIOP transfer message, by its method and path. */
export function toIso(method: string, path: string, body: Json): Json {
  if (method === 'POST' && path === '/transfers') return toPacs008(body);
  if (method === 'PUT' && /^\/transfers\/[^/]+\/error$/.test(path)) {
    const info = body.errorInformation as Json;
    return {
      GrpHdr: groupHeader(),
      TxInfAndSts: {
        StsRsnInf: { Rsn: { Prtry: info.errorCode }, AddtlInf: info.errorDescription },
      },
    };
  }
  if (method === 'PUT' && /^\/transfers\/[^/]+$/.test(path))
    return {
      GrpHdr: groupHeader(),
      TxInfAndSts: {
        ...(body.fulfilment === undefined ? {} : { ExctnConf: body.fulfilment }),
        PrcgDt: { DtTm: body.completedTimestamp },
        TxSts: TO_ISO_STATE[String(body.transferState)],
      },
    };
  // A bug, not input: only messages with an ISO form are handed here.
  throw new Error(`no ISO 20022 form for ${method} ${path}`);
}

function toPacs008(body: Json): Json {
  const amount = body.amount as Json;
  return {
    GrpHdr: {
      ...groupHeader(),
      NbOfTxs: '1',
      SttlmInf: { SttlmMtd: 'CLRG' },
      PmtInstrXpryDtTm: body.expiration,
    },
    CdtTrfTxInf: {
      PmtId: { TxId: body.transferId },
      ChrgBr: 'SHAR',
      CdtrAgt: { FinInstnId: { Othr: { Id: body.payeeFsp } } },
      DbtrAgt: { FinInstnId: { Othr: { Id: body.payerFsp } } },
      IntrBkSttlmAmt: { Ccy: amount.currency, ActiveCurrencyAndAmount: amount.amount },
      VrfctnOfTerms: { IlpV4PrepPacket: body.ilpPacket, Sh256Sgntr: body.condition },
    },
  };
}

/**
 * The FSPIOP body an incoming ISO 20022 message stands for, or the 3101/3102 to refuse it with.
 * Only the structure is checked here; the values go through the FSPIOP parsers after.
 */
export function fromIso(method: string, path: string, body: unknown): Parsed<Json> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return parseError('malformedSyntax', 'ISO 20022 body must be an object');
  const doc = body as Json;
  if (method === 'POST' && path === '/transfers') return fromPacs008(doc);
  const status = at(doc, 'TxInfAndSts');
  if (method === 'PUT' && /^\/transfers\/[^/?]+\/error$/.test(path)) {
    const code = at(status, 'StsRsnInf', 'Rsn', 'Prtry');
    if (code === undefined) return parseError('missingElement', 'TxInfAndSts.StsRsnInf.Rsn.Prtry');
    const description = at(status, 'StsRsnInf', 'AddtlInf');
    return {
      ok: true,
      value: { errorInformation: { errorCode: code, errorDescription: description } },
    };
  }
  if (method === 'PUT' && /^\/transfers\/[^/?]+$/.test(path)) {
    const sts = at(status, 'TxSts');
    if (sts === undefined) return parseError('missingElement', 'TxInfAndSts.TxSts');
    const state = FROM_ISO_STATE[String(sts)];
    if (state === undefined) return parseError('malformedSyntax', 'TxInfAndSts.TxSts');
    const fulfilment = at(status, 'ExctnConf');
    return {
      ok: true,
      value: {
        transferState: state,
        completedTimestamp: at(status, 'PrcgDt', 'DtTm'),
        ...(fulfilment === undefined ? {} : { fulfilment }),
      },
    };
  }
  return parseError('malformedSyntax', `no ISO 20022 form for ${method} ${path}`);
}

function fromPacs008(doc: Json): Parsed<Json> {
  const required: [string, string[]][] = [
    ['transferId', ['CdtTrfTxInf', 'PmtId', 'TxId']],
    ['payeeFsp', ['CdtTrfTxInf', 'CdtrAgt', 'FinInstnId', 'Othr', 'Id']],
    ['payerFsp', ['CdtTrfTxInf', 'DbtrAgt', 'FinInstnId', 'Othr', 'Id']],
    ['currency', ['CdtTrfTxInf', 'IntrBkSttlmAmt', 'Ccy']],
    ['amount', ['CdtTrfTxInf', 'IntrBkSttlmAmt', 'ActiveCurrencyAndAmount']],
    ['ilpPacket', ['CdtTrfTxInf', 'VrfctnOfTerms', 'IlpV4PrepPacket']],
    ['expiration', ['GrpHdr', 'PmtInstrXpryDtTm']],
  ];
  const v: Record<string, unknown> = {};
  for (const [name, path] of required) {
    v[name] = at(doc, ...path);
    if (v[name] === undefined) return parseError('missingElement', path.join('.'));
  }
  // Mojaloop's ISO mode takes the condition from the ILP v4 packet; a Malipo peer also sends it
  // in Sh256Sgntr (decision 0024). When both are there the packet's is checked by the payee.
  v.condition =
    at(doc, 'CdtTrfTxInf', 'VrfctnOfTerms', 'Sh256Sgntr') ??
    (typeof v.ilpPacket === 'string' ? packetCondition(v.ilpPacket) : null) ??
    undefined;
  if (v.condition === undefined)
    return parseError(
      'missingElement',
      'CdtTrfTxInf.VrfctnOfTerms.Sh256Sgntr, and IlpV4PrepPacket is no ILP v4 Prepare to read it from',
    );
  return {
    ok: true,
    value: {
      transferId: v.transferId,
      payeeFsp: v.payeeFsp,
      payerFsp: v.payerFsp,
      amount: { amount: v.amount, currency: v.currency },
      ilpPacket: v.ilpPacket,
      condition: v.condition,
      expiration: v.expiration,
    },
  };
}

function at(value: unknown, ...path: string[]): unknown {
  let node = value;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}
