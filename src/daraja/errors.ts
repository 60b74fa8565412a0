// Daraja's two error vocabularies, in one place so the API layer maps every domain outcome here:
//
// 1. Gateway errors: a non-2xx HTTP answer with `{ requestId, errorCode, errorMessage }`, sent
//    synchronously when the request itself is refused (bad field, bad token, duplicate, busy).
// 2. Result codes: the `ResultCode`/`ResultDesc` pair inside an asynchronous callback (or the STK
//    query answer), sent when the request was accepted but the transaction failed.
//
// Codes and messages are copied from the Daraja reference (shared/reference/daraja-api.md §1.13,
// §1.14); where the reference only paraphrases a message, the wording of Daraja's own result-code
// tables is used. Partners' code matches on these strings, so do not "improve" them.

/**
 * HTTP statuses of Malipo's gateway errors. Daraja itself answers several client faults with 500
 * and bad tokens with 404; Malipo follows HTTP (a client's fault is 4xx, overload 503) and keeps
 * Daraja's `errorCode` in the body, which is what partners' code matches on. Every such
 * difference is listed in STATUS_DIFFERENCES (and in the portal's reference).
 */
export type DarajaHttpStatus = 400 | 401 | 404 | 405 | 409 | 413 | 415 | 429 | 431 | 500 | 503;

