// Customer to business: URL registration, the sandbox simulator, the synchronous validation of a
// payment by the business's ValidationURL, and the confirmation callback committed with it.
import type { FastifyInstance } from 'fastify';
import type { LedgerClient } from '../../journal/client.ts';
import type { JournalRecord } from '../../journal/journal.ts';
import type { BusinessPayment, PaymentsApi, TransactionRecord } from '../../payments/commands.ts';
import { type Refusal, refuse } from '../../payments/model.ts';
import {
  type CallbackUrlPolicy,
  checkCallbackHost,
  type HostCheckOptions,
} from '../callback-url.ts';
import { GATEWAY_ERRORS, invalidField } from '../errors.ts';
import { placeholderTransactionId } from '../ids.ts';
import { BoundedLruCache } from '../lru.ts';
import {
  type C2bRegisterUrlRequest,
  type C2bSimulateRequest,
  type ParseOptions,
  parseC2bValidationAnswer,
} from '../requests.ts';
import {
  c2bNotification,
  c2bRegisterUrlResponse,
  c2bSimulateResponse,
  type MsisdnPresentation,
} from '../shapes.ts';
import { callbackRecord } from './callbacks.ts';
import { c2bRegisterRoute, c2bSimulateRoute } from './command-routes.ts';
import { postJson } from './deliver.ts';
import {
  type DarajaAnswer,
  darajaCommandPost,
  fail,
  failInput,
  type HttpDeps,
  ok,
  ownsShortcode,
} from './http.ts';
import { C2B_VALIDATION_ANSWER_BYTES_MAX, type C2bRegistration, type Clock } from './model.ts';
import { C2B_VALIDATION_REFUSAL_PREFIX } from './result-codes.ts';
import type { PlatformState } from './state.ts';
import type { BackgroundTasks } from './tasks.ts';

/** ThirdPartyTransIDs waiting for their payment's commit (held for the validation's duration). */
const THIRD_PARTY_IDS_PENDING_MAX = 10_000;

export interface C2bDeps {
  readonly state: PlatformState;
  readonly clock: Clock;
  readonly policy: CallbackUrlPolicy;
  readonly hostCheck?: HostCheckOptions;
  readonly validationTimeoutMs: number;
  readonly utcOffsetMinutes: number;
  readonly log: (event: string, fields: Record<string, unknown>) => void;
}

type Verdict = { accept: true; thirdPartyTransId?: string } | { accept: false; refusal: Refusal };

export class C2bService {
  // The payments service drops the validator's ThirdPartyTransID; we keep it here, keyed by what
  // the validation and the committed transaction share, until the confirmation is built.
  readonly #thirdParty = new BoundedLruCache<string, string>(THIRD_PARTY_IDS_PENDING_MAX);

  constructor(private readonly deps: C2bDeps) {}

  registrationFor(target: string, headOffice: string): C2bRegistration | undefined {
    return this.deps.state.c2b.get(target) ?? this.deps.state.c2b.get(headOffice);
  }

