// Builders for every synchronous answer and asynchronous callback Malipo sends on the Daraja
// API, type for type as in Daraja's samples: partners' parsers were written against those
// samples, so `ResponseCode: "0"` stays a string, `stkCallback.ResultCode` a number,
// `TransAmount` the string "10.00" and `TransactionAmount` the number 10.
//
// Inputs are Malipo's own units (integer cents, epoch milliseconds, normalised MSISDNs); the
// conversions to Daraja's representations all live here.
import { createHash } from 'node:crypto';
import { RESULT_CODES, type ResultCodeSpec } from './errors.ts';
import {
  formatCompactTimestamp,
  formatDottedDateTime,
  NAIROBI_UTC_OFFSET_MINUTES,
} from './time.ts';

const CENTS_PER_SHILLING = 100;

function checkCents(cents: number): void {
  if (!Number.isSafeInteger(cents))
    throw new RangeError(`amount in cents must be an integer: ${cents}`);
}

/** 123456 cents → 1234.56 as a JSON number (for samples such as `"Value": 8959269.60`). */
export function shillingsNumber(cents: number): number {
  checkCents(cents);
  return cents / CENTS_PER_SHILLING;
}

/** 500 cents → "5.00"; -154000 → "-1540.00". Integer arithmetic, so never "5.000000001". */
export function shillingsText(cents: number): string {
  checkCents(cents);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / CENTS_PER_SHILLING);
  return `${sign}${whole}.${String(abs % CENTS_PER_SHILLING).padStart(2, '0')}`;
}

/** "<identifier> - <name>", as in ReceiverPartyPublicName "254708374149 - John Doe". */
export function publicName(identifier: string, name: string): string {
  return `${identifier} - ${name}`;
}

// ---------------------------------------------------------------------------------------------
// Synchronous answers

export interface OAuthTokenResponse {
  readonly access_token: string;
  readonly expires_in: string | number;
}

/** Daraja tokens live one hour and report 3599 seconds left. */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;

/**
 * `expires_in` is a string ("3599") in what Daraja has long sent and older docs show, a number
 * in the current docs (§1.1). We send the string by default: typed clients written against
 * the live API (Go's `string` fields, for instance) break on a number, while dynamic clients
 * accept either.
 */
export function oauthTokenResponse(
  accessToken: string,
  expiresInSeconds = ACCESS_TOKEN_TTL_SECONDS - 1,
  expiresInAs: 'string' | 'number' = 'string',
): OAuthTokenResponse {
  const expires_in = expiresInAs === 'string' ? String(expiresInSeconds) : expiresInSeconds;
  return { access_token: accessToken, expires_in };
}

const STK_ACCEPTED = 'Success. Request accepted for processing';

export function stkPushAcceptedResponse(ids: {
  readonly merchantRequestId: string;
  readonly checkoutRequestId: string;
}) {
  return {
    MerchantRequestID: ids.merchantRequestId,
    CheckoutRequestID: ids.checkoutRequestId,
    ResponseCode: '0',
    ResponseDescription: STK_ACCEPTED,
    CustomerMessage: STK_ACCEPTED,
  } as const;
}

/**
 * The STK query answer once the push has a final outcome. While it is still pending, answer
 * with the gateway error `transactionBeingProcessed` (requestId = the CheckoutRequestID).
 * ResultCode is a string here, unlike in the callback.
 */
export function stkQueryResponse(input: {
  readonly merchantRequestId: string;
  readonly checkoutRequestId: string;
  readonly result: ResultCodeSpec;
}) {
  return {
    ResponseCode: '0',
    ResponseDescription: 'The service request has been accepted successfully',
    MerchantRequestID: input.merchantRequestId,
    CheckoutRequestID: input.checkoutRequestId,
    ResultCode: String(input.result.code),
    ResultDesc: input.result.desc,
  } as const;
}

/** C2B register URL answer; note Daraja's misspelt `OriginatorCoversationID`. */
export function c2bRegisterUrlResponse(originatorConversationId: string, version: 1 | 2) {
  return {
    OriginatorCoversationID: originatorConversationId,
    ResponseCode: '0',
    ResponseDescription: version === 1 ? 'success' : 'Success',
  } as const;
}

const SERVICE_REQUEST_ACCEPTED = 'Accept the service request successfully.';

