// Routes of the initiator APIs: parse with the shared parsers, check the app may act for the
// shortcode, then hand over to InitiatorApis, which acknowledges and processes.
import type { FastifyInstance } from 'fastify';
import type { Parsed } from '../coerce.ts';
import type { DarajaApi } from '../errors.ts';
import { invalidField } from '../errors.ts';
import {
  type AccountBalanceRequest,
  type B2bPaymentRequest,
  type B2cPaymentRequest,
  type ParseOptions,
  parseAccountBalanceRequest,
  parseB2bRequest,
  parseB2cRequest,
  parseBusinessToPochiRequest,
  parseReversalRequest,
  parseTaxRemittanceRequest,
  parseTransactionStatusRequest,
  type ReversalRequest,
  type TransactionStatusRequest,
} from '../requests.ts';
import {
  type DarajaCall,
  darajaPost,
  fail,
  failInput,
  type HttpDeps,
  ownsShortcode,
} from './http.ts';
import type { InitiatorApis, InitiatorRequest } from './initiator-apis.ts';

export interface InitiatorRouteDeps extends HttpDeps {
  readonly apis: InitiatorApis;
  readonly parseOptions: ParseOptions;
}

type Build = (call: DarajaCall) => Parsed<Omit<InitiatorRequest, 'app'>>;

export function registerInitiatorRoutes(scope: FastifyInstance, deps: InitiatorRouteDeps): void {
  const route = (path: string, api: DarajaApi, build: Build) =>
    darajaPost(scope, path, api, deps, async (call) => {
      const built = build(call);
      if (!built.ok) return failInput(built.error);
      const request = { ...built.value, app: call.app };
      if (!ownsShortcode(call.app, request.shortcode)) {
        return fail(invalidField(request.kind === 'reversal' ? 'ReceiverParty' : 'PartyA'));
      }
      return deps.apis.accept(request, call.nowMs);
    });
  const options = deps.parseOptions;
  route('/b2c/v1/paymentrequest', 'b2c', (call) =>
    map(parseB2cRequest(call.body, options, 1), b2c),
  );
  route('/b2c/v3/paymentrequest', 'b2c', (call) =>
    map(parseB2cRequest(call.body, options, 3), b2c),
  );
  route('/b2pochi/v1/paymentrequest', 'b2pochi', (call) =>
    map(parseBusinessToPochiRequest(call.body, options), b2c),
  );
  route('/b2b/v1/paymentrequest', 'b2b', (call) => map(parseB2bRequest(call.body, options), b2b));
  route('/b2b/v1/remittax', 'taxRemittance', (call) =>
    map(parseTaxRemittanceRequest(call.body, options), b2b),
  );
  route('/transactionstatus/v1/query', 'transactionStatus', (call) =>
    map(parseTransactionStatusRequest(call.body, options), status, 'IdentifierType'),
  );
  route('/accountbalance/v1/query', 'accountBalance', (call) =>
    map(parseAccountBalanceRequest(call.body, options), balance),
  );
  route('/reversal/v1/request', 'reversal', (call) =>
    map(parseReversalRequest(call.body, options), reversal),
  );
}

type Fields = Omit<InitiatorRequest, 'app'>;

function status(r: TransactionStatusRequest): Fields | null {
  // By MSISDN would let an app read any customer's receipts; an app queries as a shortcode.
  if (r.identifierType === '1') return null;
  return {
    kind: 'status',
    shortcode: r.partyA,
    initiatorName: r.initiator,
    securityCredential: r.securityCredential,
    commandId: r.commandId,
    originatorConversationId: null,
    resultUrl: r.resultUrl,
    queueTimeOutUrl: r.queueTimeOutUrl,
    command: {
      transactionId: r.transactionId,
      originalConversationId: r.originalConversationId,
      partyA: r.partyA,
      identifierType: r.identifierType,
      remarks: r.remarks,
      occasion: r.occasion,
    },
  };
}

function balance(r: AccountBalanceRequest): Fields {
  return {
    kind: 'balance',
    shortcode: r.partyA,
    initiatorName: r.initiator,
    securityCredential: r.securityCredential,
    commandId: r.commandId,
    originatorConversationId: null,
    resultUrl: r.resultUrl,
    queueTimeOutUrl: r.queueTimeOutUrl,
    command: { partyA: r.partyA, identifierType: r.identifierType, remarks: r.remarks },
  };
}

function reversal(r: ReversalRequest): Fields {
  return {
    kind: 'reversal',
    shortcode: r.receiverParty,
    initiatorName: r.initiator,
    securityCredential: r.securityCredential,
    commandId: r.commandId,
    originatorConversationId: null,
    resultUrl: r.resultUrl,
    queueTimeOutUrl: r.queueTimeOutUrl,
    command: {
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
  to: (value: T) => Omit<InitiatorRequest, 'app'> | null,
  field = 'CommandID',
): Parsed<Omit<InitiatorRequest, 'app'>> {
  if (!parsed.ok) return parsed;
  const value = to(parsed.value);
  if (value === null)
    return { ok: false, error: { kind: 'invalid_field', field, reason: 'not supported' } };
  return { ok: true, value };
}

function b2c(r: B2cPaymentRequest): Omit<InitiatorRequest, 'app'> {
  return {
    kind: 'b2c',
    shortcode: r.partyA,
    initiatorName: r.initiatorName,
    securityCredential: r.securityCredential,
    commandId: r.commandId,
    originatorConversationId: r.originatorConversationId,
    resultUrl: r.resultUrl,
    queueTimeOutUrl: r.queueTimeOutUrl,
    command: {
      version: r.version,
      partyB: r.partyB,
      amountCents: r.amountCents,
      remarks: r.remarks,
      occasion: r.occasion,
    },
  };
}

function b2b(r: B2bPaymentRequest): Omit<InitiatorRequest, 'app'> {
  const topUp =
    r.commandId === 'BusinessPayToBulk' || r.commandId === 'BusinessTransferFromMMFToUtility';
  return {
    kind: r.commandId === 'PayTaxToKRA' ? 'tax' : topUp ? 'top_up' : 'b2b',
    shortcode: r.partyA,
    initiatorName: r.initiator,
    securityCredential: r.securityCredential,
    commandId: r.commandId,
    originatorConversationId: null,
    resultUrl: r.resultUrl,
    queueTimeOutUrl: r.queueTimeOutUrl,
    command: {
      partyB: r.partyB,
      amountCents: r.amountCents,
      accountReference: r.accountReference,
      requester: r.requester,
      remarks: r.remarks,
      occasion: r.occasion,
    },
  };
}