  /**
   * The business's ValidationURL decides, synchronously, before the payment commits. This call is
   * not outboxed like every other callback: the payment has not happened yet, and if we crash
   * while waiting, nothing happened at all. No answer within the time-out (or an unreadable one)
   * means the ResponseType registered for the shortcode.
   */
  async validate(payment: BusinessPayment): Promise<Verdict> {
    const registration = this.registrationFor(
      payment.tillNumber ?? payment.shortcode,
      payment.shortcode,
    );
    if (registration === undefined) return { accept: true };
    const body = c2bNotification(
      {
        kind: payment.type === 'paybill' ? 'paybill' : 'till',
        // The receipt is issued at commit, after validation: Daraja's placeholder stands in.
        receipt: placeholderTransactionId(payment.timestampMs, this.deps.utcOffsetMinutes),
        completedAtMs: payment.timestampMs,
        amountCents: payment.amountCents,
        businessShortcode: registration.shortcode,
        billRefNumber: payment.reference,
        invoiceNumber: '',
        orgAccountBalanceCents: null,
        thirdPartyTransId: '',
        msisdn: payment.msisdn,
        msisdnPresentation: presentationOf(registration),
        firstName: payment.firstName,
        middleName: '',
        lastName: payment.lastName,
      },
      this.deps.utcOffsetMinutes,
    );
    const answer = await this.#ask(registration, JSON.stringify(body));
    if (answer === null) return defaultVerdict(registration);
    if (!answer.accepted) {
      return {
        accept: false,
        refusal: refuse('invalid_request', `${C2B_VALIDATION_REFUSAL_PREFIX}${answer.resultCode}`),
      };
    }
    if (answer.thirdPartyTransId !== null) {
      this.#thirdParty.set(
        paymentKey(
          payment.msisdn,
          payment.tillNumber ?? payment.shortcode,
          payment.amountCents,
          payment.timestampMs,
        ),
        answer.thirdPartyTransId,
      );
    }
    return {
      accept: true,
      ...(answer.thirdPartyTransId === null ? {} : { thirdPartyTransId: answer.thirdPartyTransId }),
    };
  }

  async #ask(registration: C2bRegistration, payload: string) {
    try {
      const answer = await postJson(registration.validationUrl, payload, {
        policy: this.deps.policy,
        hostCheck: this.deps.hostCheck,
        timeoutMs: this.deps.validationTimeoutMs,
        answerBytesMax: C2B_VALIDATION_ANSWER_BYTES_MAX,
      });
      if (answer.status < 200 || answer.status >= 300) return null;
      const parsed = parseC2bValidationAnswer(JSON.parse(answer.excerpt));
      return parsed.ok ? parsed.value : null;
    } catch (error) {
      this.deps.log('daraja.c2b_validation_unanswered', {
        shortcode: registration.shortcode,
        error: String(error),
      });
      return null;
    }
  }

  /** The confirmation committed with a completed customer payment to a registered shortcode. */
  confirmationRecords(txn: TransactionRecord): JournalRecord[] {
    if (txn.type !== 'paybill' && txn.type !== 'buy_goods') return [];
    const headOffice = txn.type === 'buy_goods' ? String(txn.meta?.shortcode ?? '') : txn.to.id;
    const registration = this.registrationFor(txn.to.id, headOffice);
    if (registration === undefined) return [];
    const key = paymentKey(txn.from.id, txn.to.id, txn.amountCents, txn.timestampMs);
    const thirdPartyTransId = this.#thirdParty.get(key) ?? '';
    this.#thirdParty.delete(key);
    const payment = {
      kind: txn.type === 'paybill' ? ('paybill' as const) : ('till' as const),
      receipt: txn.receipt,
      completedAtMs: txn.timestampMs,
      amountCents: txn.amountCents,
      businessShortcode: registration.shortcode,
      billRefNumber: txn.reference ?? '',
      invoiceNumber: '',
      thirdPartyTransId,
      msisdn: txn.from.id,
      msisdnPresentation: presentationOf(registration),
      firstName: String(txn.meta?.firstName ?? ''),
      middleName: '',
      lastName: String(txn.meta?.lastName ?? ''),
      balanceAccountId: txn.to.account,
    };
    const url = registration.confirmationUrl;
    return [
      callbackRecord(registration.appId, txn.receipt, { kind: 'c2b_confirmation', url, payment }),
    ];
  }
}

function paymentKey(
  msisdn: string,
  target: string,
  amountCents: number,
  timestampMs: number,
): string {
  return `${msisdn}:${target}:${amountCents}:${timestampMs}`;
}

/** v1 registrations get the v1 mask ('25470****149'), v2 the current one ('2547 ***** 126'). */
function presentationOf(registration: C2bRegistration): MsisdnPresentation {
  return registration.version === 1 ? 'masked_v1' : 'masked';
}

function defaultVerdict(registration: C2bRegistration): Verdict {
  if (registration.responseType === 'Completed') return { accept: true };
  return {
    accept: false,
    refusal: refuse('invalid_request', `${C2B_VALIDATION_REFUSAL_PREFIX}C2B00016`),
  };
}

// ---------------------------------------------------------------------------------------------
// Routes

export interface C2bRouteDeps extends HttpDeps {
  readonly payments: PaymentsApi;
  /** Where the platform's own records (URL registrations) are committed. */
  readonly ledger: LedgerClient;
  readonly parseOptions: ParseOptions;
  readonly sandbox: boolean;
  readonly policy: CallbackUrlPolicy;
  readonly hostCheck?: HostCheckOptions;
  readonly tasks: BackgroundTasks;
  readonly onCommitted: () => void;
  readonly log: (event: string, fields: Record<string, unknown>) => void;
}

