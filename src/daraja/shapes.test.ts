// Golden tests: each builder's output is compared, whole and with its JSON types, against the
// sample in shared/reference/daraja-api.md (section in each test name).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESULT_CODES } from './errors.ts';
import {
  accountBalanceResult,
  accountBalanceText,
  amountMapLiteral,
  b2bResult,
  b2cResult,
  c2bNotification,
  c2bRegisterUrlResponse,
  c2bSimulateResponse,
  dynamicQrResponse,
  failureResult,
  javaDoubleText,
  oauthTokenResponse,
  presentMsisdn,
  pullQueryResponse,
  pullRegisterResponse,
  queueTimeoutResult,
  requestAcceptedResponse,
  reversalResult,
  shillingsNumber,
  shillingsText,
  stkCallbackFailure,
  stkCallbackSuccess,
  stkPushAcceptedResponse,
  stkQueryResponse,
  transactionStatusResult,
} from './shapes.ts';

/** Nairobi wall clock → epoch ms. */
const eat = (y: number, mo: number, d: number, h: number, mi: number, s: number) =>
  Date.UTC(y, mo - 1, d, h - 3, mi, s);

/** Round-trips through JSON so types (number vs string) are compared as a partner sees them. */
function assertJsonEqual(actual: unknown, expectedJson: string): void {
  assert.deepStrictEqual(JSON.parse(JSON.stringify(actual)), JSON.parse(expectedJson));
}

describe('money representations', () => {
  it('formats cents as Daraja numbers and strings', () => {
    assert.equal(shillingsNumber(895926960), 8959269.6);
    assert.equal(shillingsNumber(-198000), -1980);
    assert.equal(shillingsText(500), '5.00');
    assert.equal(shillingsText(5), '0.05');
    assert.equal(shillingsText(-154000), '-1540.00');
    assert.equal(shillingsText(34656883), '346568.83');
    assert.equal(javaDoubleText(269700), '2697.0');
    assert.equal(javaDoubleText(1050), '10.5');
    assert.throws(() => shillingsText(1.5), RangeError);
  });
});