export interface GatewayErrorSpec {
  readonly httpStatus: DarajaHttpStatus;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** Body of every gateway error, exactly as Daraja sends it. */
export interface DarajaErrorBody {
  readonly requestId: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

export interface DarajaErrorReply {
  readonly httpStatus: DarajaHttpStatus;
  readonly body: DarajaErrorBody;
}

/** The gateway errors with a fixed message. `invalidField` below builds the per-field 400. */
export const GATEWAY_ERRORS = {
  invalidRequestPayload: {
    httpStatus: 400,
    errorCode: '400.002.05',
    errorMessage: 'Invalid Request Payload',
  },
  badRequest: { httpStatus: 400, errorCode: '400.003.02', errorMessage: 'Bad Request' },
  invalidAuthenticationType: {
    httpStatus: 400,
    errorCode: '400.008.01',
    errorMessage: 'Invalid authentication type passed',
  },
  invalidGrantType: {
    httpStatus: 400,
    errorCode: '400.008.02',
    errorMessage: 'Invalid grant type passed',
  },
  /** Invalid or expired token, as the C2B and Transaction Status docs word it. */
  invalidAccessTokenC2b: {
    httpStatus: 400,
    errorCode: '400.003.01',
    errorMessage: 'Invalid Access Token',
  },
  /** Invalid or expired token, as the Account Balance docs word it. */
  invalidAccessTokenBalance: {
    httpStatus: 401,
    errorCode: '401.002.01',
    errorMessage: 'Error Occurred - Invalid Access Token',
  },
  /** Invalid or expired token, as the STK and Reversal docs word it (the common case). */
  invalidAccessToken: {
    httpStatus: 401,
    errorCode: '404.001.03',
    errorMessage: 'Invalid Access Token',
  },
  // Not in the reference's table: public client code sees 401.003.01 when a valid token's app
  // lacks the API product (e.g. C2B not enabled). The message is the one the reference gives for
  // that situation (D-STK FAQ 6). Marked as our reading of the evidence, not a documented pair.
  productNotEnabled: {
    httpStatus: 401,
    errorCode: '401.003.01',
    errorMessage: 'Invalid API call as no apiproduct match found',
  },
  resourceNotFound: {
    httpStatus: 404,
    errorCode: '404.001.01',
    errorMessage: 'Resource not found',
  },
  invalidAuthenticationHeader: {
    httpStatus: 401,
    errorCode: '404.001.04',
    errorMessage: 'Invalid Authentication Header',
  },
  methodNotAllowed: { httpStatus: 405, errorCode: '405.001', errorMessage: 'Method Not Allowed' },
  merchantDoesNotExist: {
    httpStatus: 400,
    errorCode: '500.001.1001',
    errorMessage: 'Merchant does not exist',
  },
  /** STK: Password does not match shortcode + passkey + timestamp. */
  wrongCredentials: {
    httpStatus: 400,
    errorCode: '500.001.1001',
    errorMessage: 'Wrong credentials',
  },
  /** STK: a push to this subscriber is still open. */
  unableToLockSubscriber: {
    httpStatus: 409,
    errorCode: '500.001.1001',
    errorMessage:
      'Unable to lock subscriber, a transaction is already in process for the current subscriber',
  },
  /** STK query while the push is still pending; Daraja puts the CheckoutRequestID in requestId. */
  transactionBeingProcessed: {
    httpStatus: 409,
    errorCode: '500.001.1001',
    errorMessage: 'The transaction is being processed',
  },
  duplicateOriginatorConversationId: {
    httpStatus: 409,
    errorCode: '500.002.1001',
    errorMessage: 'Duplicate OriginatorConversationID',
  },
  internalServerError: {
    httpStatus: 500,
    errorCode: '500.003.1001',
    errorMessage: 'Internal Server Error',
  },
  urlsAlreadyRegistered: {
    httpStatus: 409,
    errorCode: '500.003.1001',
    errorMessage: 'Urls are already registered',
  },
  /** Overload shedding (the platform, not this partner, is too busy). */
  systemBusy: {
    httpStatus: 503,
    errorCode: '500.003.02',
    errorMessage: 'System is busy. Please try again in few minutes.',
  },
  /** Per-app transactions-per-second limit exceeded. */
  spikeArrestViolation: {
    httpStatus: 429,
    errorCode: '500.003.02',
    errorMessage: 'Error Occurred: Spike Arrest Violation',
  },
  /** Per-app request quota exceeded. */
  quotaViolation: { httpStatus: 429, errorCode: '500.003.03', errorMessage: 'Quota Violation' },
  // The HTTP layer's own refusals, which Daraja's gateway documents no code for: Malipo's codes
  // in Daraja's numbering (status, family, number) and shape.
  requestTooLarge: {
    httpStatus: 413,
    errorCode: '413.001.01',
    errorMessage: 'Request Entity Too Large',
  },
  unsupportedMediaType: {
    httpStatus: 415,
    errorCode: '415.001.01',
    errorMessage: 'Unsupported Media Type - use application/json',
  },
  headersTooLarge: {
    httpStatus: 431,
    errorCode: '431.001.01',
    errorMessage: 'Request Header Fields Too Large',
  },
} as const satisfies Record<string, GatewayErrorSpec>;

/** Seconds a client should wait after a 429 or 503 before retrying (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Where Malipo's HTTP status differs from the one Daraja's gateway sends for the same errorCode,
 * and why. The portal's API reference renders this table; a test keeps it equal to GATEWAY_ERRORS.
 */
export const STATUS_DIFFERENCES: readonly {
  readonly error: GatewayErrorName;
  readonly darajaStatus: number;
  readonly why: string;
}[] = [
  { error: 'invalidAccessToken', darajaStatus: 404, why: 'a bad or expired token is 401' },
  {
    error: 'invalidAuthenticationHeader',
    darajaStatus: 404,
    why: 'a missing or unreadable Authorization header is 401',
  },
  {
    error: 'merchantDoesNotExist',
    darajaStatus: 500,
    why: 'an unknown shortcode is a bad request',
  },
  { error: 'wrongCredentials', darajaStatus: 500, why: 'a wrong STK Password is a bad request' },
  {
    error: 'unableToLockSubscriber',
    darajaStatus: 500,
    why: 'a push while another is open conflicts with it (409)',
  },
  {
    error: 'transactionBeingProcessed',
    darajaStatus: 500,
    why: 'a query before the push has an outcome conflicts with its state (409)',
  },
  {
    error: 'duplicateOriginatorConversationId',
    darajaStatus: 500,
    why: 'a repeated id conflicts with the first request (409)',
  },
  {
    error: 'urlsAlreadyRegistered',
    darajaStatus: 500,
    why: 'registering again conflicts with the registration (409)',
  },
  {
    error: 'spikeArrestViolation',
    darajaStatus: 500,
    why: 'the app exceeded its rate limit: 429 with Retry-After',
  },
  { error: 'quotaViolation', darajaStatus: 500, why: 'the app exceeded its quota: 429' },
  {
    error: 'systemBusy',
    darajaStatus: 500,
    why: 'the platform sheds load: 503 with Retry-After',
  },
];

export type GatewayErrorName = keyof typeof GATEWAY_ERRORS;

/** Longest field name echoed into an error message: names come from our own tables. */
const FIELD_NAME_CHARS_MAX = 64;

/** `400.002.02 Bad Request - Invalid <Field>`, the answer to any malformed field. */
export function invalidField(field: string): GatewayErrorSpec {
  // Only our own field names reach here, but an error message must never carry partner input.
  const safe = /^[A-Za-z][A-Za-z0-9 ]*$/.test(field) ? field.slice(0, FIELD_NAME_CHARS_MAX) : '';
  return {
    httpStatus: 400,
    errorCode: '400.002.02',
    errorMessage: `Bad Request - Invalid ${safe}`,
  };
}

/** Every API Malipo serves, for the few answers whose code differs per API family. */
export type DarajaApi =
  | 'oauth'
  | 'stkPush'
  | 'stkQuery'
  | 'c2bRegisterUrl'
  | 'c2bSimulate'
  | 'b2c'
  | 'b2pochi'
  | 'b2b'
  | 'taxRemittance'
  | 'transactionStatus'
  | 'accountBalance'
  | 'reversal'
  | 'pullRegister'
  | 'pullQuery'
  | 'dynamicQr';

/**
 * The invalid-token answer depends on the API family in Daraja's docs (§1.1): partners' retry
 * logic keys on these codes, so each family gets the code its docs promise.
 */
export function invalidAccessTokenError(api: DarajaApi): GatewayErrorSpec {
  switch (api) {
    case 'c2bRegisterUrl':
    case 'c2bSimulate':
    case 'transactionStatus':
      return GATEWAY_ERRORS.invalidAccessTokenC2b;
    case 'accountBalance':
      return GATEWAY_ERRORS.invalidAccessTokenBalance;
    default:
      return GATEWAY_ERRORS.invalidAccessToken;
  }
}

/** Longest requestId we echo; ours are ~40 chars, a CheckoutRequestID is ~31. */
export const REQUEST_ID_CHARS_MAX = 64;

export function gatewayErrorReply(spec: GatewayErrorSpec, requestId: string): DarajaErrorReply {
  return {
    httpStatus: spec.httpStatus,
    body: {
      requestId: requestId.slice(0, REQUEST_ID_CHARS_MAX),
      errorCode: spec.errorCode,
      errorMessage: spec.errorMessage,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Input errors: what the request parsers return. Each maps to exactly one gateway error.

export type DarajaInputError =
  /** A field is missing, of the wrong type, malformed, out of range or too long. */
  | { readonly kind: 'invalid_field'; readonly field: string; readonly reason: string }
  /** The body is not a JSON object, or is absurd as a whole (too many keys). */
  | { readonly kind: 'invalid_payload'; readonly reason: string }
  /** OAuth: grant_type is not client_credentials. */
  | { readonly kind: 'invalid_grant_type'; readonly reason: string }
  /** OAuth: no Basic credentials, or unreadable ones. */
  | { readonly kind: 'invalid_authentication_type'; readonly reason: string }
  /** Business APIs: no readable Bearer token in the Authorization header. */
  | { readonly kind: 'invalid_authentication_header'; readonly reason: string };

/**
 * The gateway error for an input error. `reason` is for our logs only: Daraja tells the partner
 * which field is wrong but never why, and echoing our reasoning would leak validation rules.
 */
export function inputErrorSpec(error: DarajaInputError): GatewayErrorSpec {
  switch (error.kind) {
    case 'invalid_field':
      return invalidField(error.field);
    case 'invalid_payload':
      return GATEWAY_ERRORS.invalidRequestPayload;
    case 'invalid_grant_type':
      return GATEWAY_ERRORS.invalidGrantType;
    case 'invalid_authentication_type':
      return GATEWAY_ERRORS.invalidAuthenticationType;
    case 'invalid_authentication_header':
      return GATEWAY_ERRORS.invalidAuthenticationHeader;
  }
}

export function inputErrorReply(error: DarajaInputError, requestId: string): DarajaErrorReply {
  return gatewayErrorReply(inputErrorSpec(error), requestId);
}

// ---------------------------------------------------------------------------------------------
// Result codes (asynchronous `ResultCode` / `ResultDesc`).

export interface ResultCodeSpec {
  /** Numeric for M-Pesa core codes; strings such as 'R000002' and 'SFC_IC0003' stay strings. */
  readonly code: number | string;
  readonly desc: string;
}

export const RESULT_CODES = {
  success: { code: 0, desc: 'The service request is processed successfully.' },
  insufficientBalance: { code: 1, desc: 'The balance is insufficient for the transaction.' },
  belowMinimumAmount: { code: 2, desc: 'Declined due to limit rule.' },
  aboveMaximumAmount: {
    code: 3,
    desc: 'Declined due to limit rule: greater than the maximum transaction amount.',
  },
  dailyLimitExceeded: {
    code: 4,
    desc: 'Declined due to limit rule: would exceed daily transfer limit.',
  },
  minimumBalanceBreached: {
    code: 5,
    desc: 'Declined due to limit rule: would exceed the minimum balance.',
  },
  unresolvedPrimaryParty: { code: 6, desc: 'Unresolved Primary Party.' },
  unresolvedReceiverParty: { code: 7, desc: 'Unresolved Receiver Party.' },
  maximumBalanceExceeded: {
    code: 8,
    desc: 'Declined due to limit rule: would exceed the maximum balance.',
  },
  debitPartyInvalidState: { code: 11, desc: 'The DebitParty is in an invalid state.' },
  creditPartyInvalidState: { code: 12, desc: 'The CreditParty is in an invalid state.' },
  unresolvedDebitAccount: { code: 13, desc: 'Unresolved Debit Account.' },
  unresolvedCreditAccount: { code: 14, desc: 'Unresolved Credit Account.' },
  duplicateDetected: { code: 15, desc: 'Duplicate Detected.' },
  internalFailure: { code: 17, desc: 'System internal error.' },
  /** STK's meaning of 17: the same amount to the same customer within 2 minutes. */
  ruleLimited: { code: 17, desc: 'Rule limited.' },
  initiatorCredentialCheckFailure: { code: 18, desc: 'Initiator Credential Check Failure.' },
  unresolvedInitiator: { code: 20, desc: 'Unresolved Initiator.' },
  initiatorNotAllowed: { code: 21, desc: 'The initiator is not allowed to initiate this request.' },
  systemBusy: { code: 26, desc: 'System busy. The service request is rejected.' },
  unableToLockSubscriber: {
    code: 1001,
    desc: 'Unable to lock subscriber, a transaction is already in process for the current subscriber',
  },
  transactionExpired: { code: 1019, desc: 'Transaction has expired' },
  pushRequestError: { code: 1025, desc: 'An error occurred while sending a push request' },
  cancelledByUser: { code: 1032, desc: 'Request cancelled by user' },
  userUnreachable: { code: 1037, desc: 'DS timeout user cannot be reached' },
  /** STK: wrong customer PIN. API: bad initiator credentials. Same code and text in both. */
  initiatorInformationInvalid: { code: 2001, desc: 'The initiator information is invalid.' },
  accountStatusDisallows: {
    code: 2006,
    desc: 'Declined due to account rule: The account status does not allow this transaction.',
  },
  // Risk decisions (Malipo's, decision 0009). Daraja documents no fraud code; 2006 "Declined due
  // to account rule" is the nearest M-Pesa meaning, so clients that key on codes read "declined",
  // and the text says which decision it was. Never 17 "System internal error.": nothing failed.
  /** The risk engine blocked the transaction. */
  declinedByRisk: {
    code: 2006,
    desc: 'Declined due to risk rule: the transaction was declined for security reasons.',
  },
  /** The risk engine asked for a one-time code, which a partner-initiated flow cannot give. */
  verificationRequired: {
    code: 2006,
    desc: 'Declined due to risk rule: the customer must confirm this payment from the M-PESA menu.',
  },
  /** Held for review, then rejected by an analyst. */
  rejectedAfterReview: {
    code: 2006,
    desc: 'Declined due to risk rule: the transaction was rejected after review.',
  },
  notPermittedByProductAssignment: {
    code: 2028,
    desc: 'The request is not permitted according to product assignment.',
  },
  customerTypeNotSupported: {
    code: 2040,
    desc: "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service.",
  },
  securityCredentialLocked: { code: 8006, desc: 'The security credential is locked.' },
  pushGenericError: { code: 9999, desc: 'An error occurred while sending a push request' },
  operatorDoesNotExist: { code: 'SFC_IC0003', desc: 'The operator does not exist.' },
  alreadyReversed: { code: 'R000001', desc: 'The transaction has already been reversed.' },
  originalTransactionInvalid: { code: 'R000002', desc: 'The OriginalTransactionID is invalid.' },
} as const satisfies Record<string, ResultCodeSpec>;

export type ResultCodeName = keyof typeof RESULT_CODES;

/**
 * What a partner's Validation URL may answer to reject a C2B payment (§1.4). Malipo reads these,
 * it never sends them.
 */
export const C2B_VALIDATION_REJECTIONS = {
  C2B00011: 'Invalid MSISDN',
  C2B00012: 'Invalid Account Number',
  C2B00013: 'Invalid Amount',
  C2B00014: 'Invalid KYC Details',
  C2B00015: 'Invalid Shortcode',
  C2B00016: 'Other Error',
} as const;

export type C2bValidationRejectionCode = keyof typeof C2B_VALIDATION_REJECTIONS;
