// JSON Schemas of the Daraja-compatible API's bodies, for the OpenAPI document. The routes parse
// bodies by hand (src/daraja/requests.ts), with Daraja's lenient typing (numbers or their text,
// misspelt aliases), so there are no route schemas to reuse; the limits, enums and patterns below
// come from the parsers' own constants, so a changed limit changes the document too.
import {
  AMOUNT_SHILLINGS_MAX,
  B2B_COMMAND_IDS,
  B2C_COMMAND_IDS,
  B2POCHI_COMMAND_IDS,
  C2B_RESPONSE_TYPES,
  CALLBACK_URL_CHARS_MAX,
  FIELD_LIMITS,
  KRA_SHORTCODE,
  PULL_OFFSET_MAX,
  QR_SIZE_PIXELS_MAX,
  QR_SIZE_PIXELS_MIN,
  QR_TRX_CODES,
  RECEIPT_CHARS,
  SECURITY_CREDENTIAL_CHARS_MAX,
  SHORTCODE_DIGITS_MAX,
  SHORTCODE_DIGITS_MIN,
  STATUS_IDENTIFIER_TYPES,
  STK_TRANSACTION_TYPES,
  TAX_COMMAND_IDS,
} from '../daraja/index.ts';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export type Schema = { [keyword: string]: unknown };

interface TextLimits {
  readonly minChars: number;
  readonly maxChars: number;
  readonly pattern?: RegExp;
}

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

function text(limits: TextLimits, description: string): Schema {
  return {
    type: 'string',
    minLength: limits.minChars,
    maxLength: limits.maxChars,
    ...(limits.pattern === undefined ? {} : { pattern: limits.pattern.source }),
    description,
  };
}

function oneOf(values: readonly string[], description: string): Schema {
  return { type: 'string', enum: [...values], description };
}

/** Daraja sends small codes as 4 or "4". */
function code(values: readonly string[], description: string): Schema {
  return { type: ['string', 'integer'], enum: [...values], description };
}

const digits = (description: string): Schema => ({
  type: ['string', 'integer'],
  pattern: `^[0-9]{${SHORTCODE_DIGITS_MIN},${SHORTCODE_DIGITS_MAX}}$`,
  description: `${description} (${SHORTCODE_DIGITS_MIN}–${SHORTCODE_DIGITS_MAX} digits, number or text)`,
});

const msisdn = (description: string): Schema => ({
  type: ['string', 'integer'],
  pattern: '^[0-9]{9,15}$',
  description: `${description}: 2547XXXXXXXX (digits only, number or text)`,
});

const amount: Schema = {
  type: ['integer', 'string'],
  minimum: 1,
  maximum: AMOUNT_SHILLINGS_MAX,
  pattern: '^[1-9][0-9]{0,14}(\\.0{1,2})?$',
  description: 'Whole shillings, as a number or its text ("10.00" is read as 10); no fractions',
};

const url = (description: string): Schema => ({
  type: 'string',
  format: 'uri',
  maxLength: CALLBACK_URL_CHARS_MAX,
  description: `${description}. Sandbox accepts http and loopback; production needs public https`,
});

const timestamp: Schema = {
  type: ['string', 'integer'],
  pattern: '^[0-9]{14}$',
  description: 'yyyyMMddHHmmss, Nairobi time; the same text the Password was built from',
};

const stkPassword = text(
  FIELD_LIMITS.stkPassword,
  'base64(BusinessShortCode + Passkey + Timestamp)',
);

const securityCredential: Schema = {
  type: 'string',
  maxLength: SECURITY_CREDENTIAL_CHARS_MAX,
  contentEncoding: 'base64',
  description:
    "The initiator's password, RSA-encrypted (PKCS#1 v1.5) with the certificate from /daraja/certificate.cer, then base64",
};

const receipt: Schema = {
  type: 'string',
  pattern: `^[A-Za-z0-9]{${RECEIPT_CHARS}}$`,
  description: 'An M-Pesa receipt, e.g. NLJ7RT61SV',
};

const initiator = text(
  FIELD_LIMITS.initiatorName,
  'The API operator (initiator) username; InitiatorName is read too',
);
const remarks = text(FIELD_LIMITS.remarks, 'Free text');
const occasion = text(FIELD_LIMITS.occasion, 'Optional free text');
const resultUrls = {
  ResultURL: url('Where the result is POSTed'),
  QueueTimeOutURL: url('Where a queue time-out notice is POSTed; QueueTimeoutURL is read too'),
};

function object(required: readonly string[], properties: Record<string, Schema>): Schema {
  return { type: 'object', required: [...required], properties };
}

