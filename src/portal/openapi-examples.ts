// Examples for the OpenAPI document, built with the same shape functions the routes answer with
// (src/daraja/shapes.ts), so an example cannot show a field the server no longer sends.
import {
  b2cResult,
  c2bNotification,
  c2bRegisterUrlResponse,
  c2bSimulateResponse,
  dynamicQrResponse,
  failureResult,
  formatCompactTimestamp,
  oauthTokenResponse,
  pullQueryResponse,
  pullRegisterResponse,
  queueTimeoutResult,
  RESULT_CODES,
  requestAcceptedResponse,
  resultEnvelope,
  stkCallbackFailure,
  stkCallbackSuccess,
  stkPassword,
  stkPushAcceptedResponse,
  stkQueryResponse,
} from '../daraja/index.ts';
import { SANDBOX_INITIATOR, SANDBOX_PASSKEY, SANDBOX_TILL } from '../daraja/platform/sandbox.ts';

/** One fixed instant, so the document is the same on every start: 6 Jul 2024 22:48:52 EAT. */
const EXAMPLE_AT_MS = Date.UTC(2024, 6, 6, 19, 48, 52);
const TIMESTAMP = formatCompactTimestamp(EXAMPLE_AT_MS, 180);
const PAYBILL = '600000';
const CUSTOMER = '254708374149';
const RECEIPT = 'SG632NMUAB';
const STK_IDS = {
  merchantRequestId: '29115-34620561-1',
  checkoutRequestId: 'ws_CO_191220191020363925',
};
const CONVERSATION = {
  conversationId: 'AG_20240706_2010364430d9bbdaf872',
  originatorConversationId: '53e3-4aa8-9fe0-8fb5e4092cdd3533373',
};
const CALLBACKS = 'https://example.com/mpesa';
/** Not a real credential: a placeholder of the right shape (344 base64 characters). */
const SECURITY_CREDENTIAL = `${'A'.repeat(342)}==`;

const initiatorUrls = {
  ResultURL: `${CALLBACKS}/result`,
  QueueTimeOutURL: `${CALLBACKS}/timeout`,
};

