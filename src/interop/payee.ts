// Malipo as the payee FSP: answers party lookups, quotes and transfers for its own customers.
// The money moves through the payments service's public B2C, paid from the interop settlement
// organization's account, so an incoming interop payment meets the same limits, risk scoring and
// SMS as a business paying the customer locally. Decisions are values (the callback to send);
// the routes do the HTTP.

import type { LedgerClient } from '../journal/client.ts';
import type { PaymentsApi } from '../payments/commands.ts';
import type { Refusal } from '../payments/model.ts';
import { quoteFee } from '../payments/tariffs.ts';
import { hasFields, parseRecord } from '../records/parse.ts';
import { messageRecord } from './courier.ts';
import { conditionOf, decodePacket, fulfilmentOf, issuePacket, type QuoteTerms } from './ilp.ts';
import {
  type ErrorInformation,
  errorInformation,
  type FspiopErrorKind,
  INTEROP_LIMITS,
  type QuoteRequest,
  type TransferRequest,
} from './model.ts';
import { formatAmount } from './parse.ts';

export interface PayeeDeps {
  payments: PaymentsApi;
  ledger: LedgerClient;
  /** Our FSP id at the hub (FSPIOP-Source of our callbacks). */
  fspId: string;
  currency: string;
  /** The organization whose utility account pays incoming transfers out (the hub owes it back at settlement). */
  settlementShortcode: string;
  /** Keys the fulfilments; whoever holds it can fulfil our transfers. */
  ilpSecret: string;
  clock: { nowMs(): number };
}

/** What to answer: a PUT of `body` to the resource's callback, or to its `/error` callback. */
export type Answer =
  | { kind: 'put'; body: Record<string, unknown> }
  | { kind: 'error'; error: ErrorInformation }
  /** A duplicate still being processed: its first copy answers. */
  | { kind: 'none' }
  /** The callback was committed with the money (a fulfilment): the courier delivers it. */
  | { kind: 'committed' };

/** The journal stream that remembers each fulfilled transfer's condition and receipt. */
export const INTEROP_TRANSFER_STREAM = 'interop-transfer';
const LOAD_PAGE = 1000;

const isDoneTransfer = hasFields<DoneTransfer>({
  condition: 'string',
  receipt: 'string',
  completedMs: 'number',
  payerFsp: 'string',
  transferAmountCents: 'number',
  ilpPacket: 'string',
});

interface DoneTransfer {
  condition: string;
  receipt: string;
  completedMs: number;
  payerFsp: string;
  /** What the hub owes us for it at settlement: the customer's credit plus our fee. */
  transferAmountCents: number;
  /** Kept so a later GET /transfers/{id} can show the fulfilment again (the hub has seen it). */
  ilpPacket: string;
}

/** A transfer in the settlement view: with whom, and how much moves at settlement. */
export interface InboundTransfer {
  transferId: string;
  fsp: string;
  amountCents: number;
}

const fail = (kind: FspiopErrorKind, detail?: string): Answer => ({
  kind: 'error',
  error: errorInformation(kind, detail),
});

export class PayeeFsp {
  private readonly done = new Map<string, DoneTransfer>();

  constructor(private readonly deps: PayeeDeps) {}

  /** Restores the fulfilled transfers from the journal and makes sure the settlement org exists. */
  async start(): Promise<void> {
    for (let after = 0; ; ) {
      const page = await this.deps.ledger.readRecords(INTEROP_TRANSFER_STREAM, after, LOAD_PAGE);
      for (const record of page)
        this.done.set(
          record.key,
          parseRecord(record.body, isDoneTransfer, 'interop transfer record'),
        );
      if (page.length < LOAD_PAGE) break;
      after = page[page.length - 1].seq;
    }
    const org = await this.deps.payments.registerOrganization({
      shortcode: this.deps.settlementShortcode,
      name: 'Interoperability settlement',
      kind: 'paybill',
    });
    if (!org.ok && org.error !== 'already_registered')
      throw new Error(`interop settlement organization: ${org.message}`);
  }