export function registerC2bRoutes(scope: FastifyInstance, deps: C2bRouteDeps): void {
  for (const version of [1, 2] as const) {
    darajaCommandPost(scope, c2bRegisterRoute(version), deps, async (call, parsed) => {
      if (!parsed.ok) return failInput(parsed.error);
      return registerUrls(deps, call.app.id, parsed.value, version, call.nowMs);
    });
    darajaCommandPost(scope, c2bSimulateRoute(version), deps, async (call, parsed) => {
      // Daraja has no simulator in production; neither do we.
      if (!deps.sandbox) return fail(GATEWAY_ERRORS.resourceNotFound);
      if (!parsed.ok) return failInput(parsed.error);
      if (!ownsShortcode(call.app, parsed.value.shortcode)) return fail(invalidField('ShortCode'));
      return simulate(deps, parsed.value, version);
    });
  }
}

async function registerUrls(
  deps: C2bRouteDeps,
  appId: string,
  request: C2bRegisterUrlRequest,
  version: 1 | 2,
  nowMs: number,
): Promise<DarajaAnswer> {
  const { shortcode } = request;
  const app = deps.state.apps.get(appId);
  const known =
    deps.payments.organization(shortcode) !== undefined ||
    deps.payments.till(shortcode) !== undefined;
  if (app === undefined || !ownsShortcode(app, shortcode) || !known)
    return fail(invalidField('ShortCode'));
  // Daraja's sandbox lets a developer re-register at will; production registers once.
  if (!deps.sandbox && deps.state.c2b.has(shortcode))
    return fail(GATEWAY_ERRORS.urlsAlreadyRegistered);
  if (!deps.sandbox) {
    for (const [field, url] of [
      ['ConfirmationURL', request.confirmationUrl],
      ['ValidationURL', request.validationUrl],
    ] as const) {
      const host = await checkCallbackHost(new URL(url).hostname, deps.policy, deps.hostCheck);
      if (!host.ok) return fail(invalidField(field));
    }
  }
  const registration: C2bRegistration = { ...request, appId, version, registeredAtMs: nowMs };
  await deps.state.commit(deps.ledger, [{ type: 'c2b_registered', registration }]);
  const originator = deps.ids.originatorConversationId(deps.sequence.next());
  return ok(c2bRegisterUrlResponse(originator, version));
}

function simulate(deps: C2bRouteDeps, request: C2bSimulateRequest, version: 1 | 2): DarajaAnswer {
  const paybill = request.commandId === 'CustomerPayBillOnline';
  const org = deps.payments.organization(request.shortcode);
  if (paybill ? org?.kind !== 'paybill' : deps.payments.till(request.shortcode) === undefined) {
    return fail(invalidField('ShortCode'));
  }
  if (paybill && request.billRefNumber === null) return fail(invalidField('BillRefNumber'));
  if (!deps.payments.customer(request.msisdn).ok) return fail(invalidField('Msisdn'));
  const sequence = deps.sequence.next();
  const ids = deps.ids.conversationIds(sequence, deps.clock.nowMs());
  const common = {
    from: request.msisdn,
    amountCents: request.amountCents,
    auth: { kind: 'verified', by: 'daraja-c2b-simulator' } as const,
    requestKey: `daraja:c2b-simulate:${ids.originatorConversationId}`,
    channel: 'daraja-c2b-simulate',
  };
  const started = deps.tasks.run('c2b-simulate', async () => {
    const outcome = paybill
      ? await deps.payments.payBill({
          ...common,
          shortcode: request.shortcode,
          accountReference: request.billRefNumber ?? '',
        })
      : await deps.payments.buyGoods({ ...common, tillNumber: request.shortcode });
    // A refused payment sends nothing, as on M-Pesa: only completed payments are confirmed.
    if (outcome.ok) deps.onCommitted();
    else deps.log('daraja.c2b_simulate_refused', { ...ids, error: outcome.error });
  });
  if (!started) return fail(GATEWAY_ERRORS.systemBusy);
  return ok(c2bSimulateResponse(ids, version));
}