/**
 * C2B simulate answer: v2 per the current docs, v1 as the 2018 API answered plus `ResponseCode`.
 * The 2018 sample had no ResponseCode, but every client library reads it to decide success, so
 * an acknowledgement without it fails every step after it (issue 10).
 */
export function c2bSimulateResponse(
  ids: { readonly originatorConversationId: string; readonly conversationId: string },
  version: 1 | 2,
) {
  if (version === 1) {
    return {
      ConversationID: ids.conversationId,
      OriginatorCoversationID: ids.originatorConversationId,
      ResponseCode: '0',
      ResponseDescription: SERVICE_REQUEST_ACCEPTED,
    } as const;
  }
  return {
    OriginatorCoversationID: ids.originatorConversationId,
    ResponseCode: '0',
    ResponseDescription: SERVICE_REQUEST_ACCEPTED,
  } as const;
}

/** The acknowledgement of every initiator API (B2C, B2B, tax, status, balance, reversal). */
export function requestAcceptedResponse(ids: {
  readonly conversationId: string;
  readonly originatorConversationId: string;
}) {
  return {
    ConversationID: ids.conversationId,
    OriginatorConversationID: ids.originatorConversationId,
    ResponseCode: '0',
    ResponseDescription: SERVICE_REQUEST_ACCEPTED,
  } as const;
}

export function pullRegisterResponse(input: {
  readonly responseRefId: string;
  readonly shortcode: string;
  readonly alreadyRegistered: boolean;
}) {
  // ResponseStatus is Daraja's own field (1000 registered, 1001 already); ResponseCode "0" is
  // added so a client that checks every acknowledgement the same way sees success.
  return {
    ResponseRefID: input.responseRefId,
    ResponseCode: '0',
    ResponseStatus: input.alreadyRegistered ? '1001' : '1000',
    ShortCode: input.shortcode,
    ResponseDescription: input.alreadyRegistered
      ? 'ShortCode already Registered'
      : 'Shortcode Registered Successfully',
  } as const;
}

export interface PullTransaction {
  readonly receipt: string;
  readonly completedAtMs: number;
  readonly msisdn: string;
  readonly sender: string;
  readonly kind: 'paybill' | 'till';
  readonly billReference: string;
  readonly amountCents: number;
  readonly organizationName: string;
}

/** 269700 → "2697.0", 1050 → "10.5": the Pull API prints amounts like Java doubles. */
export function javaDoubleText(cents: number): string {
  checkCents(cents);
  return Number.isInteger(cents / CENTS_PER_SHILLING)
    ? `${cents / CENTS_PER_SHILLING}.0`
    : String(cents / CENTS_PER_SHILLING);
}