  lookupParty(msisdn: string): Answer {
    const found = this.deps.payments.recipientName(msisdn);
    if (!found.ok) return refusalAnswer(found);
    const customer = this.deps.payments.customer(msisdn);
    if (!customer.ok) return refusalAnswer(customer);
    const { firstName, lastName } = customer.customer;
    return {
      kind: 'put',
      body: {
        party: {
          partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId: this.deps.fspId },
          name: found.name.slice(0, 128),
          personalInfo: { complexName: { firstName, lastName } },
        },
      },
    };
  }

  quote(request: QuoteRequest, payerFsp: string): Answer {
    const customer = this.deps.payments.customer(request.payee.partyIdentifier);
    if (!customer.ok) return refusalAnswer(customer);
    const split = this.splitFee(request);
    if (split === null) return fail('payeeFspRejectedQuote', 'amount outside the B2C tariff');
    const refused = this.checkReceiveAmount(split.receiveCents);
    if (refused !== null) return refused;
    const nowMs = this.deps.clock.nowMs();
    const expirationMs = Math.min(
      request.expirationMs ?? Number.MAX_SAFE_INTEGER,
      nowMs + INTEROP_LIMITS.quoteValidityMs,
    );
    if (expirationMs <= nowMs) return fail('quoteExpired');
    const terms: QuoteTerms = {
      quoteId: request.quoteId,
      transactionId: request.transactionId,
      payeeMsisdn: request.payee.partyIdentifier,
      payerFsp,
      transferAmountCents: split.receiveCents + split.feeCents,
      receiveAmountCents: split.receiveCents,
      payeeFspFeeCents: split.feeCents,
      currency: request.amount.currency,
      expirationMs,
    };
    const { ilpPacket, condition } = issuePacket(this.deps.ilpSecret, terms, {
      payeeFsp: this.deps.fspId,
      payer: request.payer,
    });
    const money = (cents: number) => ({ amount: formatAmount(cents), currency: terms.currency });
    return {
      kind: 'put',
      body: {
        transferAmount: money(terms.transferAmountCents),
        payeeReceiveAmount: money(terms.receiveAmountCents),
        payeeFspFee: money(terms.payeeFspFeeCents),
        expiration: new Date(expirationMs).toISOString(),
        ilpPacket,
        condition,
      },
    };
  }

  /** A quote is not issued for an amount the transfer would be refused for (step, B2C min/max). */
  private checkReceiveAmount(cents: number): Answer | null {
    const limits = this.deps.payments.market.limits;
    if (cents % limits.amountStepCents !== 0)
      return fail(
        'payeeFspRejectedQuote',
        `amounts are in steps of ${limits.amountStepCents} cents`,
      );
    const { minCents, maxCents } = limits.byType.b2c;
    if (cents < minCents || cents > maxCents)
      return fail('payeeLimit', `amount outside ${minCents}..${maxCents} cents`);
    return null;
  }

  /**
   * Our fee is the B2C tariff's (what a business pays to pay this customer). RECEIVE: the payee
   * gets the amount, the payer pays it plus the fee. SEND: the payer's amount covers both, and
   * the receive amount is settled so that receive + fee(receive) = amount exactly.
   */
  private splitFee(request: QuoteRequest): { receiveCents: number; feeCents: number } | null {
    const fee = (cents: number) => {
      const q = quoteFee(this.deps.payments.market.tariffs, {
        type: 'b2c',
        amountCents: cents,
      });
      return q.ok ? q.feeCents : null;
    };
    const amount = request.amount.amountCents;
    if (request.amountType === 'RECEIVE') {
      const f = fee(amount);
      return f === null ? null : { receiveCents: amount, feeCents: f };
    }
    // Tariff bands are step functions: two rounds settle unless the amount sits on a band edge.
    let f = fee(amount);
    for (let round = 0; round < 2 && f !== null; round++) {
      const next = fee(amount - f);
      if (next === f) return { receiveCents: amount - f, feeCents: f };
      f = next;
    }
    return null;
  }

  async transfer(request: TransferRequest, payerFsp: string): Promise<Answer> {
    const previous = this.done.get(request.transferId);
    if (previous !== undefined) return this.replay(request, previous);
    const terms = decodePacket(request.ilpPacket);
    const fulfilment = fulfilmentOf(this.deps.ilpSecret, request.ilpPacket);
    // Only a packet we issued has a condition we can fulfil: anything else was altered.
    if (
      terms === null ||
      terms.condition !== request.condition ||
      conditionOf(fulfilment) !== request.condition
    )
      return fail('modifiedRequest', 'condition does not match the quoted ILP packet');
    const wrong = checkTerms(terms, request, payerFsp, this.deps.fspId);
    if (wrong !== null) return fail('modifiedRequest', wrong);
    const nowMs = this.deps.clock.nowMs();
    if (terms.expirationMs <= nowMs) return fail('quoteExpired');
    if (request.expirationMs <= nowMs) return fail('transferExpired');
    return this.credit(request, terms, fulfilment);
  }

  private async credit(request: TransferRequest, terms: QuoteTerms, fulfilment: string) {
    const completedMs = this.deps.clock.nowMs();
    const done: Omit<DoneTransfer, 'receipt'> = {
      condition: request.condition,
      completedMs,
      payerFsp: terms.payerFsp,
      transferAmountCents: terms.transferAmountCents,
      ilpPacket: request.ilpPacket,
    };
    const callback = messageRecord({
      method: 'PUT',
      resource: 'transfers',
      path: `/transfers/${request.transferId}`,
      destination: terms.payerFsp,
      body: fulfilled(fulfilment, completedMs).body,
    });
    const outcome = await this.deps.payments.businessToCustomer({
      shortcode: this.deps.settlementShortcode,
      to: terms.payeeMsisdn,
      amountCents: terms.receiveAmountCents,
      requestKey: `interop:${request.transferId}`,
      channel: 'interop',
      remarks: `from ${terms.payerFsp}`,
      meta: { transferId: request.transferId, payerFsp: terms.payerFsp },
      // The transfer's condition commits with the money, so a retry after a restart is still
      // recognised (and a retry with a different condition refused); so does the fulfilment
      // callback, so a crash after the credit cannot lose it.
      outbox: (txn) => [
        {
          stream: INTEROP_TRANSFER_STREAM,
          key: request.transferId,
          body: JSON.stringify({ ...done, receipt: txn.receipt }),
        },
        callback,
      ],
    });
    if (!outcome.ok) {
      if (outcome.error === 'duplicate_request') return { kind: 'none' } as const;
      return refusalAnswer(outcome);
    }
    if (outcome.receipt.status === 'held') {
      // The hub times a transfer out in seconds; a review takes longer. Give the money back and
      // decline, rather than credit the customer after the payer was told the transfer failed.
      await this.deps.payments.rejectHeld(outcome.receipt.receipt, 'interop');
      return fail('payeeFspRejectedTransaction', 'held for review');
    }
    this.done.set(request.transferId, { ...done, receipt: outcome.receipt.receipt });
    return { kind: 'committed' } as const;
  }

  /** A retried POST /transfers: the same answer again, never a second credit. */
  private replay(request: TransferRequest, previous: DoneTransfer): Answer {
    if (previous.condition !== request.condition)
      return fail('modifiedRequest', 'transfer id reused with different terms');
    const fulfilment = fulfilmentOf(this.deps.ilpSecret, request.ilpPacket);
    if (conditionOf(fulfilment) !== previous.condition) return fail('modifiedRequest');
    return fulfilled(fulfilment, previous.completedMs);
  }

  /** GET /transfers/{id}: the payer FSP asks what became of a transfer whose callback it missed. */
  transferState(transferId: string): Answer {
    const done = this.done.get(transferId);
    if (done === undefined) return fail('transferNotFound');
    return fulfilled(fulfilmentOf(this.deps.ilpSecret, done.ilpPacket), done.completedMs);
  }

  /** Every transfer we fulfilled as the payee FSP: the settlement view's receivables. */
  inbound(): InboundTransfer[] {
    return [...this.done].map(([transferId, done]) => ({
      transferId,
      fsp: done.payerFsp,
      amountCents: done.transferAmountCents,
    }));
  }
}

