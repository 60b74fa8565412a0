// The initiator APIs (B2C, Business to Pochi, B2B, top-up, tax, transaction status, account
// balance, reversal) share one life cycle, as on M-Pesa:
//
// 1. accept: the initiator's SecurityCredential is checked; the request is committed as
//    'request_accepted' (without its credential) before the acknowledgement is sent. A wrong or
//    locked credential is not an HTTP error: its failure result is committed in that same append,
//    to be delivered to the ResultURL (B2C's 2001 sample).
// 2. process: the money moves with its result callback and a 'request_completed' event in one
//    ledger submission; a refusal appends its failure result and the event together. A request
//    whose acceptance has nothing else to commit is processed BEFORE the acknowledgement
//    (decision 0019): the commit that settles it (the money with its result, or the refusal)
//    holds its completion, which carries what restore needs (ids, receipt, B2C v3's duplicate
//    key), so 'request_accepted' is not written at all and the request costs one commit. Only a
//    payment the risk engine holds stays open: its acceptance commits with 'request_held' before
//    the acknowledgement. A request whose acceptance changed the initiator (a counted failure, a
//    lock) commits it under the initiator's lock and is processed after the acknowledgement.
// 3. restore, at start: an accepted request without its completion moved no money (completion
//    commits with the money), so it is processed now, or, when it waited too long, answered on
//    its QueueTimeOutURL.
import type { LedgerClient } from '../../journal/client.ts';
import type { JournalRecord } from '../../journal/journal.ts';
import { KeyedLocks } from '../../locks/keyed-locks.ts';
import type {
  CommitRecords,
  HoldEnd,
  PaymentsApi,
  TransactionRecord,
} from '../../payments/commands.ts';
import type { Outcome, Receipt } from '../../payments/model.ts';
import { GATEWAY_ERRORS, RESULT_CODES, type ResultCodeSpec } from '../errors.ts';
import { type DarajaIdGenerator, placeholderTransactionId } from '../ids.ts';
import {
  authenticateInitiator,
  COMMAND_ROLES,
  type InitiatorPolicy,
  initiatorKey,
} from '../initiator.ts';
import { BoundedLruCache } from '../lru.ts';
import type { CredentialDecryptor, SecurityCredentialCache } from '../security-credential.ts';
import { publicName, type ResultApi, requestAcceptedResponse } from '../shapes.ts';
import { callbackRecord, type ResultDetail } from './callbacks.ts';
import { type DarajaAnswer, fail, type IdSequence, ok } from './http.ts';
import { balanceAccounts, statusDetails } from './lookups.ts';
import {
  type AcceptedRequest,
  type AcceptedRequestOf,
  type Clock,
  type DarajaApp,
  type InitiatorOrder,
  type InitiatorRequestKind,
  ORIGINATOR_IDS_REMEMBERED_MAX,
  type PlatformEvent,
  type RequestEvent,
} from './model.ts';
import {
  OTHER_NETWORK_RESULTS,
  type OtherNetworkEnd,
  type OtherNetworksB2c,
} from './other-networks.ts';
import { type ResultContext, resultForRefusal } from './result-codes.ts';
import { PlatformState, requestRecord } from './state.ts';
import type { BackgroundTasks } from './tasks.ts';

const TAX_AUTHORITY_NAME = 'Kenya Revenue Authority';

/** B2C v3's duplicate key (the partner chooses the OriginatorConversationID); null otherwise. */
function duplicateKeyOf(request: AcceptedRequest): string | null {
  if (request.kind !== 'b2c' || request.command.version !== 3) return null;
  return `${request.command.shortcode}:${request.originatorConversationId}`;
}

/** The payments request key of a money command: idempotency, and how a held one is found. */
function requestKeyOf(request: AcceptedRequest): string {
  switch (request.kind) {
    case 'b2c':
      // Partner-chosen in v3: a repeat that outlived the duplicate cache is still refused.
      return `daraja:b2c:${request.command.shortcode}:${request.originatorConversationId}`;
    case 'top_up':
      return `daraja:top-up:${request.conversationId}`;
    case 'reversal':
      return `daraja:reversal:${request.conversationId}`;
    default:
      return `daraja:b2b:${request.conversationId}`;
  }
}

