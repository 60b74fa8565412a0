// The ILP condition and fulfilment that make an FSPIOP transfer final, and the packet that binds
// a quote's terms to them, exactly as Mojaloop's SDK (sdk-standard-components IlpV4) builds them:
// the packet is a base64url OER-encoded ILP v4 Prepare (RFC 27) whose data is the base64url JSON
// of the FSPIOP transaction object; the fulfilment is HMAC-SHA256 of that transaction object
// under a secret only Malipo holds, and the condition (also inside the packet) is its SHA-256.
// The payee FSP keeps no quote state: at transfer time the packet proves its own terms and the
// condition proves the packet is ours. Packets are parsed strictly (ilp-oer.ts): anything that is
// not a canonical Prepare carrying one of our transaction objects is refused as altered (3106).

import { createHash, createHmac } from 'node:crypto';
import { decodePrepare, encodePrepare } from './ilp-oer.ts';
import { formatAmount } from './parse.ts';

export interface QuoteTerms {
  quoteId: string;
  transactionId: string;
  payeeMsisdn: string;
  payerFsp: string;
  /** What the payer FSP must transfer: receive amount plus our fee. */
  transferAmountCents: number;
  receiveAmountCents: number;
  payeeFspFeeCents: number;
  currency: string;
  expirationMs: number;
}

/** Who is who in the transaction object, beyond the terms (the payee's FSP, the payer's party). */
export interface PacketParties {
  payeeFsp: string;
  payer: { partyIdType: string; partyIdentifier: string };
}

export interface IssuedPacket {
  ilpPacket: string;
  condition: string;
  fulfilment: string;
}

/** The SDK's ILP address for Mojaloop: parties are named in the transaction object, not here. */
export const ILP_ADDRESS = 'g.mojaloop';
/** Currencies Malipo quotes in have two decimals: the packet's amount is in cents. */
const CENTS = 100;

export function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** The transaction object (FSPIOP `Transaction`) a quote's packet carries. */
function transactionObject(terms: QuoteTerms, parties: PacketParties) {
  const money = (cents: number) => ({ amount: formatAmount(cents), currency: terms.currency });
  return {
    quoteId: terms.quoteId,
    transactionId: terms.transactionId,
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    payee: {
      partyIdInfo: {
        partyIdType: 'MSISDN',
        partyIdentifier: terms.payeeMsisdn,
        fspId: parties.payeeFsp,
      },
    },
    payer: {
      partyIdInfo: {
        partyIdType: parties.payer.partyIdType,
        partyIdentifier: parties.payer.partyIdentifier,
        fspId: terms.payerFsp,
      },
    },
    expiration: new Date(terms.expirationMs).toISOString(),
    amount: money(terms.transferAmountCents),
    // Not in the SDK's object, but FSPIOP's Transaction allows extensions: the receive amount the
    // customer is credited and our fee travel with the terms they were quoted under.
    extensionList: {
      extension: [
        { key: 'payeeReceiveAmount', value: formatAmount(terms.receiveAmountCents) },
        { key: 'payeeFspFee', value: formatAmount(terms.payeeFspFeeCents) },
      ],
    },
  };
}

/** The SDK's fulfilment: HMAC-SHA256, key = base64(secret), message = base64(JSON). */
function fulfilmentOfJson(secret: string, json: string): string {
  const key = Buffer.from(Buffer.from(secret).toString('base64'), 'ascii');
  const message = Buffer.from(Buffer.from(json).toString('base64'), 'ascii');
  return base64url(createHmac('sha256', key).update(message).digest());
}

export function issuePacket(
  secret: string,
  terms: QuoteTerms,
  parties: PacketParties,
): IssuedPacket {
  const json = JSON.stringify(transactionObject(terms, parties));
  const fulfilment = fulfilmentOfJson(secret, json);
  const condition = conditionOf(fulfilment);
  const packet = encodePrepare({
    amount: BigInt(terms.transferAmountCents),
    expiresAt: new Date(terms.expirationMs),
    executionCondition: Buffer.from(condition, 'base64url'),
    destination: ILP_ADDRESS,
    data: Buffer.from(Buffer.from(json).toString('base64url'), 'ascii'),
  });
  return { ilpPacket: base64url(packet), condition, fulfilment };
}

