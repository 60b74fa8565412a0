// Malipo as the payer FSP: a customer sends to another provider's customer by phone number.
// The three FSPIOP phases, as the customer sees them:
// - lookup: GET /parties through the hub, awaited (bounded) so the name shows before the PIN;
// - quote: POST /quotes to the payee FSP, awaited (bounded) so the fee shows before the PIN;
// - transfer: at the PIN the money moves into the interop transit account as a PENDING ledger
//   transfer, committed with the transfer's 'prepared' record and the POST /transfers message
//   (delivered by the durable courier); the payee FSP's fulfilment (checked against the
//   condition) posts it, an error callback, a rejection or the expiry voids it.
// Every state change commits as a journal record with its ledger step, and every ledger id is
// derived from the transfer id, so retries, duplicate callbacks and restarts resolve once.

import { randomUUID } from 'node:crypto';
import type { LedgerClient } from '../journal/client.ts';
import type { JournalRecord } from '../journal/journal.ts';
import {
  type Authorization,
  type InteropPayer,
  interopSmsRecord,
  type Outcome,
  type PaymentsApi,
  type SmsIntent,
} from '../payments/commands.ts';
import { refuse } from '../payments/model.ts';
import { type Courier, type FspiopMessage, messageRecord } from './courier.ts';
import type { HubClient } from './hub-client.ts';
import { conditionOf } from './ilp.ts';
import { type ErrorInformation, errorInformation } from './model.ts';
import { formatAmount, type QuoteResponse, type TransferCallback } from './parse.ts';
import { Waiters } from './waiters.ts';

export const INTEROP_OUTBOUND_STREAM = 'interop-outbound';
const LOAD_PAGE = 1000;

export interface PayerDeps {
  payments: PaymentsApi;
  ledger: LedgerClient;
  hub: HubClient;
  courier: Courier;
  fspId: string;
  currency: string;
  clock: { nowMs(): number };
  /** How long the hub has to fulfil our transfer (its `expiration`). */
  transferExpiryMs: number;
  /** Longest wait for a lookup's or a quote's callback while the customer waits. */
  answerWaitMs: number;
}

export interface Party {
  msisdn: string;
  fspId: string;
  name: string;
}

export interface Quote {
  quoteId: string;
  transactionId: string;
  payee: Party;
  /** What the payee receives. */
  amountCents: number;
  /** The payee FSP's fee, paid by our customer: transferAmount − amount. */
  feeCents: number;
  transferAmountCents: number;
  /**
   * Malipo's own fee (the market's tariff, decision 0027), charged beside the transfer amount;
   * absent on transfers from before it (read as zero).
   */
  malipoFeeCents?: number;
  ilpPacket: string;
  condition: string;
  expirationMs: number;
}

export type TransferState = 'prepared' | 'committed' | 'aborted';
export type PayerKind = 'customer' | 'business';

export interface SendCommand {
  /** The customer's MSISDN, or the business's shortcode for a B2C to another network. */
  from: string;
  quote: Quote;
  /** The customer's authorization; 'business' for an authenticated B2C request. */
  auth: Authorization | 'business';
  requestKey: string;
  waitMs: number;
  /** The caller's records, committed with the reservation (e.g. a Daraja request's acceptance). */
  prepared?: JournalRecord[];
  /**
   * The caller's records for the transfer's end, committed with its post or void (a Daraja B2C's
   * result callback), so they are written exactly once, whatever callbacks repeat. Kept in memory:
   * after a restart the caller asks again with the same request key (see `send`).
   */
  onEnd?: EndRecords;
  /** Told once `onEnd`'s records are committed (e.g. to wake the deliverer of a callback). */
  onEndCommitted?: () => void;
}

/** Builds the records committed with a transfer's resolution, given its final state. */
export type EndRecords = (transfer: OutboundTransfer) => JournalRecord[];
type EndSender = { build: EndRecords; committed?: () => void };