describe('synchronous answers', () => {
  it('§1.1 OAuth token, expires_in as string by default or number on request', () => {
    assertJsonEqual(
      oauthTokenResponse('c9SQxWWhmdVRlyh0zh8gZDTkubVF'),
      '{"access_token":"c9SQxWWhmdVRlyh0zh8gZDTkubVF","expires_in":"3599"}',
    );
    assertJsonEqual(
      oauthTokenResponse('c9SQxWWhmdVRlyh0zh8gZDTkubVF', 3599, 'number'),
      '{"access_token":"c9SQxWWhmdVRlyh0zh8gZDTkubVF","expires_in":3599}',
    );
  });

  it('§1.2 STK push acknowledgement', () => {
    const ack = stkPushAcceptedResponse({
      merchantRequestId: '2654-4b64-97ff-b827b542881d3130',
      checkoutRequestId: 'ws_CO_1007202409152617172396192',
    });
    assertJsonEqual(
      ack,
      `{ "MerchantRequestID": "2654-4b64-97ff-b827b542881d3130",
      "CheckoutRequestID": "ws_CO_1007202409152617172396192",
      "ResponseCode": "0",
      "ResponseDescription": "Success. Request accepted for processing",
      "CustomerMessage": "Success. Request accepted for processing" }`,
    );
  });

  it('§1.3 STK query answer, ResultCode as a string', () => {
    const answer = stkQueryResponse({
      merchantRequestId: '22205-34066-1',
      checkoutRequestId: 'ws_CO_13012021093521236557',
      result: RESULT_CODES.success,
    });
    assertJsonEqual(
      answer,
      `{ "ResponseCode": "0", "ResponseDescription": "The service request has been accepted successfully",
      "MerchantRequestID": "22205-34066-1", "CheckoutRequestID": "ws_CO_13012021093521236557",
      "ResultCode": "0", "ResultDesc": "The service request is processed successfully." }`,
    );
    assert.equal(
      stkQueryResponse({
        merchantRequestId: 'm',
        checkoutRequestId: 'c',
        result: RESULT_CODES.cancelledByUser,
      }).ResultCode,
      '1032',
    );
  });

  it('§1.4 C2B register URL answer with the misspelt OriginatorCoversationID', () => {
    assertJsonEqual(
      c2bRegisterUrlResponse('7619-37765134-1', 1),
      '{ "OriginatorCoversationID": "7619-37765134-1", "ResponseCode": "0", "ResponseDescription": "success" }',
    );
    assert.equal(c2bRegisterUrlResponse('x', 2).ResponseDescription, 'Success');
  });

  it('§1.5 C2B simulate answers, v2 and the 2018 v1', () => {
    const ids = {
      originatorConversationId: '53e3-4aa8-9fe0-8fb5e4092cdd3405976',
      conversationId: 'AG_20180324_000066530b914eee3f85',
    };
    assertJsonEqual(
      c2bSimulateResponse(ids, 2),
      `{ "OriginatorCoversationID": "53e3-4aa8-9fe0-8fb5e4092cdd3405976", "ResponseCode": "0",
      "ResponseDescription": "Accept the service request successfully." }`,
    );
    assertJsonEqual(
      c2bSimulateResponse(ids, 1),
      `{ "ConversationID": "AG_20180324_000066530b914eee3f85",
      "OriginatorCoversationID": "53e3-4aa8-9fe0-8fb5e4092cdd3405976", "ResponseCode": "0",
      "ResponseDescription": "Accept the service request successfully." }`,
    );
  });

  it("§1.0 the initiator APIs' acknowledgement", () => {
    const ack = requestAcceptedResponse({
      conversationId: 'AG_20240706_20106e9209f64bebd05b',
      originatorConversationId: '600997_Test_32et3241ed8yu',
    });
    assertJsonEqual(
      ack,
      `{ "ConversationID": "AG_20240706_20106e9209f64bebd05b",
      "OriginatorConversationID": "600997_Test_32et3241ed8yu",
      "ResponseCode": "0",
      "ResponseDescription": "Accept the service request successfully." }`,
    );
  });

  it('§1.11 pull register and query answers', () => {
    assertJsonEqual(
      pullRegisterResponse({
        responseRefId: '4786-7855-1',
        shortcode: '600000',
        alreadyRegistered: false,
      }),
      '{"ResponseRefID":"4786-7855-1","ResponseCode":"0","ResponseStatus":"1000","ShortCode":"600000","ResponseDescription":"Shortcode Registered Successfully"}',
    );
    assert.equal(
      pullRegisterResponse({ responseRefId: 'r', shortcode: '600000', alreadyRegistered: true })
        .ResponseStatus,
      '1001',
    );
    const answer = pullQueryResponse('ref-1', [
      {
        receipt: 'OHR7RB3MSF',
        completedAtMs: Date.UTC(2020, 7, 27, 9, 12, 25),
        msisdn: '254722000000',
        sender: '254722000000',
        kind: 'till',
        billReference: '',
        amountCents: 269700,
        organizationName: 'VENDOR',
      },
    ]);
    assertJsonEqual(
      answer,
      `{"ResponseRefID":"ref-1","ResponseCode":"1000","ResponseMessage":"Success","Response":[[{
      "transactionId":"OHR7RB3MSF","trxDate":"2020-08-27T09:12:25Z","msisdn":254722000000,"sender":"254722000000",
      "transactiontype":"c2b-buy-goods-debit","billreference":"","amount":"2697.0","organizationname":"VENDOR"}]]}`,
    );
    assert.equal(pullQueryResponse('ref-2', []).ResponseCode, '1001');
  });

  it('§1.12 dynamic QR answer', () => {
    assertJsonEqual(
      dynamicQrResponse({
        conversationId: 'AG_20191219_000043fdf61864fe9ff5',
        requestId: '16738-27456357-1',
        qrCodePngBase64: 'iVBORw0KGgo=',
      }),
      '{"ResponseCode":"AG_20191219_000043fdf61864fe9ff5","RequestID":"16738-27456357-1","ResponseDescription":"QR Code Successfully Generated.","QRCode":"iVBORw0KGgo="}',
    );
  });
});

