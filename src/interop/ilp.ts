// The ILP condition and fulfilment that make an FSPIOP transfer final, and the packet that binds
// a quote's terms to them. As the Mojaloop SDK does, the payee FSP keeps no quote state: the
// fulfilment is an HMAC of the packet under a secret only Malipo holds, so at transfer time the
// packet proves its own terms (amounts, payee, expiry) and the condition proves the packet.
//
// Simplification (said in docs/decisions/0016): the packet is base64url JSON of our own quote
// terms, not the OER-encoded ILP v4 Prepare packet. Both are opaque to the hub and the payer FSP;
// interop with an FSP that decodes the packet itself would need the real encoding.

import { createHash, createHmac } from 'node:crypto';

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

export function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

export function encodePacket(terms: QuoteTerms): string {
  return base64url(Buffer.from(JSON.stringify(terms), 'utf8'));
}

/** The terms inside a packet we issued; null for anything else (a packet is only trusted after its condition checks). */
export function decodePacket(packet: string): QuoteTerms | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(packet, 'base64url').toString('utf8'));
    return isTerms(value) ? value : null;
  } catch {
    return null;
  }
}

export function fulfilmentOf(secret: string, packet: string): string {
  return base64url(createHmac('sha256', secret).update(packet).digest());
}

/** The condition is the SHA-256 of the 32 fulfilment bytes, base64url without padding. */
export function conditionOf(fulfilment: string): string {
  return base64url(createHash('sha256').update(Buffer.from(fulfilment, 'base64url')).digest());
}

function isTerms(value: unknown): value is QuoteTerms {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const strings = ['quoteId', 'transactionId', 'payeeMsisdn', 'payerFsp', 'currency'];
  const cents = ['transferAmountCents', 'receiveAmountCents', 'payeeFspFeeCents', 'expirationMs'];
  return (
    strings.every((k) => typeof v[k] === 'string') &&
    cents.every((k) => Number.isSafeInteger(v[k]) && (v[k] as number) >= 0)
  );
}