/** Pull query answer; note the nested array (§1.11). 1001 means nothing in the period. */
export function pullQueryResponse(responseRefId: string, transactions: readonly PullTransaction[]) {
  if (transactions.length === 0) {
    return {
      ResponseRefID: responseRefId,
      ResponseCode: '1001',
      ResponseMessage: 'No transactions available',
      Response: [[]],
    };
  }
  const rows = transactions.map((t) => ({
    transactionId: t.receipt,
    trxDate: new Date(t.completedAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    msisdn: Number(t.msisdn),
    sender: t.sender,
    transactiontype: t.kind === 'paybill' ? 'c2b-pay-bill-debit' : 'c2b-buy-goods-debit',
    billreference: t.billReference,
    amount: javaDoubleText(t.amountCents),
    organizationname: t.organizationName,
  }));
  return {
    ResponseRefID: responseRefId,
    ResponseCode: '1000',
    ResponseMessage: 'Success',
    Response: [rows],
  };
}

/**
 * Dynamic QR answer. Daraja's sample really carries a ConversationID in `ResponseCode`
 * ("AG_20191219_000043fdf61864fe9ff5"); we copy that rather than guess what clients check.
 */
export function dynamicQrResponse(input: {
  readonly conversationId: string;
  readonly requestId: string;
  readonly qrCodePngBase64: string;
}) {
  return {
    ResponseCode: input.conversationId,
    RequestID: input.requestId,
    ResponseDescription: 'QR Code Successfully Generated.',
    QRCode: input.qrCodePngBase64,
  } as const;
}

// ---------------------------------------------------------------------------------------------
// STK callback

export interface StkCallbackItem {
  readonly Name: string;
  readonly Value?: number | string;
}

export interface StkCallback {
  readonly Body: {
    readonly stkCallback: {
      readonly MerchantRequestID: string;
      readonly CheckoutRequestID: string;
      readonly ResultCode: number | string;
      readonly ResultDesc: string;
      readonly CallbackMetadata?: { readonly Item: readonly StkCallbackItem[] };
    };
  };
}

export interface StkIds {
  readonly merchantRequestId: string;
  readonly checkoutRequestId: string;
}

export interface StkPayment {
  readonly amountCents: number;
  readonly receipt: string;
  readonly completedAtMs: number;
  /** The paying customer, '2547XXXXXXXX'. */
  readonly phoneNumber: string;
  /** PartyB's balance; the Balance item is sent only when given (it is optional in Daraja). */
  readonly balanceCents?: number;
}

/** Success: ResultCode 0 and the four metadata items, TransactionDate and PhoneNumber numbers. */
export function stkCallbackSuccess(
  ids: StkIds,
  payment: StkPayment,
  utcOffsetMinutes = NAIROBI_UTC_OFFSET_MINUTES,
): StkCallback {
  const items: StkCallbackItem[] = [
    { Name: 'Amount', Value: shillingsNumber(payment.amountCents) },
    { Name: 'MpesaReceiptNumber', Value: payment.receipt },
  ];
  if (payment.balanceCents !== undefined) {
    items.push({ Name: 'Balance', Value: shillingsNumber(payment.balanceCents) });
  }
  items.push(
    {
      Name: 'TransactionDate',
      Value: Number(formatCompactTimestamp(payment.completedAtMs, utcOffsetMinutes)),
    },
    { Name: 'PhoneNumber', Value: Number(payment.phoneNumber) },
  );
  return {
    Body: {
      stkCallback: {
        MerchantRequestID: ids.merchantRequestId,
        CheckoutRequestID: ids.checkoutRequestId,
        ResultCode: RESULT_CODES.success.code,
        ResultDesc: RESULT_CODES.success.desc,
        CallbackMetadata: { Item: items },
      },
    },
  };
}

/** Failure (1032 cancelled, 1037 unreachable, 2001 wrong PIN...): no CallbackMetadata. */
export function stkCallbackFailure(ids: StkIds, result: ResultCodeSpec): StkCallback {
  return {
    Body: {
      stkCallback: {
        MerchantRequestID: ids.merchantRequestId,
        CheckoutRequestID: ids.checkoutRequestId,
        ResultCode: result.code,
        ResultDesc: result.desc,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// C2B validation and confirmation

/**
 * How the payer's number appears: Daraja now masks it ('2547 ***** 126' in v2, '25470****149'
 * in v1) or, as seen in 2025, sends a 64-hex hash. The hash input is unconfirmed; we hash the
 * 12-digit MSISDN with SHA-256, which lets a partner match a number it already knows and does
 * not hide a number from anyone willing to hash the ~10^9 possible ones. 'clear' is for
 * partners entitled to the number.
 */
export type MsisdnPresentation = 'masked' | 'masked_v1' | 'hashed' | 'clear';

export function presentMsisdn(msisdn: string, presentation: MsisdnPresentation): string {
  switch (presentation) {
    case 'masked':
      return `${msisdn.slice(0, 4)} ***** ${msisdn.slice(-3)}`;
    case 'masked_v1':
      return `${msisdn.slice(0, 5)}****${msisdn.slice(-3)}`;
    case 'hashed':
      return createHash('sha256').update(msisdn, 'utf8').digest('hex');
    case 'clear':
      return msisdn;
  }
}

export interface C2bPayment {
  readonly kind: 'paybill' | 'till';
  readonly receipt: string;
  readonly completedAtMs: number;
  readonly amountCents: number;
  readonly businessShortcode: string;
  readonly billRefNumber: string;
  readonly invoiceNumber: string;
  /** Null on validation (blank there); the post-credit utility balance on confirmation. */
  readonly orgAccountBalanceCents: number | null;
  /** What the partner's validation answer returned, echoed in the confirmation. */
  readonly thirdPartyTransId: string;
  readonly msisdn: string;
  readonly msisdnPresentation: MsisdnPresentation;
  readonly firstName: string;
  readonly middleName: string;
  readonly lastName: string;
}

/** The validation request and the confirmation share one shape; every value is a string. */
export function c2bNotification(
  payment: C2bPayment,
  utcOffsetMinutes = NAIROBI_UTC_OFFSET_MINUTES,
) {
  return {
    TransactionType: payment.kind === 'paybill' ? 'Pay Bill' : 'Buy Goods',
    TransID: payment.receipt,
    TransTime: formatCompactTimestamp(payment.completedAtMs, utcOffsetMinutes),
    TransAmount: shillingsText(payment.amountCents),
    BusinessShortCode: payment.businessShortcode,
    BillRefNumber: payment.billRefNumber,
    InvoiceNumber: payment.invoiceNumber,
    OrgAccountBalance:
      payment.orgAccountBalanceCents === null ? '' : shillingsText(payment.orgAccountBalanceCents),
    ThirdPartyTransID: payment.thirdPartyTransId,
    MSISDN: presentMsisdn(payment.msisdn, payment.msisdnPresentation),
    FirstName: payment.firstName,
    MiddleName: payment.middleName,
    LastName: payment.lastName,
  } as const;
}

// ---------------------------------------------------------------------------------------------
// Result envelopes (B2C, B2B, tax, status, balance, reversal, queue time-out)

export interface ResultParameter {
  readonly Key: string;
  readonly Value?: string | number;
}

export interface ReferenceItem {
  readonly Key: string;
  readonly Value?: string;
}

export interface ResultEnvelope {
  readonly Result: {
    readonly ResultType: number | string;
    readonly ResultCode: number | string;
    readonly ResultDesc: string;
    readonly OriginatorConversationID: string;
    readonly ConversationID: string;
    readonly TransactionID: string;
    readonly ResultParameters?: { readonly ResultParameter: readonly ResultParameter[] };
    readonly ReferenceData?: { readonly ReferenceItem: ReferenceItem | readonly ReferenceItem[] };
  };
}

export type ResultApi =
  | 'b2c'
  | 'b2b'
  | 'taxRemittance'
  | 'transactionStatus'
  | 'accountBalance'
  | 'reversal';

/**
 * Value types per API, copied from each API's own sample (§1.0, §7.2): numbers in the B2C and
 * Reversal samples, strings ("0", "190.00", "20221110110717") in the B2B, Tax and Account
 * Balance ones. Transaction Status has no typed sample; it follows its 2017 real-style sample
 * (numbers). One table, so the lead can flip an API if live traffic says otherwise.
 */
export const RESULT_VALUE_STYLE: Readonly<Record<ResultApi, 'number' | 'string'>> = Object.freeze({
  b2c: 'number',
  reversal: 'number',
  transactionStatus: 'number',
  b2b: 'string',
  taxRemittance: 'string',
  accountBalance: 'string',
});

/** Result type 0: final. (1 would be "waiting for further messages"; Malipo never sends it.) */
const RESULT_TYPE_COMPLETED = 0;

export interface ResultIds {
  readonly originatorConversationId: string;
  readonly conversationId: string;
  /** The receipt, or `placeholderTransactionId(...)` when the transaction failed. */
  readonly transactionId: string;
}

export interface ResultEnvelopeInput {
  readonly api: ResultApi;
  readonly result: ResultCodeSpec;
  readonly ids: ResultIds;
  readonly parameters?: readonly ResultParameter[];
  /** One item is sent as an object, several as an array, as in Daraja's samples. */
  readonly referenceItems?: readonly ReferenceItem[];
}

/** Numbers or their text, per the API's style. String result codes ('R000002') stay strings. */
function styled(api: ResultApi, value: number | string): number | string {
  return RESULT_VALUE_STYLE[api] === 'string' ? String(value) : value;
}

export function resultEnvelope(input: ResultEnvelopeInput): ResultEnvelope {
  const { api, result, ids } = input;
  const items = input.referenceItems ?? [];
  return {
    Result: {
      ResultType: styled(api, RESULT_TYPE_COMPLETED),
      ResultCode: styled(api, result.code),
      ResultDesc: result.desc,
      OriginatorConversationID: ids.originatorConversationId,
      ConversationID: ids.conversationId,
      TransactionID: ids.transactionId,
      ...(input.parameters === undefined
        ? {}
        : { ResultParameters: { ResultParameter: input.parameters } }),
      ...(items.length === 0
        ? {}
        : { ReferenceData: { ReferenceItem: items.length === 1 ? items[0]! : items } }),
    },
  };
}

/** The ReferenceItem echoing the partner's QueueTimeOutURL (Daraja echoes an internal URL). */
export function queueTimeoutReference(queueTimeOutUrl: string): ReferenceItem {
  return { Key: 'QueueTimeoutURL', Value: queueTimeOutUrl };
}

/**
 * A failed result for any initiator API: no ResultParameters, placeholder TransactionID, e.g.
 * B2C's 2001 "The initiator information is invalid." sample.
 */
export function failureResult(
  api: ResultApi,
  result: ResultCodeSpec,
  ids: ResultIds,
  queueTimeOutUrl: string,
): ResultEnvelope {
  return resultEnvelope({
    api,
    result,
    ids,
    referenceItems: [queueTimeoutReference(queueTimeOutUrl)],
  });
}

/**
 * What Malipo POSTs to QueueTimeOutURL when a request expired in its queue before processing.
 * Daraja does not document this payload; integrators parse it as the usual Result envelope
 * (§1.6), so that is what we send, with 26 "System busy. The service request is rejected." by
 * default: the request was not processed and may be retried.
 */
export function queueTimeoutResult(
  api: ResultApi,
  ids: ResultIds,
  result: ResultCodeSpec,
): ResultEnvelope {
  return resultEnvelope({ api, result, ids });
}

// ---------------------------------------------------------------------------------------------
// Per-API success results

export interface B2cPaymentResult {
  readonly amountCents: number;
  readonly receipt: string;
  readonly receiverMsisdn: string;
  readonly receiverName: string;
  readonly completedAtMs: number;
  readonly utilityAvailableCents: number;
  readonly workingAvailableCents: number;
  readonly recipientIsRegistered: boolean;
  readonly chargesPaidAvailableCents: number;
  readonly queueTimeOutUrl: string;
}

/** B2C (and Business to Pochi) success, key for key as the D-B2C sample. */
export function b2cResult(
  ids: Omit<ResultIds, 'transactionId'>,
  payment: B2cPaymentResult,
  utcOffsetMinutes = NAIROBI_UTC_OFFSET_MINUTES,
): ResultEnvelope {
  const parameters: ResultParameter[] = [
    { Key: 'TransactionAmount', Value: shillingsNumber(payment.amountCents) },
    { Key: 'TransactionReceipt', Value: payment.receipt },
    {
      Key: 'ReceiverPartyPublicName',
      Value: publicName(payment.receiverMsisdn, payment.receiverName),
    },
    {
      Key: 'TransactionCompletedDateTime',
      Value: formatDottedDateTime(payment.completedAtMs, utcOffsetMinutes),
    },
    {
      Key: 'B2CUtilityAccountAvailableFunds',
      Value: shillingsNumber(payment.utilityAvailableCents),
    },
    {
      Key: 'B2CWorkingAccountAvailableFunds',
      Value: shillingsNumber(payment.workingAvailableCents),
    },
    { Key: 'B2CRecipientIsRegisteredCustomer', Value: payment.recipientIsRegistered ? 'Y' : 'N' },
    {
      Key: 'B2CChargesPaidAccountAvailableFunds',
      Value: shillingsNumber(payment.chargesPaidAvailableCents),
    },
  ];
  return resultEnvelope({
    api: 'b2c',
    result: RESULT_CODES.success,
    ids: { ...ids, transactionId: payment.receipt },
    parameters,
    referenceItems: [queueTimeoutReference(payment.queueTimeOutUrl)],
  });
}

/** One organisation account in Daraja's 6-field balance format. */
export interface OrgAccountBalance {
  /** "Working Account", "Utility Account", "Charges Paid Account", ... */
  readonly name: string;
  readonly currency: string;
  readonly currentCents: number;
  readonly availableCents: number;
  readonly reservedCents: number;
  readonly unclearedCents: number;
}

/**
 * "Working Account|KES|346568.83|6186.83|340382.00|0.00". Column order read from the B2B
 * sample, where 346568.83 = 6186.83 + 340382.00: current, available, reserved, uncleared
 * (the reference leaves columns 2-4 unconfirmed; in every other sample 1 and 2 are equal).
 */
export function accountBalanceLine(account: OrgAccountBalance): string {
  return [
    account.name,
    account.currency,
    shillingsText(account.currentCents),
    shillingsText(account.availableCents),
    shillingsText(account.reservedCents),
    shillingsText(account.unclearedCents),
  ].join('|');
}

/** Accounts joined with '&', as in the Account Balance result. */
export function accountBalanceText(accounts: readonly OrgAccountBalance[]): string {
  return accounts.map(accountBalanceLine).join('&');
}

/** "{Amount={CurrencyCode=KES, MinimumAmount=618683, BasicAmount=6186.83}}" (B2B results). */
export function amountMapLiteral(cents: number, currency: string): string {
  return `{Amount={CurrencyCode=${currency}, MinimumAmount=${cents}, BasicAmount=${shillingsText(cents)}}}`;
}

export function accountBalanceResult(
  ids: ResultIds,
  accounts: readonly OrgAccountBalance[],
  completedAtMs: number,
  queueTimeOutUrl: string,
  utcOffsetMinutes = NAIROBI_UTC_OFFSET_MINUTES,
): ResultEnvelope {
  const api = 'accountBalance';
  return resultEnvelope({
    api,
    result: RESULT_CODES.success,
    ids,
    parameters: [
      { Key: 'AccountBalance', Value: accountBalanceText(accounts) },
      {
        Key: 'BOCompletedTime',
        Value: styled(api, Number(formatCompactTimestamp(completedAtMs, utcOffsetMinutes))),
      },
    ],
    referenceItems: [queueTimeoutReference(queueTimeOutUrl)],
  });
}

export interface ReversalResultInput {
  readonly debitAccount: OrgAccountBalance;
  readonly amountCents: number;
  readonly completedAtMs: number;
  readonly originalTransactionId: string;
  readonly chargeCents: number;
  readonly creditPartyPublicName: string;
  readonly debitPartyPublicName: string;
  readonly queueTimeOutUrl: string;
}

/** Reversal success; `ids.transactionId` is the new reversal receipt. */
export function reversalResult(
  ids: ResultIds,
  reversal: ReversalResultInput,
  utcOffsetMinutes = NAIROBI_UTC_OFFSET_MINUTES,
): ResultEnvelope {
  const api = 'reversal';
  const completed = Number(formatCompactTimestamp(reversal.completedAtMs, utcOffsetMinutes));
  return resultEnvelope({
    api,
    result: RESULT_CODES.success,
    ids,
    parameters: [
      { Key: 'DebitAccountBalance', Value: accountBalanceLine(reversal.debitAccount) },
      { Key: 'Amount', Value: shillingsNumber(reversal.amountCents) },
      { Key: 'TransCompletedTime', Value: styled(api, completed) },
      { Key: 'OriginalTransactionID', Value: reversal.originalTransactionId },
      { Key: 'Charge', Value: shillingsNumber(reversal.chargeCents) },
      { Key: 'CreditPartyPublicName', Value: reversal.creditPartyPublicName },
      { Key: 'DebitPartyPublicName', Value: reversal.debitPartyPublicName },
    ],
    referenceItems: [queueTimeoutReference(reversal.queueTimeOutUrl)],
  });
}

export interface B2bResultInput {
  readonly amountCents: number;
  readonly currency: string;
  /** The debit party's working-account balance after the payment. */
  readonly debitAccount: OrgAccountBalance;
  readonly completedAtMs: number;
  /** Empty when no charge applies (as in Daraja's sample). */
  readonly debitPartyChargesCents: number | null;
  readonly receiverPartyPublicName: string;
  readonly initiatorAccountCurrentCents: number;
  readonly billReferenceNumber: string;
  readonly queueTimeOutUrl: string;
}

/** Business Pay Bill / Buy Goods / top-up / tax success (D-BPB, D-TAX share the shape). */
export function b2bResult(
  api: 'b2b' | 'taxRemittance',
  ids: ResultIds,
  payment: B2bResultInput,
  utcOffsetMinutes = NAIROBI_UTC_OFFSET_MINUTES,
): ResultEnvelope {
  const completed = Number(formatCompactTimestamp(payment.completedAtMs, utcOffsetMinutes));
  const amount =
    RESULT_VALUE_STYLE[api] === 'string'
      ? shillingsText(payment.amountCents)
      : shillingsNumber(payment.amountCents);
  const charges = payment.debitPartyChargesCents;
  return resultEnvelope({
    api,
    result: RESULT_CODES.success,
    ids,
    parameters: [
      {
        Key: 'DebitAccountBalance',
        Value: amountMapLiteral(payment.debitAccount.availableCents, payment.currency),
      },
      { Key: 'Amount', Value: amount },
      { Key: 'DebitPartyAffectedAccountBalance', Value: accountBalanceLine(payment.debitAccount) },
      { Key: 'TransCompletedTime', Value: styled(api, completed) },
      { Key: 'DebitPartyCharges', Value: charges === null ? '' : shillingsText(charges) },
      { Key: 'ReceiverPartyPublicName', Value: payment.receiverPartyPublicName },
      { Key: 'Currency', Value: payment.currency },
      {
        Key: 'InitiatorAccountCurrentBalance',
        Value: amountMapLiteral(payment.initiatorAccountCurrentCents, payment.currency),
      },
    ],
    referenceItems: [
      { Key: 'BillReferenceNumber', Value: payment.billReferenceNumber },
      queueTimeoutReference(payment.queueTimeOutUrl),
    ],
  });
}

/** A charge line such as "Fee For B2C Payment|KES|22.40". */
export interface ChargeLine {
  readonly label: string;
  readonly currency: string;
  readonly cents: number;
}

export interface TransactionStatusDetails {
  readonly receiptNo: string;
  readonly conversationId: string;
  readonly originatorConversationId: string;
  readonly initiatedAtMs: number;
  readonly finalisedAtMs: number;
  readonly amountCents: number;
  /** "Completed", "Cancelled", "Declined", "Expired", "Authorized", ... */
  readonly transactionStatus: string;
  /** "Business Payment to Customer via API", "Salary Payment via API", "Pay Bill Online". */
  readonly reasonType: string;
  /** Free text; sent without a Value when empty, as Daraja does. */
  readonly transactionReason: string | null;
  readonly debitPartyName: string;
  readonly creditPartyName: string;
  /** "Utility Account", "MMF Account For Customer". */
  readonly debitAccountType: string;
  readonly debitPartyCharges: ChargeLine | null;
  readonly occasion: string | null;
}

function chargeText(charge: ChargeLine | null): string {
  return charge === null ? '' : `${charge.label}|${charge.currency}|${shillingsText(charge.cents)}`;
}

/** Transaction Status success, keys in the docs' order; times and Amount as numbers. */
export function transactionStatusResult(
  ids: ResultIds,
  details: TransactionStatusDetails,
  utcOffsetMinutes = NAIROBI_UTC_OFFSET_MINUTES,
): ResultEnvelope {
  const api = 'transactionStatus';
  const time = (ms: number) => styled(api, Number(formatCompactTimestamp(ms, utcOffsetMinutes)));
  const reason: ResultParameter =
    details.transactionReason === null || details.transactionReason === ''
      ? { Key: 'TransactionReason' }
      : { Key: 'TransactionReason', Value: details.transactionReason };
  return resultEnvelope({
    api,
    result: RESULT_CODES.success,
    ids,
    parameters: [
      { Key: 'DebitPartyName', Value: details.debitPartyName },
      { Key: 'CreditPartyName', Value: details.creditPartyName },
      { Key: 'OriginatorConversationID', Value: details.originatorConversationId },
      { Key: 'InitiatedTime', Value: time(details.initiatedAtMs) },
      { Key: 'DebitAccountType', Value: details.debitAccountType },
      { Key: 'DebitPartyCharges', Value: chargeText(details.debitPartyCharges) },
      reason,
      { Key: 'ReasonType', Value: details.reasonType },
      { Key: 'TransactionStatus', Value: details.transactionStatus },
      { Key: 'FinalisedTime', Value: time(details.finalisedAtMs) },
      { Key: 'Amount', Value: shillingsNumber(details.amountCents) },
      { Key: 'ConversationID', Value: details.conversationId },
      { Key: 'ReceiptNo', Value: details.receiptNo },
    ],
    referenceItems: [
      details.occasion === null
        ? { Key: 'Occasion' }
        : { Key: 'Occasion', Value: details.occasion },
    ],
  });
}
