// The Daraja routes that become commands: each one's path, API family and request parser. The
// parsers are pure (no platform state), so a channel process runs them next to HTTP and sends the
// owner only the typed outcome; the owner's handlers (stk-routes.ts, c2b.ts, initiator-routes.ts)
// take that outcome. In a single process, `darajaCommandPost` runs both halves in a row.
import type { Parsed } from '../coerce.ts';
import type { DarajaApi } from '../errors.ts';
import {
  type AccountBalanceRequest,
  type B2bPaymentRequest,
  type B2cPaymentRequest,
  type C2bRegisterUrlRequest,
  type C2bSimulateRequest,
  type ParseOptions,
  parseAccountBalanceRequest,
  parseB2bRequest,
  parseB2cRequest,
  parseBusinessToPochiRequest,
  parseC2bRegisterUrlRequest,
  parseC2bSimulateRequest,
  parseReversalRequest,
  parseStkPushRequest,
  parseStkQueryRequest,
  parseTaxRemittanceRequest,
  parseTransactionStatusRequest,
  type ReversalRequest,
  type StkPushRequest,
  type StkQueryRequest,
  type TransactionStatusRequest,
} from '../requests.ts';
import type { InitiatorEnvelope } from './initiator-apis.ts';
import type { InitiatorOrder } from './model.ts';

/** Where every command route lives; the spec paths are relative to it. */
export const COMMAND_ROUTES_PREFIX = '/mpesa';

export interface DarajaRouteSpec<V> {
  /** Under COMMAND_ROUTES_PREFIX. */
  readonly path: string;
  readonly api: DarajaApi;
  parse(body: unknown, options: ParseOptions): Parsed<V>;
}

/** An initiator request as the route builds it; the owner adds the app. */
export type InitiatorFields = InitiatorEnvelope & InitiatorOrder;

export const STK_PUSH_ROUTE: DarajaRouteSpec<StkPushRequest> = {
  path: '/stkpush/v1/processrequest',
  api: 'stkPush',
  parse: parseStkPushRequest,
};

export const STK_QUERY_ROUTE: DarajaRouteSpec<StkQueryRequest> = {
  path: '/stkpushquery/v1/query',
  api: 'stkQuery',
  parse: (body) => parseStkQueryRequest(body),
};

export function c2bRegisterRoute(version: 1 | 2): DarajaRouteSpec<C2bRegisterUrlRequest> {
  return {
    path: `/c2b/v${version}/registerurl`,
    api: 'c2bRegisterUrl',
    parse: parseC2bRegisterUrlRequest,
  };
}

export function c2bSimulateRoute(version: 1 | 2): DarajaRouteSpec<C2bSimulateRequest> {
  return { path: `/c2b/v${version}/simulate`, api: 'c2bSimulate', parse: parseC2bSimulateRequest };
}

export const INITIATOR_ROUTES: readonly DarajaRouteSpec<InitiatorFields>[] = [
  {
    path: '/b2c/v1/paymentrequest',
    api: 'b2c',
    parse: (body, options) => map(parseB2cRequest(body, options, 1), b2c),
  },
  {
    path: '/b2c/v3/paymentrequest',
    api: 'b2c',
    parse: (body, options) => map(parseB2cRequest(body, options, 3), b2c),
  },
  {
    path: '/b2pochi/v1/paymentrequest',
    api: 'b2pochi',
    parse: (body, options) => map(parseBusinessToPochiRequest(body, options), b2c),
  },
  {
    path: '/b2b/v1/paymentrequest',
    api: 'b2b',
    parse: (body, options) => map(parseB2bRequest(body, options), b2b),
  },
  {
    path: '/b2b/v1/remittax',
    api: 'taxRemittance',
    parse: (body, options) => map(parseTaxRemittanceRequest(body, options), b2b),
  },
  {
    path: '/transactionstatus/v1/query',
    api: 'transactionStatus',
    parse: (body, options) =>
      map(parseTransactionStatusRequest(body, options), status, 'IdentifierType'),
  },
  {
    path: '/accountbalance/v1/query',
    api: 'accountBalance',
    parse: (body, options) => map(parseAccountBalanceRequest(body, options), balance),
  },
  {
    path: '/reversal/v1/request',
    api: 'reversal',
    parse: (body, options) => map(parseReversalRequest(body, options), reversal),
  },
];

