// The OpenAPI 3.1 document of the Daraja-compatible API (src/daraja/platform/README.md lists the
// endpoints), served at /portal/openapi.json and rendered by the portal's API reference.
// Field casing is Daraja's, misspellings included. The error answers of each operation come from
// the gateway error table the routes use (src/daraja/errors.ts), and the examples from the shape
// functions they answer with; routes.test.ts fails when a Daraja route is missing here.
import {
  type DarajaApi,
  GATEWAY_ERRORS,
  type GatewayErrorSpec,
  invalidAccessTokenError,
  invalidField,
} from '../daraja/index.ts';
import { CERTIFICATE_PATH } from '../daraja/platform/index.ts';
import { callbackExamples, requestExamples, responseExamples } from './openapi-examples.ts';
import { type PortalNote, portalNotes } from './openapi-notes.ts';
import { darajaSchemas, ref, type Schema } from './openapi-schemas.ts';

export type HttpMethod = 'get' | 'post';

export interface OpenApiOperation {
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly summary: string;
  readonly description?: string;
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly parameters?: readonly Schema[];
  readonly requestBody?: Schema;
  readonly responses: Record<string, Schema>;
  readonly callbacks?: Record<string, Schema>;
}

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: Schema;
  readonly servers: readonly Schema[];
  readonly tags: readonly { name: string; description: string }[];
  readonly security: readonly Record<string, readonly string[]>[];
  readonly paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>;
  readonly components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Schema> };
  /** Notes shown at the top of the portal's reference (statuses, rate limit, results). */
  readonly 'x-malipo-notes': readonly PortalNote[];
}

/** One Daraja endpoint, as the table below describes it. */
interface Endpoint {
  readonly method: HttpMethod;
  readonly path: string;
  readonly api: DarajaApi;
  readonly tag: Tag;
  readonly summary: string;
  readonly description?: string;
  readonly request?: { readonly schema: string; readonly example: unknown };
  readonly response: { readonly schema: string; readonly example: unknown };
  /** A field named in this operation's "Invalid <Field>" example. */
  readonly field?: string;
  /** Gateway errors particular to this endpoint. */
  readonly errors?: readonly GatewayErrorSpec[];
  readonly callbacks?: Record<string, Schema>;
}

const TAGS = [
  ['Authorization', 'Turn your consumer key and secret into an access token.'],
  ['M-Pesa Express', 'Push a PIN prompt to a customer’s phone (STK push) and query its outcome.'],
  ['Customer to Business', 'Receive paybill and till payments: register URLs, simulate payments.'],
  ['Business to Customer', 'Pay customers from a B2C shortcode (B2C, Business to Pochi).'],
  ['Business to Business', 'Pay other businesses, top up B2C float, remit tax.'],
  ['Queries', 'Transaction status and account balance.'],
  ['Reversal', 'Reverse a C2B payment.'],
  ['Pull Transactions', 'Read the last 48 hours of C2B payments.'],
  ['Dynamic QR', 'Make a QR code that starts a payment.'],
  ['Certificate', 'The certificate initiator passwords are encrypted with.'],
] as const;

type Tag = (typeof TAGS)[number][0];

const RETRY_NOTE =
  'Answer with any 2xx to acknowledge. 5xx, 408, 425, 429, time-outs and network errors are ' +
  'retried with backoff; other answers are not. Every attempt shows in the portal’s delivery log.';

/** An OpenAPI callback: Malipo POSTs `schema` to the URL the request named in `field`. */
function callback(field: string, summary: string, schema: string, examples: Schema): Schema {
  return {
    [`{$request.body#/${field}}`]: {
      post: {
        summary,
        description: RETRY_NOTE,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref(schema), examples } },
        },
        responses: { '200': { description: 'Acknowledged' } },
      },
    },
  };
}

const example = (value: unknown, summary?: string) => ({
  ...(summary === undefined ? {} : { summary }),
  value,
});

const resultCallbacks = {
  result: callback('ResultURL', 'The result', 'ResultEnvelope', {
    success: example(callbackExamples.b2cPaid, 'B2C paid'),
    balance: example(callbackExamples.balance, 'Account balance'),
    failure: example(callbackExamples.failed, 'Failed: wrong initiator password'),
  }),
  queueTimeout: callback('QueueTimeOutURL', 'The request expired in the queue', 'ResultEnvelope', {
    timeout: example(callbackExamples.queueTimeout),
  }),
};