describe('STK callbacks (§1.2)', () => {
  const ids = {
    merchantRequestId: '29115-34620561-1',
    checkoutRequestId: 'ws_CO_191220191020363925',
  };

  it('success: ResultCode, TransactionDate and PhoneNumber are numbers', () => {
    const callback = stkCallbackSuccess(ids, {
      amountCents: 100,
      receipt: 'NLJ7RT61SV',
      completedAtMs: eat(2019, 12, 19, 10, 21, 15),
      phoneNumber: '254708374149',
    });
    assertJsonEqual(
      callback,
      `{ "Body": { "stkCallback": {
      "MerchantRequestID": "29115-34620561-1",
      "CheckoutRequestID": "ws_CO_191220191020363925",
      "ResultCode": 0,
      "ResultDesc": "The service request is processed successfully.",
      "CallbackMetadata": { "Item": [
        { "Name": "Amount", "Value": 1.00 },
        { "Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV" },
        { "Name": "TransactionDate", "Value": 20191219102115 },
        { "Name": "PhoneNumber", "Value": 254708374149 } ] } } } }`,
    );
  });

  it('success with the optional Balance item', () => {
    const callback = stkCallbackSuccess(ids, {
      amountCents: 1050000,
      receipt: 'SG722NMVXQ',
      completedAtMs: eat(2017, 8, 27, 16, 34, 0),
      phoneNumber: '254722000000',
      balanceCents: 3200990,
    });
    const items = callback.Body.stkCallback.CallbackMetadata?.Item;
    assert.deepStrictEqual(
      items?.map((i) => i.Name),
      ['Amount', 'MpesaReceiptNumber', 'Balance', 'TransactionDate', 'PhoneNumber'],
    );
    assert.deepStrictEqual(items?.[2], { Name: 'Balance', Value: 32009.9 });
    assert.deepStrictEqual(items?.[3], { Name: 'TransactionDate', Value: 20170827163400 });
  });

  it('failure: no CallbackMetadata at all', () => {
    const callback = stkCallbackFailure(
      {
        merchantRequestId: 'f1e2-4b95-a71d-b30d3cdbb7a7942864',
        checkoutRequestId: 'ws_CO_21072024125243250722943992',
      },
      RESULT_CODES.cancelledByUser,
    );
    assertJsonEqual(
      callback,
      `{ "Body": { "stkCallback": {
      "MerchantRequestID": "f1e2-4b95-a71d-b30d3cdbb7a7942864",
      "CheckoutRequestID": "ws_CO_21072024125243250722943992",
      "ResultCode": 1032, "ResultDesc": "Request cancelled by user" } } }`,
    );
  });
});

describe('C2B validation and confirmation (§1.4)', () => {
  const payment = {
    kind: 'paybill' as const,
    receipt: 'RKL51ZDR4F',
    completedAtMs: eat(2023, 11, 21, 12, 13, 25),
    amountCents: 500,
    businessShortcode: '600966',
    billRefNumber: 'Sample Transaction',
    invoiceNumber: '',
    orgAccountBalanceCents: 2500,
    thirdPartyTransId: '',
    msisdn: '254712345126',
    msisdnPresentation: 'masked' as const,
    firstName: 'NICHOLAS',
    middleName: '',
    lastName: '',
  };

  it('confirmation: every value a string, MSISDN masked as in the v2 sample', () => {
    assertJsonEqual(
      c2bNotification(payment),
      `{ "TransactionType": "Pay Bill", "TransID": "RKL51ZDR4F", "TransTime": "20231121121325",
      "TransAmount": "5.00", "BusinessShortCode": "600966", "BillRefNumber": "Sample Transaction",
      "InvoiceNumber": "", "OrgAccountBalance": "25.00", "ThirdPartyTransID": "",
      "MSISDN": "2547 ***** 126", "FirstName": "NICHOLAS", "MiddleName": "", "LastName": "" }`,
    );
  });

  it('validation: blank OrgAccountBalance; Buy Goods type', () => {
    const validation = c2bNotification({ ...payment, kind: 'till', orgAccountBalanceCents: null });
    assert.equal(validation.OrgAccountBalance, '');
    assert.equal(validation.TransactionType, 'Buy Goods');
  });

  it('MSISDN presentations: v1 mask, SHA-256 hash, clear', () => {
    assert.equal(presentMsisdn('254708374149', 'masked_v1'), '25470****149');
    assert.match(presentMsisdn('254708374149', 'hashed'), /^[0-9a-f]{64}$/);
    assert.equal(presentMsisdn('254708374149', 'clear'), '254708374149');
  });
});

const QUEUE = 'https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit';

