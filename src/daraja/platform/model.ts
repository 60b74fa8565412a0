// The Daraja platform's model: developers and their apps, shortcode settings, initiators, C2B
// registrations, STK prompts and accepted initiator requests, as events on the journal, plus the
// platform's named limits. The building blocks in ../*.ts are pure; this is the state they act on.

import type { DarajaApi, ResultCodeSpec } from '../errors.ts';
import type { InitiatorRecord } from '../initiator.ts';
import type {
  B2bCommandId,
  B2cCommandId,
  C2bResponseType,
  StatusIdentifierType,
  StkTransactionType,
} from '../requests.ts';

/** Configuration events (apps, shortcodes, initiators, URLs): replayed in full at start. */
export const PLATFORM_STREAM = 'daraja';
/** Request lifecycle events (prompts, accepted and completed requests): the newest are replayed. */
export const REQUEST_STREAM = 'daraja-request';
/** Callbacks to partners: one record per HTTP POST, delivered by the outbox engine. */
export const CALLBACK_STREAM = 'callback';

/** Daraja tokens live one hour; older live tokens stay valid when a new one is issued. */
export const ACCESS_TOKEN_TTL_MS = 3_600_000;
/** Requests per second and burst per app before Daraja's spike-arrest error. */
export const APP_RATE_PER_SECOND_DEFAULT = 50;
export const APP_RATE_BURST_DEFAULT = 100;
/** The most an operator may raise one app's rate to (requests per second, and burst). */
export const APP_RATE_PER_SECOND_MAX = 100_000;
/** Daraja bodies are a few hundred bytes; nothing larger is parsed. */
export const DARAJA_BODY_BYTES_MAX = 16 * 1024;
/** How long a PIN prompt stays on the handset before it times out (M-Pesa: about a minute). */
export const STK_PROMPT_LIFETIME_MS_DEFAULT = 60_000;
/** Open prompts across all customers; beyond it a push gets "system busy". */
export const OPEN_PROMPTS_MAX = 100_000;
/** Finished prompts remembered for STK queries (each ~300 bytes). */
export const CLOSED_PROMPTS_REMEMBERED_MAX = 200_000;
/** How often prompts are checked for expiry and sandbox auto-answers. */
export const PROMPT_SWEEP_INTERVAL_MS = 200;
/** Request events replayed at start (the journal's read page): older ones are finished long ago. */
export const REQUEST_EVENTS_RELOAD_MAX = 10_000;
/** B2C v3 OriginatorConversationIDs remembered for the duplicate check (payments dedups beyond). */
export const ORIGINATOR_IDS_REMEMBERED_MAX = 500_000;
/** A request accepted but not processed for this long gets its QueueTimeOutURL callback. */
export const QUEUE_TIMEOUT_MS_DEFAULT = 5 * 60_000;
/** Requests being processed after their acknowledgement; beyond it: "system busy". */
export const BACKGROUND_TASKS_MAX = 10_000;
/** M-Pesa waits about 8 s for a Validation URL, then applies the registered ResponseType. */
export const C2B_VALIDATION_TIMEOUT_MS_DEFAULT = 8_000;
/** The most of a Validation URL's answer we read. */
export const C2B_VALIDATION_ANSWER_BYTES_MAX = 4_096;
/** Pull API: the window Daraja serves, and rows per page. */
export const PULL_WINDOW_MS = 48 * 3_600_000;
export const PULL_PAGE_ROWS_MAX = 100;
/** 'txn' records scanned for one Pull query (a read model replaces this scan at scale). */
export const PULL_SCAN_RECORDS_MAX = 10_000;
/** Delay a sandbox test customer may be given before answering a prompt. */
export const TEST_BEHAVIOUR_DELAY_MS_MAX = 60_000;
export const DEVELOPERS_MAX = 100_000;
export const APPS_MAX = 100_000;
export const APPS_PER_DEVELOPER_MAX = 20;
export const APP_SHORTCODES_MAX = 20;
export const APP_NAME_CHARS_MAX = 64;
export const EMAIL_CHARS_MAX = 254;
export const DEVELOPER_PASSWORD_CHARS_MIN = 10;
export const DEVELOPER_PASSWORD_CHARS_MAX = 64;
/** Portal sessions last a working day. */
export const PORTAL_SESSION_TTL_MS = 8 * 3_600_000;