export interface OutboundTransfer {
  transferId: string;
  requestKey: string;
  payer: string;
  payerKind: PayerKind;
  quote: Quote;
  expirationMs: number;
  state: TransferState;
  /** The M-PESA receipt the payer's SMS and screen show (absent on transfers from before it). */
  receipt?: string;
  preparedMs: number;
  endedMs: number | null;
  error: ErrorInformation | null;
}

type OutboundEvent =
  | { event: 'prepared'; transfer: OutboundTransfer }
  | { event: 'committed'; transferId: string; fulfilment: string; atMs: number }
  | { event: 'aborted'; transferId: string; error: ErrorInformation; atMs: number };

/** A lookup or quote that did not come back as an answer. */
export type Failed = { ok: false; error: ErrorInformation };
export type Found<T> = ({ ok: true } & T) | Failed;

/** The ledger voids a reservation by itself this long after the transfer's expiry. */
const LEDGER_MARGIN_SECONDS = 120;
/** Our own expiry sweep voids a transfer the hub never answered this long after its expiry. */
const EXPIRY_GRACE_MS = 5_000;
const LOOKUP_CACHE_MS = 5 * 60_000;
const LOOKUPS_CACHED_MAX = 10_000;

export class PayerFsp {
  readonly transfers = new Map<string, OutboundTransfer>();
  private readonly byRequestKey = new Map<string, string>();
  private readonly parties = new Waiters<Found<{ party: Party }>>();
  private readonly quotes = new Waiters<Found<{ quote: Quote }>>();
  private readonly ended = new Waiters<OutboundTransfer>();
  private readonly pendingQuotes = new Map<
    string,
    Omit<Quote, 'feeCents' | 'transferAmountCents' | 'ilpPacket' | 'condition' | 'expirationMs'>
  >();
  private readonly lookupCache = new Map<string, { atMs: number; party: Party }>();
  /** By request key: what the sender commits with the transfer's end (see SendCommand.onEnd). */
  private readonly endRecords = new Map<string, EndSender>();
  /** By transfer id: the sender whose records went into the end being committed. */
  private readonly built = new Map<string, EndSender>();

  constructor(private readonly deps: PayerDeps) {}

  async start(): Promise<void> {
    for (let after = 0; ; ) {
      const page = await this.deps.ledger.readRecords(INTEROP_OUTBOUND_STREAM, after, LOAD_PAGE);
      for (const record of page) this.apply(JSON.parse(record.body) as OutboundEvent);
      if (page.length < LOAD_PAGE) break;
      after = page[page.length - 1].seq;
    }
  }

  private apply(event: OutboundEvent): void {
    if (event.event === 'prepared') {
      this.transfers.set(event.transfer.transferId, event.transfer);
      this.byRequestKey.set(event.transfer.requestKey, event.transfer.transferId);
      return;
    }
    const transfer = this.transfers.get(event.transferId);
    if (transfer === undefined) return;
    transfer.state = event.event === 'committed' ? 'committed' : 'aborted';
    transfer.endedMs = event.atMs;
    transfer.error = event.event === 'aborted' ? event.error : null;
    this.ended.settle(transfer.transferId, transfer);
  }

  /** The transfer a request key started, if any. */
  transferOf(requestKey: string): OutboundTransfer | undefined {
    const id = this.byRequestKey.get(requestKey);
    return id === undefined ? undefined : this.transfers.get(id);
  }

  nowMs(): number {
    return this.deps.clock.nowMs();
  }

  // ---- Lookup --------------------------------------------------------------------------------

  /** The recipient's name and FSP, from the hub; a recent answer is reused (menus replay). */
  async lookup(msisdn: string): Promise<Found<{ party: Party }>> {
    const cached = this.lookupCache.get(msisdn);
    if (cached !== undefined && this.deps.clock.nowMs() - cached.atMs < LOOKUP_CACHE_MS)
      return { ok: true, party: cached.party };
    const path = `/parties/MSISDN/${msisdn}`;
    const answer = this.parties.wait(path, this.deps.answerWaitMs);
    const sent = await this.deps.hub.request('GET', 'parties', path, null);
    if (!sent) this.parties.settle(path, unreachable());
    const outcome = await answer;
    if (outcome === null) return timedOut();
    if (outcome.ok) this.remember(msisdn, outcome.party);
    return outcome;
  }