describe('result envelopes', () => {
  it('§1.6 B2C success, key for key and type for type', () => {
    const result = b2cResult(
      {
        originatorConversationId: '53e3-4aa8-9fe0-8fb5e4092cdd3533373',
        conversationId: 'AG_20240706_2010364430d9bbdaf872',
      },
      {
        amountCents: 1000,
        receipt: 'SG632NMUAB',
        receiverMsisdn: '254705912645',
        receiverName: 'NICHOLAS JOHN SONGOK',
        completedAtMs: eat(2024, 7, 6, 22, 48, 52),
        utilityAvailableCents: 895926960,
        workingAvailableCents: 119937100,
        recipientIsRegistered: true,
        chargesPaidAvailableCents: -198000,
        queueTimeOutUrl: QUEUE,
      },
    );
    assertJsonEqual(
      result,
      `{ "Result": { "ResultType": 0, "ResultCode": 0, "ResultDesc": "The service request is processed successfully.",
      "OriginatorConversationID": "53e3-4aa8-9fe0-8fb5e4092cdd3533373",
      "ConversationID": "AG_20240706_2010364430d9bbdaf872", "TransactionID": "SG632NMUAB",
      "ResultParameters": { "ResultParameter": [
        { "Key": "TransactionAmount", "Value": 10 },
        { "Key": "TransactionReceipt", "Value": "SG632NMUAB" },
        { "Key": "ReceiverPartyPublicName", "Value": "254705912645 - NICHOLAS JOHN SONGOK" },
        { "Key": "TransactionCompletedDateTime", "Value": "06.07.2024 22:48:52" },
        { "Key": "B2CUtilityAccountAvailableFunds", "Value": 8959269.60 },
        { "Key": "B2CWorkingAccountAvailableFunds", "Value": 1199371.00 },
        { "Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y" },
        { "Key": "B2CChargesPaidAccountAvailableFunds", "Value": -1980.00 } ] },
      "ReferenceData": { "ReferenceItem": { "Key": "QueueTimeoutURL",
         "Value": "https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit" } } } }`,
    );
  });

  it('§1.6 B2C failure 2001: no ResultParameters, placeholder TransactionID', () => {
    const result = failureResult(
      'b2c',
      RESULT_CODES.initiatorInformationInvalid,
      {
        originatorConversationId: 'o-1',
        conversationId: 'AG_20240706_x',
        transactionId: 'SG60000000',
      },
      QUEUE,
    );
    assertJsonEqual(
      result,
      `{ "Result": { "ResultType": 0, "ResultCode": 2001, "ResultDesc": "The initiator information is invalid.",
      "OriginatorConversationID": "o-1", "ConversationID": "AG_20240706_x", "TransactionID": "SG60000000",
      "ReferenceData": { "ReferenceItem": { "Key": "QueueTimeoutURL", "Value": "${QUEUE}" } } } }`,
    );
  });

  it('§1.10 reversal failure keeps its string code R000002', () => {
    const result = failureResult(
      'reversal',
      RESULT_CODES.originalTransactionInvalid,
      { originatorConversationId: 'o', conversationId: 'c', transactionId: 'SKE0000000' },
      'https://q.example.com/',
    );
    assert.deepStrictEqual(
      [result.Result.ResultType, result.Result.ResultCode, result.Result.ResultDesc],
      [0, 'R000002', 'The OriginalTransactionID is invalid.'],
    );
  });

  it('§1.9 account balance: the 6-field string and string-typed codes', () => {
    const accounts = [
      {
        name: 'Working Account',
        currency: 'KES',
        currentCents: 70000000,
        availableCents: 70000000,
        reservedCents: 0,
        unclearedCents: 0,
      },
      {
        name: 'Float Account',
        currency: 'KES',
        currentCents: 0,
        availableCents: 0,
        reservedCents: 0,
        unclearedCents: 0,
      },
      {
        name: 'Utility Account',
        currency: 'KES',
        currentCents: 22803700,
        availableCents: 22803700,
        reservedCents: 0,
        unclearedCents: 0,
      },
      {
        name: 'Charges Paid Account',
        currency: 'KES',
        currentCents: -154000,
        availableCents: -154000,
        reservedCents: 0,
        unclearedCents: 0,
      },
      {
        name: 'Organization Settlement Account',
        currency: 'KES',
        currentCents: 0,
        availableCents: 0,
        reservedCents: 0,
        unclearedCents: 0,
      },
    ];
    const sample =
      'Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|KES|0.00|0.00|0.00|0.00&Utility Account|KES|228037.00|228037.00|0.00|0.00&Charges Paid Account|KES|-1540.00|-1540.00|0.00|0.00&Organization Settlement Account|KES|0.00|0.00|0.00|0.00';
    assert.equal(accountBalanceText(accounts), sample);
    const result = accountBalanceResult(
      {
        originatorConversationId: '16917-22577599-3',
        conversationId: 'AG_20200206_00005e091a8ec6b9eac5',
        transactionId: 'OA90000000',
      },
      accounts,
      eat(2020, 1, 9, 12, 57, 10),
      'https://q.example.com/ab',
    );
    assertJsonEqual(
      result,
      `{ "Result": { "ResultType": "0", "ResultCode": "0", "ResultDesc": "The service request is processed successfully.",
      "OriginatorConversationID": "16917-22577599-3", "ConversationID": "AG_20200206_00005e091a8ec6b9eac5", "TransactionID": "OA90000000",
      "ResultParameters": { "ResultParameter": [ { "Key": "AccountBalance", "Value": "${sample}" }, { "Key": "BOCompletedTime", "Value": "20200109125710" } ] },
      "ReferenceData": { "ReferenceItem": { "Key": "QueueTimeoutURL", "Value": "https://q.example.com/ab" } } } }`,
    );
  });

  it('§1.10 reversal success with the documented parameters', () => {
    const result = reversalResult(
      {
        originatorConversationId: 'dad6-4c34-8787-c8cb963a496d1268232',
        conversationId: 'AG_20211114_201018edbbf9f1582eaa',
        transactionId: 'SKE52PAWR9',
      },
      {
        debitAccount: {
          name: 'Utility Account',
          currency: 'KES',
          currentCents: 772217962,
          availableCents: 772217962,
          reservedCents: 0,
          unclearedCents: 0,
        },
        amountCents: 100,
        completedAtMs: eat(2021, 11, 14, 13, 27, 11),
        originalTransactionId: 'SKC82PACB8',
        chargeCents: 0,
        creditPartyPublicName: '254705912645 - NICHOLAS JOHN SONGOK',
        debitPartyPublicName: '600992 - Safaricom Daraja 992',
        queueTimeOutUrl: 'https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit',
      },
    );
    assertJsonEqual(
      result,
      `{ "Result": { "ResultType": 0, "ResultCode": 0, "ResultDesc": "The service request is processed successfully.",
      "OriginatorConversationID": "dad6-4c34-8787-c8cb963a496d1268232", "ConversationID": "AG_20211114_201018edbbf9f1582eaa", "TransactionID": "SKE52PAWR9",
      "ResultParameters": { "ResultParameter": [
        {"Key": "DebitAccountBalance", "Value": "Utility Account|KES|7722179.62|7722179.62|0.00|0.00"},
        {"Key": "Amount", "Value": 1.00},
        {"Key": "TransCompletedTime", "Value": 20211114132711},
        {"Key": "OriginalTransactionID", "Value": "SKC82PACB8"},
        {"Key": "Charge", "Value": 0.00},
        {"Key": "CreditPartyPublicName", "Value": "254705912645 - NICHOLAS JOHN SONGOK"},
        {"Key": "DebitPartyPublicName", "Value": "600992 - Safaricom Daraja 992"} ] },
      "ReferenceData": { "ReferenceItem": { "Key": "QueueTimeoutURL", "Value": "https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit" } } } }`,
    );
  });

  it('§1.7 B2B success: map literal, 6-field balance, ReferenceItem array, string types', () => {
    assert.equal(
      amountMapLiteral(618683, 'KES'),
      '{Amount={CurrencyCode=KES, MinimumAmount=618683, BasicAmount=6186.83}}',
    );
    const result = b2bResult(
      'b2b',
      {
        originatorConversationId: '626f6ddf-ab37-4650-b882-b1de92ec9aa4',
        conversationId: 'AG_20230420_2010759fd5662ef6d054',
        transactionId: 'QKA81LK5CY',
      },
      {
        amountCents: 19000,
        currency: 'KES',
        debitAccount: {
          name: 'Working Account',
          currency: 'KES',
          currentCents: 34656883,
          availableCents: 618683,
          reservedCents: 34038200,
          unclearedCents: 0,
        },
        completedAtMs: eat(2022, 11, 10, 11, 7, 17),
        debitPartyChargesCents: null,
        receiverPartyPublicName: '000000 - Biller Company',
        initiatorAccountCurrentCents: 618683,
        billReferenceNumber: '19008',
        queueTimeOutUrl: 'https://mydomain.com/b2b/businessbuygoods/queue/',
      },
    );
    assertJsonEqual(
      result,
      `{ "Result": { "ResultType": "0", "ResultCode": "0", "ResultDesc": "The service request is processed successfully.",
      "OriginatorConversationID": "626f6ddf-ab37-4650-b882-b1de92ec9aa4", "ConversationID": "AG_20230420_2010759fd5662ef6d054", "TransactionID": "QKA81LK5CY",
      "ResultParameters": { "ResultParameter": [
        { "Key": "DebitAccountBalance", "Value": "{Amount={CurrencyCode=KES, MinimumAmount=618683, BasicAmount=6186.83}}" },
        { "Key": "Amount", "Value": "190.00" },
        { "Key": "DebitPartyAffectedAccountBalance", "Value": "Working Account|KES|346568.83|6186.83|340382.00|0.00" },
        { "Key": "TransCompletedTime", "Value": "20221110110717" },
        { "Key": "DebitPartyCharges", "Value": "" },
        { "Key": "ReceiverPartyPublicName", "Value": "000000 - Biller Company" },
        { "Key": "Currency", "Value": "KES" },
        { "Key": "InitiatorAccountCurrentBalance", "Value": "{Amount={CurrencyCode=KES, MinimumAmount=618683, BasicAmount=6186.83}}" } ] },
      "ReferenceData": { "ReferenceItem": [
        { "Key": "BillReferenceNumber", "Value": "19008" },
        { "Key": "QueueTimeoutURL", "Value": "https://mydomain.com/b2b/businessbuygoods/queue/" } ] } } }`,
    );
  });

  it('§1.8 transaction status: docs key order, a TransactionReason without Value, Occasion item', () => {
    const result = transactionStatusResult(
      {
        originatorConversationId: 'o',
        conversationId: 'AG_20170727_00004492b1b6d0078fbe',
        transactionId: 'LGR919G2AV',
      },
      {
        receiptNo: 'LGR919G2AV',
        conversationId: 'AG_20170727_00004492b1b6d0078fbe',
        originatorConversationId: '19455-773836-1',
        initiatedAtMs: eat(2017, 7, 27, 10, 14, 15),
        finalisedAtMs: eat(2017, 7, 27, 10, 14, 15),
        amountCents: 1000,
        transactionStatus: 'Completed',
        reasonType: 'Salary Payment via API',
        transactionReason: null,
        debitPartyName: '600134 - Safaricom157',
        creditPartyName: '254708374149 - John Doe',
        debitAccountType: 'Utility Account',
        debitPartyCharges: { label: 'Fee For B2C Payment', currency: 'KES', cents: 3300 },
        occasion: null,
      },
    );
    assertJsonEqual(
      result.Result.ResultParameters,
      `{ "ResultParameter": [
      {"Key":"DebitPartyName","Value":"600134 - Safaricom157"},
      {"Key":"CreditPartyName","Value":"254708374149 - John Doe"},
      {"Key":"OriginatorConversationID","Value":"19455-773836-1"},
      {"Key":"InitiatedTime","Value":20170727101415},
      {"Key":"DebitAccountType","Value":"Utility Account"},
      {"Key":"DebitPartyCharges","Value":"Fee For B2C Payment|KES|33.00"},
      {"Key":"TransactionReason"},
      {"Key":"ReasonType","Value":"Salary Payment via API"},
      {"Key":"TransactionStatus","Value":"Completed"},
      {"Key":"FinalisedTime","Value":20170727101415},
      {"Key":"Amount","Value":10},
      {"Key":"ConversationID","Value":"AG_20170727_00004492b1b6d0078fbe"},
      {"Key":"ReceiptNo","Value":"LGR919G2AV"} ] }`,
    );
    assertJsonEqual(result.Result.ReferenceData, '{ "ReferenceItem": { "Key": "Occasion" } }');
    assert.deepStrictEqual([result.Result.ResultType, result.Result.ResultCode], [0, 0]);
  });

  it('queue time-out: the Result envelope without parameters', () => {
    const result = queueTimeoutResult(
      'b2c',
      { originatorConversationId: 'o', conversationId: 'c', transactionId: 'SG60000000' },
      RESULT_CODES.systemBusy,
    );
    assertJsonEqual(
      result,
      `{"Result":{"ResultType":0,"ResultCode":26,"ResultDesc":"System busy. The service request is rejected.",
      "OriginatorConversationID":"o","ConversationID":"c","TransactionID":"SG60000000"}}`,
    );
  });
});