/** Every API product an app may be granted (OAuth needs none). */
export const DARAJA_PRODUCTS: readonly DarajaApi[] = Object.freeze([
  'stkPush',
  'stkQuery',
  'c2bRegisterUrl',
  'c2bSimulate',
  'b2c',
  'b2pochi',
  'b2b',
  'taxRemittance',
  'transactionStatus',
  'accountBalance',
  'reversal',
  'pullRegister',
  'pullQuery',
  'dynamicQr',
]);

export interface Developer {
  readonly id: string;
  /** Numeric id inside portal session tokens. */
  readonly seq: number;
  readonly email: string;
  readonly passwordHash: string;
  readonly createdAtMs: number;
}

export interface DarajaApp {
  readonly id: string;
  /** Numeric id inside access tokens. */
  readonly seq: number;
  readonly name: string;
  readonly developerId: string | null;
  readonly consumerKey: string;
  /** SHA-256 of salt + secret: the secret is 190 random bits, so a slow hash adds nothing. */
  readonly secretSalt: string;
  readonly secretHash: string;
  readonly products: readonly DarajaApi[];
  readonly shortcodes: readonly string[];
  readonly createdAtMs: number;
}

export interface C2bRegistration {
  readonly shortcode: string;
  readonly appId: string;
  readonly responseType: C2bResponseType;
  readonly confirmationUrl: string;
  readonly validationUrl: string;
  /** Which register URL version was called: decides how the payer's MSISDN is shown. */
  readonly version: 1 | 2;
  readonly registeredAtMs: number;
}

export interface PullRegistration {
  readonly shortcode: string;
  readonly nominatedNumber: string;
  readonly callbackUrl: string;
  readonly registeredAtMs: number;
}

/** How a sandbox test customer answers PIN prompts. */
export const TEST_BEHAVIOUR_MODES = [
  'manual',
  'approve',
  'cancel',
  'unreachable',
  'wrong_pin',
  'insufficient_funds',
] as const;
export type TestBehaviourMode = (typeof TEST_BEHAVIOUR_MODES)[number];

export interface TestBehaviour {
  readonly msisdn: string;
  readonly mode: TestBehaviourMode;
  readonly delayMs: number;
}

/** The sandbox's public test credentials, like Safaricom's "test credentials" page. */
export interface SandboxCredentials {
  readonly appId: string;
  readonly shortcode: string;
  readonly tillNumber: string;
  readonly passkey: string;
  readonly initiatorName: string;
  /** Public on purpose: a shared sandbox test credential, as Safaricom's is. */
  readonly initiatorPassword: string;
  readonly testCustomers: readonly { readonly msisdn: string; readonly pin: string }[];
}

export type PlatformEvent =
  | { type: 'developer_registered'; developer: Developer }
  | { type: 'app_created'; app: DarajaApp }
  | { type: 'passkey_set'; shortcode: string; passkey: string }
  | { type: 'initiator_saved'; initiator: InitiatorRecord }
  | { type: 'c2b_registered'; registration: C2bRegistration }
  | { type: 'pull_registered'; registration: PullRegistration }
  | { type: 'test_behaviour'; behaviour: TestBehaviour }
  | { type: 'sandbox_credentials'; credentials: SandboxCredentials }
  /** The operator's allowance for one app, replacing the platform default for it. */
  | { type: 'app_rate_limit_set'; appId: string; perSecond: number; burst: number };

export interface StkPrompt {
  readonly checkoutRequestId: string;
  readonly merchantRequestId: string;
  readonly appId: string;
  readonly businessShortcode: string;
  /** Paybill (CustomerPayBillOnline) or till (CustomerBuyGoodsOnline) receiving the money. */
  readonly partyB: string;
  readonly transactionType: StkTransactionType;
  readonly amountCents: number;
  /** The customer whose handset shows the prompt, and who pays. */
  readonly phoneNumber: string;
  readonly accountReference: string;
  readonly transactionDesc: string | null;
  readonly callbackUrl: string;
  /** The receiving business's name as the prompt shows it. */
  readonly businessName: string;
  readonly openedAtMs: number;
  readonly expiresAtMs: number;
}