/** The transaction object's JSON inside a Prepare packet, or null for anything else. */
function packetJson(packet: string): { json: string; condition: string; amount: bigint } | null {
  if (!/^[A-Za-z0-9_-]+$/.test(packet)) return null;
  const prepare = decodePrepare(Buffer.from(packet, 'base64url'));
  if (prepare === null) return null;
  const data = prepare.data.toString('ascii');
  if (!/^[A-Za-z0-9_-]+$/.test(data)) return null;
  return {
    json: Buffer.from(data, 'base64url').toString('utf8'),
    condition: base64url(prepare.executionCondition),
    amount: prepare.amount,
  };
}

/** The execution condition an ILP v4 Prepare carries (what Mojaloop's ISO 20022 mode reads), or null. */
export function packetCondition(packet: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(packet)) return null;
  const prepare = decodePrepare(Buffer.from(packet, 'base64url'));
  return prepare === null ? null : base64url(prepare.executionCondition);
}

/**
 * The terms inside a packet we could have issued, with the condition it carries; null for
 * anything else (a packet is only trusted after its condition checks against our fulfilment).
 */
export function decodePacket(packet: string): (QuoteTerms & { condition: string }) | null {
  const inner = packetJson(packet);
  if (inner === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(inner.json);
  } catch {
    return null;
  }
  const terms = termsOf(value);
  if (terms === null || BigInt(terms.transferAmountCents) !== inner.amount) return null;
  return { ...terms, condition: inner.condition };
}

/**
 * The fulfilment for a packet: the SDK's HMAC over the transaction object it carries. A packet
 * that is not an ILP v4 Prepare gets the HMAC of the packet itself, which is how fulfilments were
 * derived before the packet was real (decision 0016): transfers fulfilled then and stored with
 * their packet keep answering GET /transfers and replays with the fulfilment they were given.
 */
export function fulfilmentOf(secret: string, packet: string): string {
  const inner = packetJson(packet);
  if (inner !== null) return fulfilmentOfJson(secret, inner.json);
  return base64url(createHmac('sha256', secret).update(packet).digest());
}

/** The condition is the SHA-256 of the 32 fulfilment bytes, base64url without padding. */
export function conditionOf(fulfilment: string): string {
  return base64url(createHash('sha256').update(Buffer.from(fulfilment, 'base64url')).digest());
}

/** Strict amount: digits with at most two decimals, to integer cents. */
function centsOf(value: unknown): number | null {
  if (typeof value !== 'string' || !/^(0|[1-9]\d{0,15})(\.\d{1,2})?$/.test(value)) return null;
  const [whole, fraction = ''] = value.split('.');
  const cents = Number(whole) * CENTS + Number(fraction.padEnd(2, '0'));
  return Number.isSafeInteger(cents) ? cents : null;
}

/** The value at `path` inside a parsed JSON value, or undefined. */
function at(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function extension(value: unknown, key: string): unknown {
  const list = at(value, 'extensionList', 'extension');
  if (!Array.isArray(list)) return undefined;
  return at(
    list.find((e) => at(e, 'key') === key),
    'value',
  );
}

function termsOf(v: unknown): QuoteTerms | null {
  const [quoteId, transactionId, payeeMsisdn, payerFsp, currency] = [
    at(v, 'quoteId'),
    at(v, 'transactionId'),
    at(v, 'payee', 'partyIdInfo', 'partyIdentifier'),
    at(v, 'payer', 'partyIdInfo', 'fspId'),
    at(v, 'amount', 'currency'),
  ];
  const transferAmountCents = centsOf(at(v, 'amount', 'amount'));
  const receiveAmountCents = centsOf(extension(v, 'payeeReceiveAmount'));
  const payeeFspFeeCents = centsOf(extension(v, 'payeeFspFee'));
  const expiration = at(v, 'expiration');
  const expirationMs = typeof expiration === 'string' ? Date.parse(expiration) : Number.NaN;
  if (
    typeof quoteId !== 'string' ||
    typeof transactionId !== 'string' ||
    typeof payeeMsisdn !== 'string' ||
    typeof payerFsp !== 'string' ||
    typeof currency !== 'string' ||
    !/^[A-Z]{3}$/.test(currency) ||
    transferAmountCents === null ||
    receiveAmountCents === null ||
    payeeFspFeeCents === null ||
    !Number.isSafeInteger(expirationMs) ||
    receiveAmountCents + payeeFspFeeCents !== transferAmountCents
  )
    return null;
  return {
    quoteId,
    transactionId,
    payeeMsisdn,
    payerFsp,
    transferAmountCents,
    receiveAmountCents,
    payeeFspFeeCents,
    currency,
    expirationMs,
  };
}