export const requestExamples = {
  stkPush: {
    BusinessShortCode: PAYBILL,
    Password: stkPassword(PAYBILL, SANDBOX_PASSKEY, TIMESTAMP),
    Timestamp: TIMESTAMP,
    TransactionType: 'CustomerPayBillOnline',
    Amount: 1,
    PartyA: CUSTOMER,
    PartyB: PAYBILL,
    PhoneNumber: CUSTOMER,
    CallBackURL: `${CALLBACKS}/stk`,
    AccountReference: 'INV-1042',
    TransactionDesc: 'Order 1042',
  },
  stkQuery: {
    BusinessShortCode: PAYBILL,
    Password: stkPassword(PAYBILL, SANDBOX_PASSKEY, TIMESTAMP),
    Timestamp: TIMESTAMP,
    CheckoutRequestID: STK_IDS.checkoutRequestId,
  },
  c2bRegisterUrl: {
    ShortCode: PAYBILL,
    ResponseType: 'Completed',
    ConfirmationURL: `${CALLBACKS}/confirmation`,
    ValidationURL: `${CALLBACKS}/validation`,
  },
  c2bSimulate: {
    ShortCode: PAYBILL,
    CommandID: 'CustomerPayBillOnline',
    Amount: 10,
    Msisdn: CUSTOMER,
    BillRefNumber: 'ACC-7',
  },
  b2cV1: {
    InitiatorName: SANDBOX_INITIATOR.name,
    SecurityCredential: SECURITY_CREDENTIAL,
    CommandID: 'BusinessPayment',
    Amount: 10,
    PartyA: PAYBILL,
    PartyB: CUSTOMER,
    Remarks: 'Refund',
    ...initiatorUrls,
    Occasion: 'July',
  },
  b2cV3: {
    OriginatorConversationID: 'refund-2024-07-06-0001',
    InitiatorName: SANDBOX_INITIATOR.name,
    SecurityCredential: SECURITY_CREDENTIAL,
    CommandID: 'BusinessPayment',
    Amount: 10,
    PartyA: PAYBILL,
    PartyB: CUSTOMER,
    Remarks: 'Refund',
    ...initiatorUrls,
    Occassion: 'July',
  },
  b2pochi: {
    OriginatorConversationID: 'pochi-2024-07-06-0001',
    InitiatorName: SANDBOX_INITIATOR.name,
    SecurityCredential: SECURITY_CREDENTIAL,
    CommandID: 'BusinessPayToPochi',
    Amount: 10,
    PartyA: PAYBILL,
    PartyB: CUSTOMER,
    Remarks: 'Supplier',
    ...initiatorUrls,
  },
  b2b: {
    Initiator: SANDBOX_INITIATOR.name,
    SecurityCredential: SECURITY_CREDENTIAL,
    CommandID: 'BusinessBuyGoods',
    SenderIdentifierType: '4',
    RecieverIdentifierType: '4',
    Amount: 100,
    PartyA: PAYBILL,
    PartyB: SANDBOX_TILL.tillNumber,
    Remarks: 'Stock',
    ...initiatorUrls,
  },
  taxRemittance: {
    Initiator: SANDBOX_INITIATOR.name,
    SecurityCredential: SECURITY_CREDENTIAL,
    CommandID: 'PayTaxToKRA',
    SenderIdentifierType: '4',
    RecieverIdentifierType: '4',
    Amount: 239,
    PartyA: PAYBILL,
    PartyB: '572572',
    AccountReference: '353353',
    Remarks: 'VAT July',
    ...initiatorUrls,
  },
  transactionStatus: {
    Initiator: SANDBOX_INITIATOR.name,
    SecurityCredential: SECURITY_CREDENTIAL,
    CommandID: 'TransactionStatusQuery',
    TransactionID: RECEIPT,
    PartyA: PAYBILL,
    IdentifierType: '4',
    Remarks: 'Check',
    ...initiatorUrls,
  },
  accountBalance: {
    Initiator: SANDBOX_INITIATOR.name,
    SecurityCredential: SECURITY_CREDENTIAL,
    CommandID: 'AccountBalance',
    PartyA: PAYBILL,
    IdentifierType: '4',
    Remarks: 'Balance',
    ...initiatorUrls,
  },
  reversal: {
    Initiator: SANDBOX_INITIATOR.name,
    SecurityCredential: SECURITY_CREDENTIAL,
    CommandID: 'TransactionReversal',
    TransactionID: RECEIPT,
    Amount: 10,
    ReceiverParty: PAYBILL,
    RecieverIdentifierType: '11',
    Remarks: 'Paid twice',
    ...initiatorUrls,
  },
  pullRegister: {
    ShortCode: PAYBILL,
    RequestType: 'Pull',
    NominatedNumber: CUSTOMER,
    CallBackURL: `${CALLBACKS}/pull`,
  },
  pullQuery: {
    ShortCode: PAYBILL,
    StartDate: '2024-07-06 08:00:00',
    EndDate: '2024-07-06 23:59:59',
    OffSetValue: '0',
  },
  dynamicQr: {
    MerchantName: 'Malipo Sandbox Till',
    RefNo: 'INV-1042',
    Amount: 250,
    TrxCode: 'BG',
    CPI: SANDBOX_TILL.tillNumber,
    Size: '300',
  },
} as const;

const accepted = requestAcceptedResponse(CONVERSATION);