export interface StkOutcome {
  readonly result: ResultCodeSpec;
  readonly receipt: string | null;
  readonly closedAtMs: number;
}

/**
 * What an initiator request asks for, typed by its kind, minus its SecurityCredential: built once
 * by the route's parser and read as is (the journal's 'request_accepted' holds the same fields).
 */
export interface B2cCommand {
  readonly shortcode: string;
  readonly commandId: B2cCommandId;
  readonly version: 1 | 3;
  readonly partyB: string;
  readonly amountCents: number;
  readonly remarks: string;
  readonly occasion: string | null;
  /**
   * Set (1) on the acceptance committed with an interop reservation: the B2C pays a customer of
   * another provider, and a restart re-runs it there (decision 0027).
   */
  readonly otherNetwork?: 1;
}

/** B2B, tax remittance and top-up share B2B's request. */
export interface B2bCommand {
  readonly shortcode: string;
  readonly commandId: B2bCommandId;
  readonly partyB: string;
  readonly amountCents: number;
  readonly accountReference: string | null;
  readonly requester: string | null;
  readonly remarks: string;
  readonly occasion: string | null;
}

export interface StatusCommand {
  readonly shortcode: string;
  readonly commandId: 'TransactionStatusQuery';
  readonly transactionId: string | null;
  readonly originalConversationId: string | null;
  readonly partyA: string;
  readonly identifierType: StatusIdentifierType;
  readonly remarks: string;
  readonly occasion: string | null;
}

export interface BalanceCommand {
  readonly shortcode: string;
  readonly commandId: 'AccountBalance';
  readonly partyA: string;
  readonly identifierType: '4' | '2';
  readonly remarks: string;
}

export interface ReversalCommand {
  readonly shortcode: string;
  readonly commandId: 'TransactionReversal';
  readonly transactionId: string;
  readonly amountCents: number;
  readonly receiverParty: string;
  readonly remarks: string;
  readonly occasion: string | null;
}

/** A request's kind with its command: the kind decides the command's type. */
export type InitiatorOrder =
  | { readonly kind: 'b2c'; readonly command: B2cCommand }
  | { readonly kind: 'b2b'; readonly command: B2bCommand }
  | { readonly kind: 'tax'; readonly command: B2bCommand }
  | { readonly kind: 'top_up'; readonly command: B2bCommand }
  | { readonly kind: 'status'; readonly command: StatusCommand }
  | { readonly kind: 'balance'; readonly command: BalanceCommand }
  | { readonly kind: 'reversal'; readonly command: ReversalCommand };

/** The initiator APIs, processed after their acknowledgement. */
export type InitiatorRequestKind = InitiatorOrder['kind'];

/** An acknowledged initiator request, as committed before the acknowledgement (no credential). */
export type AcceptedRequest = {
  readonly appId: string;
  readonly conversationId: string;
  readonly originatorConversationId: string;
  readonly acceptedAtMs: number;
  readonly resultUrl: string;
  readonly queueTimeOutUrl: string;
} & InitiatorOrder;

/** An accepted request of the given kinds. */
export type AcceptedRequestOf<K extends InitiatorRequestKind> = Extract<
  AcceptedRequest,
  { readonly kind: K }
>;

export type RequestEvent =
  | { type: 'stk_opened'; prompt: StkPrompt }
  | { type: 'stk_closed'; checkoutRequestId: string; outcome: StkOutcome }
  /** The risk engine held the payment: the prompt waits for release, rejection or the bound. */
  | { type: 'stk_held'; checkoutRequestId: string; receipt: string }
  | { type: 'request_accepted'; request: AcceptedRequest }
  /** The risk engine held the money command: its result comes on release, rejection or bound. */
  | { type: 'request_held'; conversationId: string; receipt: string }
  | {
      type: 'request_completed';
      conversationId: string;
      originatorConversationId: string;
      result: ResultCodeSpec;
      receipt: string | null;
      atMs: number;
      /**
       * B2C v3's duplicate key (shortcode:OriginatorConversationID), so that restore refuses a
       * repeat of a request whose acceptance was never written apart (decision 0019).
       */
      duplicateKey?: string;
    };

export interface Clock {
  nowMs(): number;
}

/** Where partners download the certificate they encrypt initiator passwords with. */
export const CERTIFICATE_PATH = '/daraja/certificate.cer';