/** Every command route, for a channel process: the owner registers the same specs. */
export const DARAJA_COMMAND_ROUTES: readonly DarajaRouteSpec<unknown>[] = [
  STK_PUSH_ROUTE,
  STK_QUERY_ROUTE,
  c2bRegisterRoute(1),
  c2bRegisterRoute(2),
  c2bSimulateRoute(1),
  c2bSimulateRoute(2),
  ...INITIATOR_ROUTES,
];

function status(r: TransactionStatusRequest): InitiatorFields | null {
  // By MSISDN would let an app read any customer's receipts; an app queries as a shortcode.
  if (r.identifierType === '1') return null;
  return {
    ...envelope(r.initiator, r.securityCredential, r),
    kind: 'status',
    command: {
      shortcode: r.partyA,
      commandId: r.commandId,
      transactionId: r.transactionId,
      originalConversationId: r.originalConversationId,
      partyA: r.partyA,
      identifierType: r.identifierType,
      remarks: r.remarks,
      occasion: r.occasion,
    },
  };
}

function balance(r: AccountBalanceRequest): InitiatorFields {
  return {
    ...envelope(r.initiator, r.securityCredential, r),
    kind: 'balance',
    command: {
      shortcode: r.partyA,
      commandId: r.commandId,
      partyA: r.partyA,
      identifierType: r.identifierType,
      remarks: r.remarks,
    },
  };
}

function reversal(r: ReversalRequest): InitiatorFields {
  return {
    ...envelope(r.initiator, r.securityCredential, r),
    kind: 'reversal',
    command: {
      shortcode: r.receiverParty,
      commandId: r.commandId,
      transactionId: r.transactionId,
      amountCents: r.amountCents,
      receiverParty: r.receiverParty,
      remarks: r.remarks,
      occasion: r.occasion,
    },
  };
}

/** Applies `to` to a parsed request; a null from `to` refuses `field`. */
function map<T>(
  parsed: Parsed<T>,
  to: (value: T) => InitiatorFields | null,
  field = 'CommandID',
): Parsed<InitiatorFields> {
  if (!parsed.ok) return parsed;
  const value = to(parsed.value);
  if (value === null)
    return { ok: false, error: { kind: 'invalid_field', field, reason: 'not supported' } };
  return { ok: true, value };
}

/** The fields every initiator request has besides its command. */
function envelope(
  initiatorName: string,
  securityCredential: string,
  r: { readonly resultUrl: string; readonly queueTimeOutUrl: string },
): InitiatorEnvelope {
  return {
    initiatorName,
    securityCredential,
    originatorConversationId: null,
    resultUrl: r.resultUrl,
    queueTimeOutUrl: r.queueTimeOutUrl,
  };
}

function b2c(r: B2cPaymentRequest): InitiatorFields {
  return {
    ...envelope(r.initiatorName, r.securityCredential, r),
    originatorConversationId: r.originatorConversationId,
    kind: 'b2c',
    command: {
      shortcode: r.partyA,
      commandId: r.commandId,
      version: r.version,
      partyB: r.partyB,
      amountCents: r.amountCents,
      remarks: r.remarks,
      occasion: r.occasion,
    },
  };
}

function b2b(r: B2bPaymentRequest): InitiatorFields {
  const topUp =
    r.commandId === 'BusinessPayToBulk' || r.commandId === 'BusinessTransferFromMMFToUtility';
  return {
    ...envelope(r.initiator, r.securityCredential, r),
    kind: r.commandId === 'PayTaxToKRA' ? 'tax' : topUp ? 'top_up' : 'b2b',
    command: {
      shortcode: r.partyA,
      commandId: r.commandId,
      partyB: r.partyB,
      amountCents: r.amountCents,
      accountReference: r.accountReference,
      requester: r.requester,
      remarks: r.remarks,
      occasion: r.occasion,
    },
  };
}