export const responseExamples = {
  oauth: oauthTokenResponse('c9SQxWWhmdVRlyh0zh8gZDTkubVF'),
  stkPush: stkPushAcceptedResponse(STK_IDS),
  stkQuery: stkQueryResponse({ ...STK_IDS, result: RESULT_CODES.cancelledByUser }),
  c2bRegisterUrlV1: c2bRegisterUrlResponse('7619-37765134-1', 1),
  c2bRegisterUrlV2: c2bRegisterUrlResponse('7619-37765134-1', 2),
  c2bSimulateV1: c2bSimulateResponse(CONVERSATION, 1),
  c2bSimulateV2: c2bSimulateResponse(CONVERSATION, 2),
  accepted,
  pullRegister: pullRegisterResponse({
    responseRefId: '4786-9155-8',
    shortcode: PAYBILL,
    alreadyRegistered: false,
  }),
  pullQuery: pullQueryResponse('4786-9155-9', [
    {
      receipt: RECEIPT,
      completedAtMs: EXAMPLE_AT_MS,
      msisdn: CUSTOMER,
      sender: 'John Doe',
      kind: 'paybill',
      billReference: 'ACC-7',
      amountCents: 1_000,
      organizationName: 'Malipo Sandbox Business',
    },
  ]),
  dynamicQr: dynamicQrResponse({
    conversationId: CONVERSATION.conversationId,
    requestId: '16738-27456357-1',
    qrCodePngBase64: 'iVBORw0KGgo…',
  }),
};

const c2bPayment = {
  kind: 'paybill',
  receipt: RECEIPT,
  completedAtMs: EXAMPLE_AT_MS,
  amountCents: 1_000,
  businessShortcode: PAYBILL,
  billRefNumber: 'ACC-7',
  invoiceNumber: '',
  thirdPartyTransId: '',
  msisdn: CUSTOMER,
  msisdnPresentation: 'masked',
  firstName: 'John',
  middleName: '',
  lastName: 'Doe',
} as const;

export const callbackExamples = {
  stkPaid: stkCallbackSuccess(STK_IDS, {
    amountCents: 100,
    receipt: RECEIPT,
    completedAtMs: EXAMPLE_AT_MS,
    phoneNumber: CUSTOMER,
  }),
  stkCancelled: stkCallbackFailure(STK_IDS, RESULT_CODES.cancelledByUser),
  c2bValidation: c2bNotification({ ...c2bPayment, orgAccountBalanceCents: null }),
  c2bConfirmation: c2bNotification({ ...c2bPayment, orgAccountBalanceCents: 5_001_000 }),
  b2cPaid: b2cResult(CONVERSATION, {
    amountCents: 1_000,
    receipt: RECEIPT,
    receiverMsisdn: CUSTOMER,
    receiverName: 'John Doe',
    completedAtMs: EXAMPLE_AT_MS,
    utilityAvailableCents: 895_926_960,
    workingAvailableCents: 119_937_100,
    recipientIsRegistered: true,
    chargesPaidAvailableCents: -198_000,
    queueTimeOutUrl: initiatorUrls.QueueTimeOutURL,
  }),
  failed: failureResult(
    'b2c',
    RESULT_CODES.initiatorInformationInvalid,
    { ...CONVERSATION, transactionId: 'OAK0000000' },
    initiatorUrls.QueueTimeOutURL,
  ),
  balance: resultEnvelope({
    api: 'accountBalance',
    result: RESULT_CODES.success,
    ids: { ...CONVERSATION, transactionId: RECEIPT },
    parameters: [
      {
        Key: 'AccountBalance',
        Value:
          'Working Account|KES|700000.00|700000.00|0.00|0.00&Utility Account|KES|228037.00|228037.00|0.00|0.00',
      },
      { Key: 'BOCompletedTime', Value: TIMESTAMP },
    ],
  }),
  queueTimeout: queueTimeoutResult(
    'b2c',
    { ...CONVERSATION, transactionId: 'OAK0000000' },
    RESULT_CODES.systemBusy,
  ),
  acknowledgement: { ResultCode: 0, ResultDesc: 'Accepted' },
  validationAnswer: { ResultCode: '0', ResultDesc: 'Accepted' },
};