/** Request bodies, one per API. */
function requestSchemas(): Record<string, Schema> {
  const initiatorFields = ['SecurityCredential', 'CommandID', 'ResultURL', 'QueueTimeOutURL'];
  return {
    StkPushRequest: object(
      [
        'BusinessShortCode',
        'Password',
        'Timestamp',
        'TransactionType',
        'Amount',
        'PartyA',
        'PartyB',
        'PhoneNumber',
        'CallBackURL',
        'AccountReference',
      ],
      {
        BusinessShortCode: digits('The paybill, or the till’s head office or store number'),
        Password: stkPassword,
        Timestamp: timestamp,
        TransactionType: oneOf(STK_TRANSACTION_TYPES, 'Paybill or till (buy goods)'),
        Amount: amount,
        PartyA: msisdn('The paying customer'),
        PartyB: digits('The paybill (same as BusinessShortCode) or the till number'),
        PhoneNumber: msisdn('The customer who gets the PIN prompt'),
        CallBackURL: url('Where the outcome is POSTed; CallbackURL is read too'),
        AccountReference: text(FIELD_LIMITS.stkAccountReference, 'Shown in the prompt'),
        TransactionDesc: text(FIELD_LIMITS.stkTransactionDesc, 'Optional'),
      },
    ),
    StkQueryRequest: object(['BusinessShortCode', 'Password', 'Timestamp', 'CheckoutRequestID'], {
      BusinessShortCode: digits('The push’s BusinessShortCode'),
      Password: stkPassword,
      Timestamp: timestamp,
      CheckoutRequestID: text(FIELD_LIMITS.checkoutRequestId, 'From the push’s answer'),
    }),
    C2bRegisterUrlRequest: object(
      ['ShortCode', 'ResponseType', 'ConfirmationURL', 'ValidationURL'],
      {
        ShortCode: digits('A paybill or till of the app'),
        ResponseType: oneOf(
          C2B_RESPONSE_TYPES,
          'What happens to a payment when the Validation URL does not answer in time',
        ),
        ConfirmationURL: url('Receives every completed payment'),
        ValidationURL: url('Asked to accept or refuse each payment'),
      },
    ),
    C2bSimulateRequest: object(['ShortCode', 'CommandID', 'Amount', 'Msisdn'], {
      ShortCode: digits('The paybill or till paid'),
      CommandID: oneOf(STK_TRANSACTION_TYPES, 'Paybill or till'),
      Amount: amount,
      Msisdn: msisdn('The paying test customer; MSISDN is read too'),
      BillRefNumber: text(FIELD_LIMITS.billRefNumber, 'The account number; required for paybills'),
    }),
    ...initiatorRequestSchemas(initiatorFields),
    ...pullAndQrRequestSchemas(),
  };
}

function b2cFields(commandIds: readonly string[]): Record<string, Schema> {
  return {
    InitiatorName: text(FIELD_LIMITS.initiatorName, 'The API operator; Initiator is read too'),
    SecurityCredential: securityCredential,
    CommandID: oneOf(commandIds, 'The kind of payment'),
    Amount: amount,
    PartyA: digits('The paying B2C shortcode'),
    PartyB: msisdn('The receiving customer'),
    Remarks: text(FIELD_LIMITS.remarksMin2, 'Free text'),
    ...resultUrls,
  };
}

function b2bFields(commandIds: readonly string[], partyB: string): Record<string, Schema> {
  return {
    Initiator: initiator,
    SecurityCredential: securityCredential,
    CommandID: oneOf(commandIds, 'The kind of payment'),
    SenderIdentifierType: code(['4'], 'Shortcode'),
    RecieverIdentifierType: code(
      ['4', '2'],
      'Sic (Daraja’s spelling); ReceiverIdentifierType is read too. 4 shortcode; 2 till, BusinessBuyGoods only',
    ),
    Amount: amount,
    PartyA: digits('The paying shortcode'),
    PartyB: digits(partyB),
    AccountReference: text(
      FIELD_LIMITS.b2bAccountReference,
      'Paybill account number or KRA PRN; required for BusinessPayBill and PayTaxToKRA',
    ),
    Requester: msisdn('Optional: the customer on whose behalf the business pays'),
    Remarks: remarks,
    ...resultUrls,
    Occassion: { ...occasion, description: 'Optional (sic); Occasion is read too' },
  };
}