export interface InitiatorApiDeps {
  readonly payments: PaymentsApi;
  readonly ledger: LedgerClient;
  readonly state: PlatformState;
  readonly ids: DarajaIdGenerator;
  readonly sequence: IdSequence;
  readonly clock: Clock;
  readonly decryptor: CredentialDecryptor;
  readonly credentialCache: SecurityCredentialCache;
  readonly initiatorPolicy: InitiatorPolicy;
  readonly tasks: BackgroundTasks;
  readonly queueTimeoutMs: number;
  readonly currency: string;
  readonly taxAuthorityShortcode: string;
  readonly onCommitted: () => void;
  readonly log: (event: string, fields: Record<string, unknown>) => void;
}

/** What every initiator request carries besides its kind and command. */
export interface InitiatorEnvelope {
  readonly initiatorName: string;
  readonly securityCredential: string;
  /** B2C v3's partner-chosen id (the duplicate key); null where Malipo issues it. */
  readonly originatorConversationId: string | null;
  readonly resultUrl: string;
  readonly queueTimeOutUrl: string;
}

/**
 * One initiator request as the route parsed it. Its command's shortcode is the one the initiator
 * belongs to (PartyA, or ReceiverParty for a reversal).
 */
export type InitiatorRequest = InitiatorEnvelope & { readonly app: DarajaApp } & InitiatorOrder;

/** A request's kind and command, without the rest of the request (its credential stays out). */
function order(request: InitiatorOrder): InitiatorOrder {
  // The pair comes from one InitiatorOrder; TypeScript does not correlate the two reads.
  return { kind: request.kind, command: request.command } as InitiatorOrder;
}

const API_OF: Readonly<Record<InitiatorRequestKind, ResultApi>> = {
  b2c: 'b2c',
  b2b: 'b2b',
  top_up: 'b2b',
  tax: 'taxRemittance',
  status: 'transactionStatus',
  balance: 'accountBalance',
  reversal: 'reversal',
};

export class InitiatorApis {
  readonly #originators = new BoundedLruCache<string, true>(ORIGINATOR_IDS_REMEMBERED_MAX);
  readonly #receipts = new BoundedLruCache<string, string>(ORIGINATOR_IDS_REMEMBERED_MAX);
  readonly #idsOfReceipt = new BoundedLruCache<
    string,
    { conversationId: string; originatorConversationId: string }
  >(ORIGINATOR_IDS_REMEMBERED_MAX);
  readonly #locks = new KeyedLocks();
  /** Money commands the risk engine holds, by their payments request key, until decided. */
  readonly #held = new Map<string, AcceptedRequest>();
  /** By ConversationID: acceptances not written, in case the request is held (and stays open). */
  readonly #uncommittedAcceptance = new Map<string, JournalRecord[]>();
  /** B2C to other networks, once interoperability has started (null: not in a scheme). */
  #otherNetworks: OtherNetworksB2c | null = null;

  constructor(private readonly deps: InitiatorApiDeps) {}

  /** Interop starts after the platform is built; it connects its payer here (decision 0027). */
  connectOtherNetworks(port: OtherNetworksB2c): void {
    this.#otherNetworks = port;
  }