function initiatorEndpoint(
  path: string,
  api: DarajaApi,
  tag: Tag,
  summary: string,
  request: { schema: string; example: unknown },
  extra: Partial<Endpoint> = {},
): Endpoint {
  return {
    method: 'post',
    path,
    api,
    tag,
    summary,
    request,
    response: { schema: 'RequestAccepted', example: responseExamples.accepted },
    field: 'PartyA',
    callbacks: resultCallbacks,
    ...extra,
  };
}

const ENDPOINTS: readonly Endpoint[] = [
  {
    method: 'get',
    path: '/oauth/v1/generate',
    api: 'oauth',
    tag: 'Authorization',
    summary: 'Generate an access token',
    description:
      'HTTP Basic with your consumer key and secret. Tokens live 3600 s; a new one revokes none.',
    response: { schema: 'OAuthToken', example: responseExamples.oauth },
  },
  {
    method: 'post',
    path: '/mpesa/stkpush/v1/processrequest',
    api: 'stkPush',
    tag: 'M-Pesa Express',
    summary: 'Push a payment prompt',
    description:
      'The customer sees the prompt on their phone and enters their PIN; the outcome is POSTed ' +
      'to CallBackURL. Sandbox test customers answer as their behaviour says (set it in the portal).',
    request: { schema: 'StkPushRequest', example: requestExamples.stkPush },
    response: { schema: 'StkPushAccepted', example: responseExamples.stkPush },
    field: 'PhoneNumber',
    errors: [GATEWAY_ERRORS.wrongCredentials, GATEWAY_ERRORS.unableToLockSubscriber],
    callbacks: {
      outcome: callback('CallBackURL', 'The outcome of the push', 'StkCallback', {
        paid: example(callbackExamples.stkPaid, 'Paid'),
        cancelled: example(callbackExamples.stkCancelled, 'Cancelled by the customer'),
      }),
    },
  },
  {
    method: 'post',
    path: '/mpesa/stkpushquery/v1/query',
    api: 'stkQuery',
    tag: 'M-Pesa Express',
    summary: 'Query a push',
    description: 'While the customer has not answered, the answer is the error 500.001.1001.',
    request: { schema: 'StkQueryRequest', example: requestExamples.stkQuery },
    response: { schema: 'StkQueryResponse', example: responseExamples.stkQuery },
    field: 'CheckoutRequestID',
    errors: [GATEWAY_ERRORS.wrongCredentials, GATEWAY_ERRORS.transactionBeingProcessed],
  },
  ...[1, 2].flatMap((version): Endpoint[] => [
    {
      method: 'post',
      path: `/mpesa/c2b/v${version}/registerurl`,
      api: 'c2bRegisterUrl',
      tag: 'Customer to Business',
      summary: `Register C2B URLs (v${version})`,
      description:
        'Sandbox lets you register again at will; production registers once. ' +
        (version === 1
          ? 'Confirmations registered with v1 show the payer as 25470****149.'
          : 'Confirmations registered with v2 show the payer masked as 2547 ***** 149.'),
      request: { schema: 'C2bRegisterUrlRequest', example: requestExamples.c2bRegisterUrl },
      response: {
        schema: 'C2bRegisterUrlResponse',
        example:
          version === 1 ? responseExamples.c2bRegisterUrlV1 : responseExamples.c2bRegisterUrlV2,
      },
      field: 'ShortCode',
      errors: [GATEWAY_ERRORS.urlsAlreadyRegistered],
      callbacks: {
        validation: c2bValidationCallback(),
        confirmation: callback('ConfirmationURL', 'A completed payment', 'C2bNotification', {
          confirmation: example(callbackExamples.c2bConfirmation),
        }),
      },
    },
    {
      method: 'post',
      path: `/mpesa/c2b/v${version}/simulate`,
      api: 'c2bSimulate',
      tag: 'Customer to Business',
      summary: `Simulate a C2B payment (v${version}, sandbox only)`,
      description:
        'A test customer pays your paybill or till; register URLs first to get the validation ' +
        'and confirmation.',
      request: { schema: 'C2bSimulateRequest', example: requestExamples.c2bSimulate },
      response: {
        schema: 'C2bSimulateResponse',
        example: version === 1 ? responseExamples.c2bSimulateV1 : responseExamples.c2bSimulateV2,
      },
      field: 'Msisdn',
      errors: [GATEWAY_ERRORS.resourceNotFound],
    },
  ]),
  initiatorEndpoint(
    '/mpesa/b2c/v1/paymentrequest',
    'b2c',
    'Business to Customer',
    'Pay a customer (B2C v1)',
    { schema: 'B2cV1Request', example: requestExamples.b2cV1 },
  ),
  initiatorEndpoint(
    '/mpesa/b2c/v3/paymentrequest',
    'b2c',
    'Business to Customer',
    'Pay a customer (B2C v3)',
    { schema: 'B2cV3Request', example: requestExamples.b2cV3 },
    {
      description: 'OriginatorConversationID makes the call idempotent: a repeat is refused.',
      errors: [GATEWAY_ERRORS.duplicateOriginatorConversationId],
    },
  ),
  initiatorEndpoint(
    '/mpesa/b2pochi/v1/paymentrequest',
    'b2pochi',
    'Business to Customer',
    'Pay a customer’s Pochi la Biashara',
    { schema: 'B2PochiRequest', example: requestExamples.b2pochi },
    { errors: [GATEWAY_ERRORS.duplicateOriginatorConversationId] },
  ),
  initiatorEndpoint(
    '/mpesa/b2b/v1/paymentrequest',
    'b2b',
    'Business to Business',
    'Pay a business',
    { schema: 'B2bRequest', example: requestExamples.b2b },
    {
      description:
        'CommandID BusinessPayBill, BusinessBuyGoods, BusinessPayToBulk (B2C float top-up) or ' +
        'BusinessTransferFromMMFToUtility.',
    },
  ),
  initiatorEndpoint(
    '/mpesa/b2b/v1/remittax',
    'taxRemittance',
    'Business to Business',
    'Remit tax to KRA',
    { schema: 'TaxRemittanceRequest', example: requestExamples.taxRemittance },
  ),
  initiatorEndpoint(
    '/mpesa/transactionstatus/v1/query',
    'transactionStatus',
    'Queries',
    'Transaction status',
    { schema: 'TransactionStatusRequest', example: requestExamples.transactionStatus },
    { description: 'By TransactionID (a receipt) or OriginalConversationID.' },
  ),
  initiatorEndpoint(
    '/mpesa/accountbalance/v1/query',
    'accountBalance',
    'Queries',
    'Account balance',
    { schema: 'AccountBalanceRequest', example: requestExamples.accountBalance },
    { description: 'The result’s AccountBalance is Name|Currency|Amount|…, accounts joined by &.' },
  ),
  initiatorEndpoint(
    '/mpesa/reversal/v1/request',
    'reversal',
    'Reversal',
    'Reverse a C2B payment',
    { schema: 'ReversalRequest', example: requestExamples.reversal },
    { field: 'ReceiverParty' },
  ),
  {
    method: 'post',
    path: '/pulltransactions/v1/register',
    api: 'pullRegister',
    tag: 'Pull Transactions',
    summary: 'Register for Pull',
    request: { schema: 'PullRegisterRequest', example: requestExamples.pullRegister },
    response: { schema: 'PullRegisterResponse', example: responseExamples.pullRegister },
    field: 'ShortCode',
  },
  {
    method: 'post',
    path: '/pulltransactions/v1/query',
    api: 'pullQuery',
    tag: 'Pull Transactions',
    summary: 'Query C2B payments (last 48 h)',
    request: { schema: 'PullQueryRequest', example: requestExamples.pullQuery },
    response: { schema: 'PullQueryResponse', example: responseExamples.pullQuery },
    field: 'StartDate',
  },
  {
    method: 'post',
    path: '/mpesa/qrcode/v1/generate',
    api: 'dynamicQr',
    tag: 'Dynamic QR',
    summary: 'Generate a payment QR code',
    request: { schema: 'DynamicQrRequest', example: requestExamples.dynamicQr },
    response: { schema: 'DynamicQrResponse', example: responseExamples.dynamicQr },
    field: 'TrxCode',
  },
];