function initiatorRequestSchemas(common: readonly string[]): Record<string, Schema> {
  const b2cRequired = ['InitiatorName', ...common, 'Amount', 'PartyA', 'PartyB', 'Remarks'];
  const b2bRequired = ['Initiator', ...common, 'SenderIdentifierType', 'RecieverIdentifierType'];
  const b2bParties = [...b2bRequired, 'Amount', 'PartyA', 'PartyB', 'Remarks'];
  const v3Extra = {
    OriginatorConversationID: text(
      FIELD_LIMITS.originatorConversationId,
      'Your unique id for this payment; a repeat is refused (500.002.1001)',
    ),
    Occassion: {
      ...occasion,
      description: 'Optional (sic, as v3 spells it); Occasion is read too',
    },
  };
  return {
    B2cV1Request: object(b2cRequired, {
      ...b2cFields(B2C_COMMAND_IDS),
      Occasion: { ...occasion, description: 'Optional; Occassion is read too' },
    }),
    B2cV3Request: object(['OriginatorConversationID', ...b2cRequired], {
      ...v3Extra,
      ...b2cFields(B2C_COMMAND_IDS),
    }),
    B2PochiRequest: object(['OriginatorConversationID', ...b2cRequired], {
      ...v3Extra,
      ...b2cFields(B2POCHI_COMMAND_IDS),
    }),
    B2bRequest: object(b2bParties, b2bFields(B2B_COMMAND_IDS, 'The receiving shortcode or till')),
    TaxRemittanceRequest: object([...b2bParties, 'AccountReference'], {
      ...b2bFields(TAX_COMMAND_IDS, `The tax authority: ${KRA_SHORTCODE} only`),
    }),
    ...statusBalanceReversalSchemas(common),
  };
}

/** Status and balance queries and the reversal: the initiator requests that are not payments. */
function statusBalanceReversalSchemas(common: readonly string[]): Record<string, Schema> {
  return {
    TransactionStatusRequest: object(
      ['Initiator', ...common, 'PartyA', 'IdentifierType', 'Remarks'],
      {
        Initiator: initiator,
        SecurityCredential: securityCredential,
        CommandID: oneOf(['TransactionStatusQuery'], 'Always TransactionStatusQuery'),
        TransactionID: { ...receipt, description: 'The receipt to look up (or give the next)' },
        OriginalConversationID: text(
          FIELD_LIMITS.originatorConversationId,
          'The OriginatorConversationID to look up, instead of TransactionID',
        ),
        PartyA: digits('Your shortcode'),
        IdentifierType: code(STATUS_IDENTIFIER_TYPES, '4 shortcode, 2 till (1 MSISDN is refused)'),
        ...resultUrls,
        Remarks: remarks,
        Occasion: occasion,
      },
    ),
    AccountBalanceRequest: object(['Initiator', ...common, 'PartyA', 'IdentifierType', 'Remarks'], {
      Initiator: initiator,
      SecurityCredential: securityCredential,
      CommandID: oneOf(['AccountBalance'], 'Always AccountBalance'),
      PartyA: digits('Your shortcode'),
      IdentifierType: code(['4', '2'], '4 shortcode, 2 till'),
      Remarks: remarks,
      ...resultUrls,
    }),
    ReversalRequest: object(
      [
        'Initiator',
        ...common,
        'TransactionID',
        'Amount',
        'ReceiverParty',
        'RecieverIdentifierType',
        'Remarks',
      ],
      {
        Initiator: initiator,
        SecurityCredential: securityCredential,
        CommandID: oneOf(['TransactionReversal'], 'Always TransactionReversal'),
        TransactionID: { ...receipt, description: 'The C2B payment’s receipt' },
        Amount: amount,
        ReceiverParty: digits('The organisation that was paid'),
        RecieverIdentifierType: code(['11', '4'], 'Sic; 11 per the current docs, 4 per older'),
        ...resultUrls,
        Remarks: text(FIELD_LIMITS.remarksMin2, 'Free text'),
        Occasion: occasion,
      },
    ),
  };
}