function fulfilled(
  fulfilment: string,
  completedMs: number,
): { kind: 'put'; body: Record<string, unknown> } {
  return {
    kind: 'put',
    body: {
      fulfilment,
      completedTimestamp: new Date(completedMs).toISOString(),
      transferState: 'COMMITTED',
    },
  };
}

function checkTerms(
  terms: QuoteTerms,
  request: TransferRequest,
  payerFsp: string,
  ourFspId: string,
): string | null {
  if (request.payeeFsp !== ourFspId) return 'payeeFsp is not this FSP';
  if (request.payerFsp !== payerFsp || terms.payerFsp !== payerFsp)
    return 'payerFsp differs from the quote or the FSPIOP-Source';
  if (request.amount.amountCents !== terms.transferAmountCents)
    return 'amount differs from the quote';
  if (request.amount.currency !== terms.currency) return 'currency differs from the quote';
  return null;
}

/** The payments service's refusals in the scheme's words. */
const REFUSAL_ERRORS: Partial<Record<Refusal['error'], FspiopErrorKind>> = {
  unknown_customer: 'partyNotFound',
  invalid_msisdn: 'partyNotFound',
  party_frozen: 'payeeBlocked',
  party_closed: 'payeeBlocked',
  blocked: 'payeeBlocked',
  payee_balance_limit_exceeded: 'payeeLimit',
  daily_limit_exceeded: 'payeeLimit',
  amount_below_minimum: 'payeeLimit',
  amount_above_maximum: 'payeeLimit',
  insufficient_funds: 'payeeFspInsufficientLiquidity',
};

function refusalAnswer(refusal: Refusal): Answer {
  return fail(REFUSAL_ERRORS[refusal.error] ?? 'payeeFspRejectedTransaction', refusal.message);
}