  private remember(msisdn: string, party: Party): void {
    if (this.lookupCache.size >= LOOKUPS_CACHED_MAX) this.lookupCache.clear();
    this.lookupCache.set(msisdn, { atMs: this.deps.clock.nowMs(), party });
  }

  onParty(msisdn: string, party: Party | ErrorInformation): void {
    const path = `/parties/MSISDN/${msisdn}`;
    if ('errorCode' in party) this.parties.settle(path, { ok: false, error: party });
    else this.parties.settle(path, { ok: true, party });
  }

  // ---- Quote ---------------------------------------------------------------------------------

  /** Asks the payee FSP what `amountCents` received by `payee` costs our customer. */
  async quote(
    payer: string,
    payee: Party,
    amountCents: number,
    payerKind: PayerKind = 'customer',
  ): Promise<Found<{ quote: Quote }>> {
    // Our own fee first: an amount our tariff does not price is not worth asking the payee FSP.
    const ours = this.deps.payments.interopFee(payerKind, amountCents);
    if (!ours.ok) return { ok: false, error: errorInformation('validation', ours.message) };
    const quoteId = randomUUID();
    const transactionId = randomUUID();
    const path = `/quotes/${quoteId}`;
    this.pendingQuotes.set(quoteId, {
      quoteId,
      transactionId,
      payee,
      amountCents,
      malipoFeeCents: ours.feeCents,
    });
    const answer = this.quotes.wait(path, this.deps.answerWaitMs);
    const body = {
      quoteId,
      transactionId,
      payee: {
        partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: payee.msisdn, fspId: payee.fspId },
      },
      payer: {
        partyIdInfo: {
          partyIdType: payerKind === 'business' ? 'BUSINESS' : 'MSISDN',
          partyIdentifier: payer,
          fspId: this.deps.fspId,
        },
      },
      amountType: 'RECEIVE',
      amount: { amount: formatAmount(amountCents), currency: this.deps.currency },
      transactionType: {
        scenario: 'TRANSFER',
        initiator: 'PAYER',
        initiatorType: payerKind === 'business' ? 'BUSINESS' : 'CONSUMER',
      },
    };
    const sent = await this.deps.hub.request('POST', 'quotes', '/quotes', payee.fspId, body);
    if (!sent) this.quotes.settle(path, unreachable());
    const outcome = await answer;
    this.pendingQuotes.delete(quoteId);
    return outcome ?? timedOut();
  }

  /** PUT /quotes/{id}: true when it answered a quote we asked for. */
  onQuote(quoteId: string, response: QuoteResponse | ErrorInformation): boolean {
    const asked = this.pendingQuotes.get(quoteId);
    if (asked === undefined) return false;
    const path = `/quotes/${quoteId}`;
    if ('errorCode' in response) {
      this.quotes.settle(path, { ok: false, error: response });
      return true;
    }
    const transferAmountCents = response.transferAmount.amountCents;
    const receive = response.payeeReceiveAmount?.amountCents ?? asked.amountCents;
    // RECEIVE: the payee must get exactly what we asked; the rest is the payee FSP's fee.
    if (receive !== asked.amountCents || transferAmountCents < asked.amountCents) {
      this.quotes.settle(path, {
        ok: false,
        error: errorInformation('validation', 'quote does not match the requested amount'),
      });
      return true;
    }
    const quote: Quote = {
      ...asked,
      feeCents: transferAmountCents - asked.amountCents,
      transferAmountCents,
      ilpPacket: response.ilpPacket,
      condition: response.condition,
      expirationMs: response.expirationMs,
    };
    this.quotes.settle(path, { ok: true, quote });
    return true;
  }

  // ---- Transfer ------------------------------------------------------------------------------

  /**
   * The customer confirmed with the PIN: reserve and send the transfer, then wait (bounded) for
   * the fulfilment. A repeated request key answers the transfer it started, never a second one.
   */
  async send(command: SendCommand): Promise<Outcome<{ transfer: OutboundTransfer }>> {
    const known = this.byRequestKey.get(command.requestKey);
    if (known !== undefined) {
      const transfer = this.transfers.get(known);
      if (transfer === undefined) return refuse('duplicate_request', 'already being sent');
      // A sender asking again (after a restart) takes over the end's records if still open.
      if (command.onEnd !== undefined && transfer.state === 'prepared')
        this.endRecords.set(command.requestKey, {
          build: command.onEnd,
          committed: command.onEndCommitted,
        });
      return { ok: true, transfer: await this.settled(transfer, command.waitMs) };
    }
    const nowMs = this.deps.clock.nowMs();
    if (command.quote.expirationMs <= nowMs) return refuse('invalid_request', 'the quote expired');
    const transferId = randomUUID();
    this.byRequestKey.set(command.requestKey, transferId);
    const expirationMs = Math.min(nowMs + this.deps.transferExpiryMs, command.quote.expirationMs);
    const transfer: OutboundTransfer = {
      transferId,
      requestKey: command.requestKey,
      payer: command.from,
      payerKind: command.auth === 'business' ? 'business' : 'customer',
      quote: command.quote,
      expirationMs,
      state: 'prepared',
      preparedMs: nowMs,
      endedMs: null,
      error: null,
    };
    // Before the reservation: a fulfilment may arrive before `reserve` returns.
    if (command.onEnd !== undefined)
      this.endRecords.set(command.requestKey, {
        build: command.onEnd,
        committed: command.onEndCommitted,
      });
    const reserved = await this.reserve(command, transfer, nowMs);
    if (!reserved.ok) {
      this.byRequestKey.delete(command.requestKey);
      this.endRecords.delete(command.requestKey);
      return reserved;
    }
    this.apply({ event: 'prepared', transfer });
    this.deps.courier.wake();
    return { ok: true, transfer: await this.settled(transfer, command.waitMs) };
  }

  /**
   * The pending transfer (and Malipo's fee) from the customer's wallet or the business's
   * accounts; the payer's canonical id and the receipt come back from payments with it.
   */
  private reserve(command: SendCommand, transfer: OutboundTransfer, nowMs: number) {
    const timeoutSeconds =
      Math.ceil((transfer.expirationMs - nowMs) / 1000) + LEDGER_MARGIN_SECONDS;
    const { quote } = command;
    const payer: InteropPayer =
      command.auth === 'business'
        ? { kind: 'business', shortcode: command.from }
        : { kind: 'customer', msisdn: command.from, auth: command.auth };
    return this.deps.payments.reserveInterop({
      payer,
      transferId: transfer.transferId,
      transferAmountCents: quote.transferAmountCents,
      feeCents: quote.malipoFeeCents ?? 0,
      timeoutSeconds,
      scored: {
        payee: quote.payee.msisdn,
        payeeFsp: quote.payee.fspId,
        amountCents: quote.amountCents,
        feeCents: quote.feeCents + (quote.malipoFeeCents ?? 0),
      },
      records: ({ payer: canonical, receipt }) => {
        transfer.payer = canonical;
        transfer.receipt = receipt;
        return [
          eventRecord({ event: 'prepared', transfer }),
          messageRecord(this.prepareMessage(transfer)),
          ...(command.prepared ?? []),
        ];
      },
    });
  }

  private prepareMessage(transfer: OutboundTransfer): FspiopMessage {
    const { quote } = transfer;
    return {
      method: 'POST',
      resource: 'transfers',
      path: '/transfers',
      destination: quote.payee.fspId,
      body: {
        transferId: transfer.transferId,
        payerFsp: this.deps.fspId,
        payeeFsp: quote.payee.fspId,
        amount: { amount: formatAmount(quote.transferAmountCents), currency: this.deps.currency },
        ilpPacket: quote.ilpPacket,
        condition: quote.condition,
        expiration: new Date(transfer.expirationMs).toISOString(),
      },
    };
  }

  private async settled(transfer: OutboundTransfer, waitMs: number): Promise<OutboundTransfer> {
    if (transfer.state !== 'prepared' || waitMs <= 0) return transfer;
    return (await this.ended.wait(transfer.transferId, waitMs)) ?? transfer;
  }

  /**
   * PUT /transfers/{id} from the payee FSP via the hub. Returns the error to call back with, or
   * null. A fulfilment that does not hash to the condition moves nothing (the reservation waits
   * for a valid one, an error or the expiry); a duplicate finds the ledger already decided.
   */
  async onTransfer(
    transferId: string,
    callback: TransferCallback,
  ): Promise<ErrorInformation | null> {
    const transfer = this.transfers.get(transferId);
    if (transfer === undefined) return errorInformation('transferNotFound');
    if (callback.transferState === 'ABORTED')
      return this.abort(
        transfer,
        errorInformation('payeeRejection', 'transfer aborted by the payee FSP'),
      );
    if (callback.transferState !== 'COMMITTED' || callback.fulfilment === null) return null;
    if (conditionOf(callback.fulfilment) !== transfer.quote.condition)
      return errorInformation('validation', 'invalid fulfilment');
    if (transfer.state === 'committed') return null;
    if (transfer.state === 'aborted') {
      // We voided at our expiry and the hub still says committed: the payee FSP may have
      // credited its customer. Only the scheme's reconciliation can settle that; say it loudly.
      console.warn(`malipo interop: fulfilment for aborted transfer ${transferId}; reconcile`);
      return null;
    }
    const atMs = this.deps.clock.nowMs();
    const event: OutboundEvent = {
      event: 'committed',
      transferId,
      fulfilment: callback.fulfilment,
      atMs,
    };
    const how = await this.deps.payments.resolveInterop({
      transferId,
      how: 'post',
      records: [
        eventRecord(event),
        ...(await this.sentSms(transfer, atMs)),
        ...this.endOf(transfer, { state: 'committed', endedMs: atMs, error: null }),
      ],
    });
    if (how === 'done') await this.applyEnd(transfer, event);
    else {
      // Not committed by us: the records built for it were not written.
      this.built.delete(transfer.transferId);
      if (how === 'expired') await this.recordExpired(transfer);
    }
    return null;
  }

  /** PUT /transfers/{id}/error: the hub or the payee FSP gave up; the payer has the money back. */
  async onTransferError(transferId: string, error: ErrorInformation): Promise<void> {
    const transfer = this.transfers.get(transferId);
    if (transfer !== undefined) await this.abort(transfer, error);
  }

  private async abort(transfer: OutboundTransfer, error: ErrorInformation): Promise<null> {
    if (transfer.state !== 'prepared') return null;
    const event: OutboundEvent = {
      event: 'aborted',
      transferId: transfer.transferId,
      error,
      atMs: this.deps.clock.nowMs(),
    };
    const how = await this.deps.payments.resolveInterop({
      transferId: transfer.transferId,
      how: 'void',
      records: [
        eventRecord(event),
        ...this.returnedSms(transfer, event.atMs),
        ...this.endOf(transfer, { state: 'aborted', endedMs: event.atMs, error }),
      ],
    });
    if (how === 'done') await this.applyEnd(transfer, event);
    else {
      // Not committed by us: the records built for it were not written.
      this.built.delete(transfer.transferId);
      if (how === 'expired') await this.recordExpired(transfer);
    }
    return null;
  }

  /** The ledger's own timeout already returned the money: record it once. */
  private async recordExpired(transfer: OutboundTransfer): Promise<void> {
    if (transfer.state !== 'prepared') return;
    const event: OutboundEvent = {
      event: 'aborted',
      transferId: transfer.transferId,
      error: errorInformation('transferExpired'),
      atMs: this.deps.clock.nowMs(),
    };
    await this.deps.ledger.appendRecords([
      eventRecord(event),
      ...this.returnedSms(transfer, event.atMs),
      ...this.endOf(transfer, { state: 'aborted', endedMs: event.atMs, error: event.error }),
    ]);
    await this.applyEnd(transfer, event);
  }

  /** The sender's records for this end, built on the transfer as it will be once committed. */
  private endOf(
    transfer: OutboundTransfer,
    end: Pick<OutboundTransfer, 'state' | 'endedMs' | 'error'>,
  ): JournalRecord[] {
    const sender = this.endRecords.get(transfer.requestKey);
    if (sender === undefined) return [];
    this.built.set(transfer.transferId, sender);
    return sender.build({ ...transfer, ...end });
  }

  /**
   * Applies a committed end. A sender that registered while the end was being committed (a
   * restart re-running its request) missed that commit: its records are written now, once, since
   * the transfer has ended and nobody registers again.
   */
  private async applyEnd(transfer: OutboundTransfer, event: OutboundEvent): Promise<void> {
    const used = this.built.get(transfer.transferId);
    this.built.delete(transfer.transferId);
    const current = this.endRecords.get(transfer.requestKey);
    this.endRecords.delete(transfer.requestKey);
    this.apply(event);
    if (current !== undefined && current !== used)
      await this.deps.ledger.appendRecords(current.build(transfer));
    used?.committed?.();
    if (current !== used) current?.committed?.();
  }

  /**
   * The payer's confirmation, committed with the post like a local payment's (the balance is the
   * wallet's as the post leaves it). A business paying B2C gets its result from the API instead.
   */
  private async sentSms(transfer: OutboundTransfer, atMs: number): Promise<JournalRecord[]> {
    if (transfer.payerKind !== 'customer') return [];
    const remainingCents = await this.deps.payments.remainingDailyCents(transfer.payer, atMs);
    const { quote } = transfer;
    return [
      this.smsOf(transfer, {
        type: 'interop_sender',
        timestampMs: atMs,
        receipt: transfer.receipt ?? transfer.transferId,
        amountCents: quote.amountCents,
        name: quote.payee.name,
        phone: quote.payee.msisdn,
        provider: quote.payee.fspId,
        // Both fees: the payee FSP's and ours.
        costCents: quote.feeCents + (quote.malipoFeeCents ?? 0),
        remainingCents,
        balanceCents: 0,
      }),
    ];
  }

  /** The payer hears the money came back (an error, a rejection or the expiry). */
  private returnedSms(transfer: OutboundTransfer, atMs: number): JournalRecord[] {
    if (transfer.payerKind !== 'customer') return [];
    return [
      this.smsOf(transfer, {
        type: 'interop_returned',
        timestampMs: atMs,
        receipt: transfer.receipt ?? transfer.transferId,
        // Everything reserved comes back: the transfer amount and our fee.
        amountCents: transfer.quote.transferAmountCents + (transfer.quote.malipoFeeCents ?? 0),
        name: transfer.quote.payee.name,
        balanceCents: 0,
      }),
    ];
  }

  /** The dispatcher fills `balanceCents` from the wallet's balance stored with the record. */
  private smsOf(transfer: OutboundTransfer, message: SmsIntent['message']): JournalRecord {
    return interopSmsRecord(transfer.receipt ?? transfer.transferId, transfer.payer, message);
  }

  /** Voids the transfers the hub never answered within their expiry (plus a grace). */
  async expireDue(): Promise<number> {
    const nowMs = this.deps.clock.nowMs();
    let closed = 0;
    for (const transfer of this.transfers.values()) {
      if (transfer.state !== 'prepared' || transfer.expirationMs + EXPIRY_GRACE_MS > nowMs)
        continue;
      await this.abort(transfer, errorInformation('transferExpired'));
      closed++;
    }
    return closed;
  }
}

function eventRecord(event: OutboundEvent): JournalRecord {
  const key = event.event === 'prepared' ? event.transfer.transferId : event.transferId;
  return { stream: INTEROP_OUTBOUND_STREAM, key, body: JSON.stringify(event) };
}

function unreachable(): Failed {
  return { ok: false, error: errorInformation('destinationFsp', 'the hub could not be reached') };
}

function timedOut(): Failed {
  return { ok: false, error: errorInformation('destinationFsp', 'no answer in time') };
}