function pullAndQrRequestSchemas(): Record<string, Schema> {
  const wallClock = {
    type: 'string',
    description: 'yyyy-MM-dd HH:mm:ss, Nairobi time',
    example: '2024-07-06 08:36:00',
  };
  return {
    PullRegisterRequest: object(['ShortCode', 'RequestType', 'NominatedNumber', 'CallBackURL'], {
      ShortCode: digits('Your shortcode'),
      RequestType: oneOf(['Pull'], 'Always Pull'),
      NominatedNumber: msisdn('The number Safaricom would call about the registration'),
      CallBackURL: url('Kept for compatibility'),
    }),
    PullQueryRequest: object(['ShortCode', 'StartDate', 'EndDate'], {
      ShortCode: digits('Your shortcode'),
      StartDate: wallClock,
      EndDate: wallClock,
      OffSetValue: {
        type: ['string', 'integer'],
        minimum: 0,
        maximum: PULL_OFFSET_MAX,
        description: 'Rows to skip (paging); 0 by default',
      },
    }),
    DynamicQrRequest: object(['MerchantName', 'RefNo', 'Amount', 'TrxCode', 'CPI', 'Size'], {
      MerchantName: text(FIELD_LIMITS.qrMerchantName, 'Shown to the payer'),
      RefNo: text(FIELD_LIMITS.qrRefNo, 'Your reference'),
      Amount: amount,
      TrxCode: oneOf(
        QR_TRX_CODES,
        'BG buy goods, WA agent withdrawal, PB paybill, SM send money, SB send to business',
      ),
      CPI: {
        type: ['string', 'integer'],
        description: 'Credit party: an MSISDN for SM, otherwise a till, paybill or agent number',
      },
      Size: {
        type: ['string', 'integer'],
        minimum: QR_SIZE_PIXELS_MIN,
        maximum: QR_SIZE_PIXELS_MAX,
        description: 'Image edge in pixels',
      },
    }),
  };
}

const str = (description: string): Schema => ({ type: 'string', description });

/** Synchronous answers and callback bodies. */
function responseSchemas(): Record<string, Schema> {
  return {
    DarajaError: object(['requestId', 'errorCode', 'errorMessage'], {
      requestId: str('Quote it when asking for help'),
      errorCode: str('e.g. 400.002.02'),
      errorMessage: str('e.g. Bad Request - Invalid PhoneNumber'),
    }),
    OAuthToken: object(['access_token', 'expires_in'], {
      access_token: str('Send as Authorization: Bearer <access_token>'),
      expires_in: { type: ['string', 'integer'], description: 'Seconds left, "3599"' },
    }),
    StkPushAccepted: object(
      [
        'MerchantRequestID',
        'CheckoutRequestID',
        'ResponseCode',
        'ResponseDescription',
        'CustomerMessage',
      ],
      {
        MerchantRequestID: str('Our id for the push'),
        CheckoutRequestID: str('Quote it in the query; the callback carries it'),
        ResponseCode: str('"0" when accepted'),
        ResponseDescription: str(''),
        CustomerMessage: str(''),
      },
    ),
    StkQueryResponse: object(['ResponseCode', 'MerchantRequestID', 'CheckoutRequestID'], {
      ResponseCode: str('"0"'),
      ResponseDescription: str(''),
      MerchantRequestID: str(''),
      CheckoutRequestID: str(''),
      ResultCode: str('The outcome, as text: "0" paid, "1032" cancelled, ...'),
      ResultDesc: str(''),
    }),
    C2bRegisterUrlResponse: object(['OriginatorCoversationID', 'ResponseCode'], {
      OriginatorCoversationID: str('Sic (Daraja’s spelling)'),
      ResponseCode: str('"0"'),
      ResponseDescription: str('"success" (v1) or "Success" (v2)'),
    }),
    C2bSimulateResponse: object(
      ['OriginatorCoversationID', 'ResponseCode', 'ResponseDescription'],
      {
        OriginatorCoversationID: str('Sic (Daraja’s spelling)'),
        ConversationID: str('v1 only'),
        ResponseCode: str('"0" (v1 too, though Daraja’s 2018 v1 sample omitted it)'),
        ResponseDescription: str(''),
      },
    ),
    ...initiatorPullAndQrAnswerSchemas(),
    ...callbackSchemas(),
  };
}

/** The acknowledgement of an initiator request, the pull API's answers, a dynamic QR code. */
function initiatorPullAndQrAnswerSchemas(): Record<string, Schema> {
  return {
    RequestAccepted: object(
      ['ConversationID', 'OriginatorConversationID', 'ResponseCode', 'ResponseDescription'],
      {
        ConversationID: str('AG_yyyyMMdd_…; the result carries it'),
        OriginatorConversationID: str('Yours (B2C v3, Pochi) or ours'),
        ResponseCode: str('"0" when accepted'),
        ResponseDescription: str(''),
      },
    ),
    PullRegisterResponse: object(['ResponseRefID', 'ResponseCode', 'ResponseStatus', 'ShortCode'], {
      ResponseRefID: str(''),
      ResponseCode: str('"0": the request was accepted (Malipo adds it; see ResponseStatus)'),
      ResponseStatus: str('"1000" registered, "1001" already registered'),
      ShortCode: str(''),
      ResponseDescription: str(''),
    }),
    PullQueryResponse: object(['ResponseRefID', 'ResponseCode', 'Response'], {
      ResponseRefID: str(''),
      ResponseCode: str('"1000" with rows, "1001" none in the period'),
      ResponseMessage: str(''),
      Response: {
        type: 'array',
        description: 'One page, nested in an outer array as Daraja sends it',
        items: { type: 'array', items: { type: 'object' } },
      },
    }),
    DynamicQrResponse: object(['ResponseCode', 'RequestID', 'QRCode'], {
      ResponseCode: str('A ConversationID, as in Daraja’s sample'),
      RequestID: str(''),
      ResponseDescription: str(''),
      QRCode: { type: 'string', contentEncoding: 'base64', description: 'A PNG image' },
    }),
  };
}