  /** Checks the credential, commits the acceptance, and schedules the work. */
  async accept(request: InitiatorRequest, nowMs: number): Promise<DarajaAnswer> {
    const { shortcode } = request.command;
    const duplicateKey =
      request.originatorConversationId === null
        ? null
        : `${shortcode}:${request.originatorConversationId}`;
    if (duplicateKey !== null && this.#originators.get(duplicateKey) !== undefined) {
      return fail(GATEWAY_ERRORS.duplicateOriginatorConversationId);
    }
    if (!this.deps.tasks.hasRoom()) return fail(GATEWAY_ERRORS.systemBusy);
    if (duplicateKey !== null) this.#originators.set(duplicateKey, true);
    try {
      const accepted = await this.#locks.with(
        [initiatorKey({ shortcode, name: request.initiatorName })],
        () => this.#authenticate(request, nowMs),
      );
      // Outside the initiator's lock: one initiator's requests commit together (group commit).
      if (accepted.records !== null)
        await this.#processAccepted(accepted.request, accepted.records);
      else if (accepted.authenticated) this.#schedule(accepted.request);
      const { conversationId, originatorConversationId } = accepted.request;
      return ok(requestAcceptedResponse({ conversationId, originatorConversationId }));
    } catch (error) {
      if (duplicateKey !== null) this.#originators.delete(duplicateKey);
      throw error;
    }
  }

  /**
   * Checks the credential holding the initiator's lock. A change to the initiator (a failure
   * counted, a lock, a reset) commits under the lock, so concurrent failures are all counted;
   * otherwise the acceptance's records are returned for the caller to commit.
   */
  async #authenticate(request: InitiatorRequest, nowMs: number) {
    const initiator = this.deps.state.initiator(request.command.shortcode, request.initiatorName);
    const auth = await authenticateInitiator(
      {
        initiator,
        securityCredential: request.securityCredential,
        requiredRole: COMMAND_ROLES[request.command.commandId] ?? 'b2c',
        nowMs,
      },
      {
        decryptor: this.deps.decryptor,
        cache: this.deps.credentialCache,
        policy: this.deps.initiatorPolicy,
      },
    );
    const sequence = this.deps.sequence.next();
    const ids =
      request.originatorConversationId === null
        ? this.deps.ids.conversationIds(sequence, nowMs)
        : {
            conversationId: this.deps.ids.conversationId(sequence, nowMs),
            originatorConversationId: request.originatorConversationId,
          };
    const accepted: AcceptedRequest = {
      ...order(request),
      appId: request.app.id,
      conversationId: ids.conversationId,
      originatorConversationId: ids.originatorConversationId,
      acceptedAtMs: nowMs,
      resultUrl: request.resultUrl,
      queueTimeOutUrl: request.queueTimeOutUrl,
    };
    const events: PlatformEvent[] =
      auth.changed && auth.initiator !== null
        ? [{ type: 'initiator_saved', initiator: auth.initiator }]
        : [];
    const records: JournalRecord[] = [
      ...events.map((event) => PlatformState.record(event)),
      requestRecord({ type: 'request_accepted', request: accepted }),
      ...(auth.ok ? [] : this.#failureRecords(accepted, auth.result, nowMs)),
    ];
    if (auth.ok && events.length === 0) return { request: accepted, authenticated: true, records };
    await this.deps.ledger.appendRecords(records);
    for (const event of events) this.deps.state.apply(event);
    if (!auth.ok) {
      this.deps.log('daraja.initiator_refused', {
        conversationId: accepted.conversationId,
        failure: auth.failure,
      });
      this.deps.onCommitted();
    }
    return { request: accepted, authenticated: auth.ok, records: null };
  }

  /**
   * Processes a request whose acceptance is not yet committed, before acknowledging it (see the
   * header, step 2): the acceptance is written only if the request is still open after its first
   * commit (a hold); otherwise that commit holds its completion, which is all restore needs.
   */
  async #processAccepted(request: AcceptedRequest, acceptance: JournalRecord[]): Promise<void> {
    this.#uncommittedAcceptance.set(request.conversationId, acceptance);
    try {
      await this.#process(request);
    } finally {
      this.#uncommittedAcceptance.delete(request.conversationId);
    }
  }

  #schedule(request: AcceptedRequest): void {
    const started = this.deps.tasks.run(`initiator:${request.kind}`, () => this.#process(request));
    if (started) return;
    // No room left since the check in accept(): the request waited too long, as a queue time-out.
    this.#timeOut(request)
      .then(() => this.deps.onCommitted())
      .catch((error: Error) =>
        this.deps.log('daraja.request_not_started', {
          conversationId: request.conversationId,
          error: error.message,
        }),
      );
  }

  async #process(request: AcceptedRequest): Promise<void> {
    try {
      await this.#execute(request);
    } catch (error) {
      // The request did not commit; its partner hears of it on the QueueTimeOutURL.
      this.deps.log('daraja.request_failed', {
        conversationId: request.conversationId,
        error: String(error),
      });
      await this.#timeOut(request);
    }
    this.deps.onCommitted();
  }

  async #execute(request: AcceptedRequest): Promise<void> {
    switch (request.kind) {
      case 'b2c':
        return this.#b2c(request);
      case 'b2b':
      case 'tax':
        return this.#b2b(request);
      case 'top_up':
        return this.#topUp(request);
      case 'balance':
        return this.#balance(request);
      case 'status':
        return this.#status(request);
      case 'reversal':
        return this.#reversal(request);
    }
  }

  /** Runs a money command; its result and completion commit with it, or with its refusal. */
  async #money(
    request: AcceptedRequest,
    context: ResultContext,
    run: (outbox: CommitRecords) => Promise<Outcome<{ receipt: Receipt }>>,
    detail: (txn: TransactionRecord) => ResultDetail,
  ): Promise<void> {
    const outbox: CommitRecords = (txn) =>
      this.#successRecords(request, detail(txn), txn.receipt, txn.timestampMs);
    // Known before it runs: an analyst may reject the hold before this call returns.
    const key = requestKeyOf(request);
    this.#held.set(key, request);
    const outcome = await run(outbox);
    const alreadyHeld =
      !outcome.ok &&
      outcome.error === 'duplicate_request' &&
      this.deps.payments.heldTransactions().some((h) => h.receipt === outcome.receipt);
    if (alreadyHeld || (outcome.ok && outcome.receipt.status === 'held')) {
      // The result waits in the held chain (release) or comes from recordsForRejected (rejection,
      // or no decision within the bound); until then the request is neither open nor completed.
      // Already decided (gone from #held): its completion is committed, nothing to mark.
      if (!this.#held.has(key)) return;
      const { conversationId } = request;
      // A replay after a crash between the hold and this event finds the hold by its request key.
      const receipt = outcome.ok ? outcome.receipt.receipt : String(outcome.receipt);
      // Still open after this commit: the only case where the acceptance itself is written.
      await this.deps.ledger.appendRecords([
        ...(this.#uncommittedAcceptance.get(request.conversationId) ?? []),
        requestRecord({ type: 'request_held', conversationId, receipt }),
      ]);
      return;
    }
    this.#held.delete(key);
    if (outcome.ok) return;
    const result = resultForRefusal(context, outcome);
    await this.deps.ledger.appendRecords(
      this.#failureRecords(request, result, this.deps.clock.nowMs()),
    );
  }

  #b2c(request: AcceptedRequestOf<'b2c'>): Promise<void> {
    const c = request.command;
    const shortcode = c.shortcode;
    const port = this.#otherNetworks;
    if (port !== null && this.#toOtherNetwork(request)) return this.#b2cOtherNetwork(request, port);
    return this.#money(
      request,
      'b2c',
      (outbox) =>
        this.deps.payments.businessToCustomer({
          shortcode,
          to: c.partyB,
          amountCents: c.amountCents,
          commandId: c.commandId,
          remarks: c.remarks,
          requestKey: requestKeyOf(request),
          channel: 'daraja',
          meta: this.#meta(request),
          outbox,
        }),
      (txn) => ({
        type: 'b2c',
        amountCents: txn.amountCents,
        receipt: txn.receipt,
        receiverMsisdn: txn.to.id,
        receiverName: `${txn.meta?.firstName ?? ''} ${txn.meta?.lastName ?? ''}`.trim(),
        completedAtMs: txn.timestampMs,
        utilityAccountId: this.deps.payments.orgAccountRefs(shortcode).utility,
        workingAccountId: this.deps.payments.orgAccountRefs(shortcode).working,
        chargesAccountId: this.deps.payments.orgAccountRefs(shortcode).charges,
      }),
    );
  }

  /**
   * Whether a B2C pays a customer of another provider: one marked so when it was reserved (a
   * restart re-runs it), or one whose PartyB is a valid number Malipo does not know.
   */
  #toOtherNetwork(request: AcceptedRequestOf<'b2c'>): boolean {
    const c = request.command;
    if (c.otherNetwork === 1) return true;
    if (request.command.commandId === 'BusinessPayToPochi') return false;
    const found = this.deps.payments.customer(c.partyB);
    return !found.ok && found.error === 'unknown_customer';
  }

  /**
   * B2C to another network (decision 0027): the interop payer reserves the business's money and
   * sends the transfer; the result callback commits with the fulfilment or the error, so the
   * business hears once, and only once the other provider has answered. The acceptance, marked,
   * commits with the reservation: a restart re-runs the request (never times it out), which finds
   * the same transfer by its request key.
   */
  async #b2cOtherNetwork(request: AcceptedRequestOf<'b2c'>, port: OtherNetworksB2c): Promise<void> {
    const c = request.command;
    const shortcode = c.shortcode;
    const marked: AcceptedRequestOf<'b2c'> = { ...request, command: { ...c, otherNetwork: 1 } };
    const outcome = await port.send({
      shortcode,
      to: this.#canonical(c.partyB),
      amountCents: c.amountCents,
      requestKey: requestKeyOf(request),
      prepared: [
        ...(this.#uncommittedAcceptance.get(request.conversationId) ?? []),
        requestRecord({ type: 'request_accepted', request: marked }),
      ],
      onEnd: (end) => this.#otherNetworkRecords(request, end),
      onEndCommitted: () => this.deps.onCommitted(),
    });
    if (outcome.status === 'pending') return;
    const records =
      outcome.status === 'ended'
        ? this.#otherNetworkRecords(request, outcome.end)
        : this.#failureRecords(
            request,
            resultForRefusal('b2c', outcome.refusal),
            this.deps.clock.nowMs(),
          );
    await this.deps.ledger.appendRecords(records);
  }

  #canonical(partyB: string): string {
    const normalised = this.deps.payments.normaliseMsisdn(partyB);
    return normalised.ok ? normalised.msisdn : partyB;
  }

  /** The business's result for a transfer to another network, as for a local B2C. */
  #otherNetworkRecords(request: AcceptedRequestOf<'b2c'>, end: OtherNetworkEnd): JournalRecord[] {
    if (!end.ok) return this.#failureRecords(request, OTHER_NETWORK_RESULTS[end.failure], end.atMs);
    const refs = this.deps.payments.orgAccountRefs(request.command.shortcode);
    const detail: ResultDetail = {
      type: 'b2c',
      amountCents: end.amountCents,
      receipt: end.receipt,
      receiverMsisdn: end.receiverMsisdn,
      receiverName: end.receiverName,
      completedAtMs: end.completedAtMs,
      utilityAccountId: refs.utility,
      workingAccountId: refs.working,
      chargesAccountId: refs.charges,
    };
    return this.#successRecords(request, detail, end.receipt, end.completedAtMs);
  }

  async #b2b(request: AcceptedRequestOf<'b2b' | 'tax'>): Promise<void> {
    const c = request.command;
    const [from, to] = [c.shortcode, c.partyB];
    if (request.kind === 'tax') await this.#ensureTaxAuthority();
    const toTill = c.commandId === 'BusinessBuyGoods';
    return this.#money(
      request,
      'b2b',
      (outbox) =>
        this.deps.payments.businessToBusiness({
          from,
          to,
          toTill,
          amountCents: c.amountCents,
          accountReference: c.accountReference ?? undefined,
          commandId: c.commandId,
          requestKey: requestKeyOf(request),
          channel: 'daraja',
          meta: this.#meta(request),
          outbox,
        }),
      (txn) =>
        this.#b2bDetail(
          txn,
          this.deps.payments.orgAccountRefs(from).utility,
          'Utility Account',
          to,
          c.accountReference,
        ),
    );
  }

  /** Working → utility of one organisation (B2C account top-up, MMF → utility). */
  async #topUp(request: AcceptedRequestOf<'top_up'>): Promise<void> {
    const c = request.command;
    const [shortcode, partyB] = [c.shortcode, c.partyB];
    if (partyB !== shortcode) {
      // Malipo's payments service moves money between one organisation's own accounts only.
      const records = this.#failureRecords(
        request,
        RESULT_CODES.notPermittedByProductAssignment,
        this.deps.clock.nowMs(),
      );
      return this.deps.ledger.appendRecords(records);
    }
    const requestKey = requestKeyOf(request);
    return this.#money(
      request,
      'b2b',
      (outbox) =>
        this.deps.payments.moveBetweenOrgAccounts({
          shortcode,
          from: 'working',
          to: 'utility',
          amountCents: c.amountCents,
          requestKey,
          outbox,
        }),
      (txn) =>
        this.#b2bDetail(
          txn,
          this.deps.payments.orgAccountRefs(shortcode).working,
          'Working Account',
          partyB,
          c.accountReference,
        ),
    );
  }

  #b2bDetail(
    txn: TransactionRecord,
    debitAccountId: string,
    debitAccountName: string,
    partyB: string,
    accountReference: string | null,
  ): ResultDetail {
    const name = this.deps.payments.businessName(partyB);
    return {
      type: 'b2b',
      amountCents: txn.amountCents,
      currency: this.deps.currency,
      debitAccountId,
      debitAccountName,
      completedAtMs: txn.timestampMs,
      chargesCents: txn.feeCents === 0 ? null : txn.feeCents,
      receiverPartyPublicName: publicName(partyB, name),
      billReferenceNumber: accountReference ?? '',
    };
  }

  /** The failure result of a held command that was rejected or not decided within the bound. */
  recordsForRejected(txn: TransactionRecord, how: HoldEnd): JournalRecord[] {
    const request = this.#held.get(txn.requestKey);
    if (request === undefined) return [];
    this.#held.delete(txn.requestKey);
    const result =
      how === 'expired' ? RESULT_CODES.transactionExpired : RESULT_CODES.rejectedAfterReview;
    return this.#failureRecords(request, result, this.deps.clock.nowMs());
  }

  /** A held command was released: its result committed with it. */
  committed(txn: TransactionRecord): void {
    this.#held.delete(txn.requestKey);
  }

  async #balance(request: AcceptedRequestOf<'balance'>): Promise<void> {
    const party = request.command.shortcode;
    const shortcode = this.deps.payments.businessShortcodeOf(party);
    const nowMs = this.deps.clock.nowMs();
    if (shortcode === undefined) {
      return this.deps.ledger.appendRecords(
        this.#failureRecords(request, RESULT_CODES.unresolvedPrimaryParty, nowMs),
      );
    }
    const detail: ResultDetail = {
      type: 'balance',
      currency: this.deps.currency,
      completedAtMs: nowMs,
      accounts: balanceAccounts(this.deps.payments, shortcode),
    };
    // Appended with balancesOf: the balances are the ledger's as of this record's commit.
    await this.deps.ledger.appendRecords(
      this.#successRecords(request, detail, placeholderTransactionId(nowMs), nowMs),
    );
  }

  async #status(request: AcceptedRequestOf<'status'>): Promise<void> {
    const c = request.command;
    const nowMs = this.deps.clock.nowMs();
    const receipt =
      c.transactionId !== null
        ? c.transactionId
        : this.#receipts.get(c.originalConversationId ?? '');
    const ids = receipt === undefined ? undefined : this.#idsOfReceipt.get(receipt);
    const details =
      receipt === undefined
        ? null
        : await statusDetails(
            this.deps.payments,
            {
              receipt,
              conversationId: ids?.conversationId ?? '',
              originatorConversationId: ids?.originatorConversationId ?? '',
              occasion: c.occasion,
              currency: this.deps.currency,
            },
            c.partyA,
          );
    // Unknown, or not this party's: the same answer, so a query reveals no one else's receipts.
    const records =
      details === null
        ? this.#failureRecords(request, RESULT_CODES.originalTransactionInvalid, nowMs)
        : this.#successRecords(request, { type: 'status', details }, details.receiptNo, nowMs);
    await this.deps.ledger.appendRecords(records);
  }

  async #reversal(request: AcceptedRequestOf<'reversal'>): Promise<void> {
    const c = request.command;
    const [shortcode, original] = [c.shortcode, c.transactionId];
    const principalCents = await this.deps.payments.principalAmount(original);
    if (principalCents !== null && principalCents !== c.amountCents) {
      const records = this.#failureRecords(
        request,
        RESULT_CODES.originalTransactionInvalid,
        this.deps.clock.nowMs(),
      );
      return this.deps.ledger.appendRecords(records);
    }
    const payments = this.deps.payments;
    return this.#money(
      request,
      'reversal',
      (outbox) =>
        this.deps.payments.reverseByBusiness({
          shortcode,
          originalReceipt: original,
          requestKey: requestKeyOf(request),
          channel: 'daraja',
          outbox,
        }),
      (txn) => ({
        type: 'reversal',
        currency: this.deps.currency,
        debitAccountId: txn.from.account,
        debitAccountName: 'Utility Account',
        amountCents: txn.amountCents,
        completedAtMs: txn.timestampMs,
        originalTransactionId: original,
        creditPartyPublicName: publicName(txn.to.id, payments.customerName(txn.to.id)),
        debitPartyPublicName: publicName(shortcode, payments.organization(shortcode)?.name ?? ''),
      }),
    );
  }

  async #ensureTaxAuthority(): Promise<void> {
    const shortcode = this.deps.taxAuthorityShortcode;
    if (this.deps.payments.organization(shortcode) !== undefined) return;
    const outcome = await this.deps.payments.registerOrganization({
      shortcode,
      name: TAX_AUTHORITY_NAME,
      kind: 'paybill',
    });
    if (!outcome.ok && outcome.error !== 'already_registered') {
      throw new Error(`registering the tax authority ${shortcode}: ${outcome.message}`);
    }
  }

  #meta(request: AcceptedRequest): Record<string, string> {
    return {
      conversationId: request.conversationId,
      originatorConversationId: request.originatorConversationId,
    };
  }

  #completed(
    request: AcceptedRequest,
    result: ResultCodeSpec,
    receipt: string | null,
    atMs: number,
  ): JournalRecord {
    const { conversationId, originatorConversationId } = request;
    const duplicateKey = duplicateKeyOf(request);
    return requestRecord({
      type: 'request_completed',
      conversationId,
      originatorConversationId,
      result,
      receipt,
      atMs,
      ...(duplicateKey === null ? {} : { duplicateKey }),
    });
  }

  #successRecords(
    request: AcceptedRequest,
    detail: ResultDetail,
    transactionId: string,
    atMs: number,
  ): JournalRecord[] {
    const ids = {
      originatorConversationId: request.originatorConversationId,
      conversationId: request.conversationId,
      transactionId,
    };
    const receipt = detail.type === 'balance' || detail.type === 'status' ? null : transactionId;
    const url = request.resultUrl;
    const body = {
      kind: 'result' as const,
      url,
      api: API_OF[request.kind],
      ids,
      result: RESULT_CODES.success,
      queueTimeOutUrl: request.queueTimeOutUrl,
      detail,
    };
    if (receipt !== null) this.#remember(request, receipt);
    return [
      callbackRecord(request.appId, request.conversationId, body),
      this.#completed(request, RESULT_CODES.success, receipt, atMs),
    ];
  }

  #failureRecords(request: AcceptedRequest, result: ResultCodeSpec, atMs: number): JournalRecord[] {
    const ids = {
      originatorConversationId: request.originatorConversationId,
      conversationId: request.conversationId,
      transactionId: placeholderTransactionId(atMs),
    };
    const url = request.resultUrl;
    const body = {
      kind: 'result' as const,
      url,
      api: API_OF[request.kind],
      ids,
      result,
      queueTimeOutUrl: request.queueTimeOutUrl,
      detail: null,
    };
    return [
      callbackRecord(request.appId, request.conversationId, body),
      this.#completed(request, result, null, atMs),
    ];
  }

  /** Answers a request that was never processed on its QueueTimeOutURL, and closes it. */
  async #timeOut(request: AcceptedRequest): Promise<void> {
    const atMs = this.deps.clock.nowMs();
    const ids = {
      originatorConversationId: request.originatorConversationId,
      conversationId: request.conversationId,
      transactionId: placeholderTransactionId(atMs),
    };
    const body = {
      kind: 'queue_timeout' as const,
      url: request.queueTimeOutUrl,
      api: API_OF[request.kind],
      ids,
      result: RESULT_CODES.systemBusy,
    };
    await this.deps.ledger.appendRecords([
      callbackRecord(request.appId, `${request.conversationId}:timeout`, body),
      this.#completed(request, RESULT_CODES.systemBusy, null, atMs),
    ]);
  }

  #heldByConversation(conversationId: string): AcceptedRequest | undefined {
    for (const r of this.#held.values()) if (r.conversationId === conversationId) return r;
    return undefined;
  }

  #remember(
    request: { conversationId: string; originatorConversationId: string },
    receipt: string,
  ): void {
    this.#receipts.set(request.originatorConversationId, receipt);
    const { conversationId, originatorConversationId } = request;
    this.#idsOfReceipt.set(receipt, { conversationId, originatorConversationId });
  }

  /** Rebuilds the duplicate and receipt indexes; resumes or times out unfinished requests. */
  restore(events: readonly RequestEvent[]): void {
    const open = new Map<string, AcceptedRequest>();
    for (const event of events) {
      if (event.type === 'request_held') {
        // Decided by the review queue, not by running it again (that would hold twice).
        const r = open.get(event.conversationId);
        open.delete(event.conversationId);
        if (r !== undefined) this.#held.set(requestKeyOf(r), r);
      } else if (event.type === 'request_accepted') {
        const r = event.request;
        open.set(r.conversationId, r);
        const duplicateKey = duplicateKeyOf(r);
        if (duplicateKey !== null) this.#originators.set(duplicateKey, true);
      } else if (event.type === 'request_completed') {
        // A request settled before its acknowledgement has no acceptance event: its completion
        // carries the ids and the duplicate key.
        const r = open.get(event.conversationId) ?? this.#heldByConversation(event.conversationId);
        open.delete(event.conversationId);
        if (r !== undefined) this.#held.delete(requestKeyOf(r));
        if (event.duplicateKey !== undefined) this.#originators.set(event.duplicateKey, true);
        if (event.receipt !== null) this.#remember(event, event.receipt);
      }
    }
    const nowMs = this.deps.clock.nowMs();
    for (const request of open.values()) {
      // A B2C to another network moved money already: it waits for the scheme, never times out.
      const stale =
        nowMs - request.acceptedAtMs > this.deps.queueTimeoutMs &&
        !(request.kind === 'b2c' && request.command.otherNetwork === 1);
      const work = stale
        ? () => this.#timeOut(request).then(() => this.deps.onCommitted())
        : () => this.#process(request);
      if (!this.deps.tasks.run(`restore:${request.kind}`, work)) {
        this.deps.log('daraja.restore_deferred', { conversationId: request.conversationId });
      }
    }
  }
}