/** Every gateway error the endpoint may answer with, in the order a request meets them. */
function gatewayErrors(endpoint: Endpoint): GatewayErrorSpec[] {
  if (endpoint.api === 'oauth') {
    return [
      GATEWAY_ERRORS.invalidGrantType,
      GATEWAY_ERRORS.invalidAuthenticationType,
      GATEWAY_ERRORS.internalServerError,
    ];
  }
  return [
    GATEWAY_ERRORS.invalidAuthenticationHeader,
    invalidAccessTokenError(endpoint.api),
    GATEWAY_ERRORS.productNotEnabled,
    GATEWAY_ERRORS.spikeArrestViolation,
    GATEWAY_ERRORS.invalidRequestPayload,
    invalidField(endpoint.field ?? 'ShortCode'),
    ...(endpoint.errors ?? []),
    GATEWAY_ERRORS.systemBusy,
    GATEWAY_ERRORS.internalServerError,
  ];
}

/** Daraja's error body under each HTTP status the endpoint may answer with. */
function errorResponses(endpoint: Endpoint): Record<string, Schema> {
  const byStatus = new Map<number, GatewayErrorSpec[]>();
  for (const spec of gatewayErrors(endpoint)) {
    const list = byStatus.get(spec.httpStatus) ?? [];
    if (!list.some((s) => s.errorCode === spec.errorCode && s.errorMessage === spec.errorMessage))
      list.push(spec);
    byStatus.set(spec.httpStatus, list);
  }
  const responses: Record<string, Schema> = {};
  for (const [status, specs] of [...byStatus].sort(([a], [b]) => a - b)) {
    const examples = Object.fromEntries(
      specs.map((spec, i) => [
        `e${i + 1}`,
        example(
          {
            requestId: '16738-27456357-1',
            errorCode: spec.errorCode,
            errorMessage: spec.errorMessage,
          },
          `${spec.errorCode} ${spec.errorMessage}`,
        ),
      ]),
    );
    responses[String(status)] = {
      description: specs.map((s) => `${s.errorCode} ${s.errorMessage}`).join('; '),
      content: { 'application/json': { schema: ref('DarajaError'), examples } },
    };
  }
  return responses;
}