/** What Malipo posts to the partner's URLs, and what it expects back. */
function callbackSchemas(): Record<string, Schema> {
  return {
    StkCallback: stkCallbackSchema(),
    ...c2bCallbackSchemas(),
    ResultEnvelope: resultEnvelopeSchema(),
  };
}

function stkCallbackSchema(): Schema {
  return object(['Body'], {
    Body: object(['stkCallback'], {
      stkCallback: object(['MerchantRequestID', 'CheckoutRequestID', 'ResultCode', 'ResultDesc'], {
        MerchantRequestID: str(''),
        CheckoutRequestID: str(''),
        ResultCode: {
          type: 'integer',
          description: '0 paid; 1032 cancelled; 1037 unreachable',
        },
        ResultDesc: str(''),
        CallbackMetadata: {
          type: 'object',
          description: 'Only when paid: Amount, MpesaReceiptNumber, TransactionDate, PhoneNumber',
          properties: {
            Item: {
              type: 'array',
              items: {
                type: 'object',
                properties: { Name: { type: 'string' }, Value: { type: ['number', 'string'] } },
              },
            },
          },
        },
      }),
    }),
  });
}

/** The C2B validation request and confirmation, the validation's answer, any acknowledgement. */
function c2bCallbackSchemas(): Record<string, Schema> {
  return {
    C2bNotification: {
      type: 'object',
      description: 'The validation request and the confirmation share this shape; all strings',
      properties: Object.fromEntries(
        [
          'TransactionType',
          'TransID',
          'TransTime',
          'TransAmount',
          'BusinessShortCode',
          'BillRefNumber',
          'InvoiceNumber',
          'OrgAccountBalance',
          'ThirdPartyTransID',
          'MSISDN',
          'FirstName',
          'MiddleName',
          'LastName',
        ].map((name) => [name, { type: 'string' }]),
      ),
    },
    C2bValidationAnswer: object(['ResultCode', 'ResultDesc'], {
      ResultCode: {
        type: ['string', 'integer'],
        description: '"0" accepts; C2B00011..C2B00016 refuse',
      },
      ResultDesc: str('"Accepted" or "Rejected"'),
      ThirdPartyTransID: str('Optional; echoed in the confirmation'),
    }),
    CallbackAcknowledgement: object(['ResultCode', 'ResultDesc'], {
      ResultCode: { type: ['string', 'integer'], description: '0' },
      ResultDesc: str('e.g. "Accepted"'),
    }),
  };
}

/** The result of an initiator request (B2C, B2B, status, balance, reversal). */
function resultEnvelopeSchema(): Schema {
  const keyValue = (valueTypes: string[]) => ({
    type: 'object',
    required: ['Key'],
    properties: { Key: { type: 'string' }, Value: { type: valueTypes } },
  });
  return object(['Result'], {
    Result: object(
      [
        'ResultType',
        'ResultCode',
        'ResultDesc',
        'OriginatorConversationID',
        'ConversationID',
        'TransactionID',
      ],
      {
        ResultType: { type: ['integer', 'string'], description: '0: final' },
        ResultCode: { type: ['integer', 'string'], description: '0 success; see result codes' },
        ResultDesc: str(''),
        OriginatorConversationID: str(''),
        ConversationID: str(''),
        TransactionID: str('The receipt; a placeholder on failure'),
        ResultParameters: object(['ResultParameter'], {
          ResultParameter: { type: 'array', items: keyValue(['string', 'number']) },
        }),
        ReferenceData: object(['ReferenceItem'], {
          ReferenceItem: {
            oneOf: [keyValue(['string']), { type: 'array', items: keyValue(['string']) }],
          },
        }),
      },
    ),
  });
}

export function darajaSchemas(): Record<string, Schema> {
  return { ...requestSchemas(), ...responseSchemas() };
}