function operationOf(endpoint: Endpoint): OpenApiOperation {
  const json = (schema: string, value: unknown) => ({
    'application/json': { schema: ref(schema), example: value },
  });
  return {
    operationId: `${endpoint.method}${endpoint.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c?: string) => (c ?? '').toUpperCase())}`,
    tags: [endpoint.tag],
    summary: endpoint.summary,
    ...(endpoint.description === undefined ? {} : { description: endpoint.description }),
    ...(endpoint.api === 'oauth'
      ? {
          security: [{ basicAuth: [] }],
          parameters: [
            {
              name: 'grant_type',
              in: 'query',
              required: true,
              schema: { type: 'string', enum: ['client_credentials'] },
            },
          ],
        }
      : {}),
    ...(endpoint.request === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: json(endpoint.request.schema, endpoint.request.example),
          },
        }),
    responses: {
      '200': {
        description: 'Accepted',
        content: json(endpoint.response.schema, endpoint.response.example),
      },
      ...errorResponses(endpoint),
    },
    ...(endpoint.callbacks === undefined ? {} : { callbacks: endpoint.callbacks }),
  };
}

const certificateOperation: OpenApiOperation = {
  operationId: 'getCertificate',
  tags: ['Certificate'],
  summary: 'Download the certificate',
  description:
    'Encrypt the initiator password with its public key (RSA, PKCS#1 v1.5) and send the ' +
    'base64 ciphertext as SecurityCredential.',
  security: [],
  responses: {
    '200': {
      description: 'The X.509 certificate, PEM',
      content: { 'application/x-pem-file': { schema: { type: 'string' } } },
    },
  },
};

/** The whole document. Built once per server start; every part is static. */
export function buildOpenApiDocument(): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const endpoint of ENDPOINTS) {
    paths[endpoint.path] = { ...paths[endpoint.path], [endpoint.method]: operationOf(endpoint) };
  }
  paths[CERTIFICATE_PATH] = { get: certificateOperation };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Malipo Daraja-compatible API',
      version: '1.0.0',
      description:
        'The M-Pesa Daraja API as Malipo serves it: point any Daraja client library at this ' +
        'server. Field names are Daraja’s, misspellings included (OriginatorCoversationID, ' +
        'RecieverIdentifierType, Occassion). Every call except OAuth is a JSON POST with ' +
        'Authorization: Bearer <access_token>; every error is {requestId, errorCode, errorMessage}.',
    },
    servers: [{ url: '/', description: 'This Malipo server' }],
    'x-malipo-notes': portalNotes(),
    tags: TAGS.map(([name, description]) => ({ name, description })),
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: darajaSchemas(),
      securitySchemes: {
        basicAuth: {
          type: 'http',
          scheme: 'basic',
          description: 'Consumer key as user name, consumer secret as password (OAuth only)',
        },
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'The access_token from GET /oauth/v1/generate',
        },
      },
    },
  };
}

/** The C2B ValidationURL call: answered synchronously, so described with its answer. */
function c2bValidationCallback(): Schema {
  return {
    '{$request.body#/ValidationURL}': {
      post: {
        summary: 'Accept or refuse a payment',
        description: 'Answer within 8 s; after that ResponseType decides. Not retried, not logged.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref('C2bNotification'),
              examples: { validation: example(callbackExamples.c2bValidation) },
            },
          },
        },
        responses: {
          '200': {
            description: 'Your verdict',
            content: {
              'application/json': {
                schema: ref('C2bValidationAnswer'),
                example: callbackExamples.validationAnswer,
              },
            },
          },
        },
      },
    },
  };
}
