// The like-for-like baseline of `npm run bench:api`: a bare node:http server that makes, for each
// request of the mix, the same HTTP exchanges Malipo makes, and nothing else (no payments, no
// journal, no fraud scoring, no SMS):
//
//   C2B simulate   answer; POST the business's ValidationURL and read its answer; then POST its
//                  ConfirmationURL (Malipo: validation before the commit, confirmation after)
//   B2C            answer with a ConversationID; POST the result to the request's ResultURL
//   status/balance answer; POST the result to the ResultURL
//
// Bodies have Daraja's shapes and about Malipo's sizes. Outbound calls go through one keep-alive
// http.Agent per partner origin, at most 8 sockets each (Malipo's outbox allows 8 per endpoint),
// as a good bare implementation would. A call that fails is counted, not retried.
//
//   node --import tsx bench/api/bare.ts     (a child of bench/api.ts; IPC only)
//
// IPC: 'register' {c2b: shortcode → {validationUrl, confirmationUrl}} before the load; 'take'
// answers {failures, calls} since the last take; 'stop'.

import { once } from 'node:events';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareRegistration {
  readonly validationUrl: string;
  readonly confirmationUrl: string;
}

export type BareRequest =
  | { type: 'register'; c2b: Record<string, BareRegistration> }
  | { type: 'take' }
  | { type: 'stop' };

export interface BareCounts {
  /** Outbound calls made and those that failed (network error, time-out, non-200). */
  readonly calls: number;
  readonly failures: number;
}

const ENDPOINT_SOCKETS_MAX = 8;
const CALL_TIMEOUT_MS = 10_000;
const ACCEPTED = 'Accept the service request successfully.';

interface Endpoint {
  readonly hostname: string;
  readonly port: number;
  readonly path: string;
  readonly agent: Agent;
}

/** Pre-parsed callback endpoints and one pooled agent per origin. */
class Endpoints {
  readonly #byUrl = new Map<string, Endpoint>();
  readonly #agents = new Map<string, Agent>();

  get(url: string): Endpoint {
    let endpoint = this.#byUrl.get(url);
    if (endpoint === undefined) {
      const parsed = new URL(url);
      let agent = this.#agents.get(parsed.host);
      if (agent === undefined) {
        agent = new Agent({ keepAlive: true, maxSockets: ENDPOINT_SOCKETS_MAX });
        this.#agents.set(parsed.host, agent);
      }
      endpoint = {
        hostname: parsed.hostname,
        port: Number(parsed.port),
        path: parsed.pathname,
        agent,
      };
      this.#byUrl.set(url, endpoint);
    }
    return endpoint;
  }
}

export class BareServer {
  readonly #endpoints = new Endpoints();
  #c2b: Record<string, BareRegistration> = {};
  #calls = 0;
  #failures = 0;
  #sequence = 0;

  register(c2b: Record<string, BareRegistration>): void {
    this.#c2b = c2b;
  }

  take(): BareCounts {
    const counts = { calls: this.#calls, failures: this.#failures };
    this.#calls = 0;
    this.#failures = 0;
    return counts;
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const path = (req.url ?? '/').split('?')[0]!;
      const n = ++this.#sequence;
      const ids = {
        conversationId: `AG_20261207_${String(n).padStart(20, '0')}`,
        originatorConversationId: `bare-${n}`,
        receipt: `BARE${String(n).padStart(8, '0')}`,
      };
      if (path === '/mpesa/c2b/v1/simulate') {
        answer(res, { OriginatorCoversationID: ids.originatorConversationId, ResponseCode: '0' });
        void this.#c2bExchanges(body, ids.receipt);
        return;
      }
      answer(res, {
        ConversationID: ids.conversationId,
        OriginatorConversationID: ids.originatorConversationId,
        ResponseCode: '0',
      });
      const resultUrl = String(body.ResultURL ?? '');
      if (resultUrl !== '') void this.#post(resultUrl, resultBody(path, body, ids));
    });
  };

  /** Validation first (its answer read), then the confirmation, as Malipo orders them. */
  async #c2bExchanges(body: Record<string, unknown>, receipt: string): Promise<void> {
    const registration = this.#c2b[String(body.ShortCode)];
    if (registration === undefined) {
      this.#failures++;
      return;
    }
    const notification = c2bNotification(body, 'PLACEHOLDER');
    if (!(await this.#post(registration.validationUrl, notification))) return;
    await this.#post(registration.confirmationUrl, { ...notification, TransID: receipt });
  }

  /** POSTs a JSON body and reads the JSON answer; false (and counted) when it failed. */
  #post(url: string, payload: object): Promise<boolean> {
    this.#calls++;
    const endpoint = this.#endpoints.get(url);
    const text = JSON.stringify(payload);
    return new Promise((resolve) => {
      const fail = () => {
        this.#failures++;
        resolve(false);
      };
      const outgoing = request(
        {
          method: 'POST',
          hostname: endpoint.hostname,
          port: endpoint.port,
          path: endpoint.path,
          agent: endpoint.agent,
          timeout: CALL_TIMEOUT_MS,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          },
        },
        (incoming) => {
          const parts: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => parts.push(chunk));
          incoming.on('end', () => {
            try {
              JSON.parse(Buffer.concat(parts).toString('utf8'));
            } catch {
              return fail();
            }
            if (incoming.statusCode === 200) resolve(true);
            else fail();
          });
          incoming.on('error', fail);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('time-out')));
      outgoing.on('error', fail);
      outgoing.end(text);
    });
  }
}

function answer(res: ServerResponse, body: Record<string, string>): void {
  const text = JSON.stringify({ ...body, ResponseDescription: ACCEPTED });
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function c2bNotification(body: Record<string, unknown>, transId: string) {
  return {
    TransactionType: 'Pay Bill',
    TransID: transId,
    TransTime: '20261207120000',
    TransAmount: `${Number(body.Amount)}.00`,
    BusinessShortCode: String(body.ShortCode),
    BillRefNumber: String(body.BillRefNumber ?? ''),
    InvoiceNumber: '',
    OrgAccountBalance: '',
    ThirdPartyTransID: '',
    MSISDN: String(body.Msisdn),
    FirstName: 'Amina',
    MiddleName: '',
    LastName: 'Achieng',
  };
}

/** A success result of the shape (and about the size) Malipo sends for this API. */
function resultBody(
  path: string,
  body: Record<string, unknown>,
  ids: { conversationId: string; originatorConversationId: string; receipt: string },
) {
  const parameters =
    path === '/mpesa/b2c/v1/paymentrequest'
      ? [
          { Key: 'TransactionAmount', Value: Number(body.Amount) },
          { Key: 'TransactionReceipt', Value: ids.receipt },
          { Key: 'ReceiverPartyPublicName', Value: `${String(body.PartyB)} - Amina Achieng` },
          { Key: 'TransactionCompletedDateTime', Value: '07.12.2026 12:00:00' },
          { Key: 'B2CUtilityAccountAvailableFunds', Value: 19_000_000 },
          { Key: 'B2CWorkingAccountAvailableFunds', Value: 1_000_000 },
          { Key: 'B2CRecipientIsRegisteredCustomer', Value: 'Y' },
          { Key: 'B2CChargesPaidAccountAvailableFunds', Value: 990_000 },
        ]
      : [
          {
            Key: 'AccountBalance',
            Value:
              'Working Account|KES|1000000.00|1000000.00|0.00|0.00&Utility Account|KES|19000000.00|19000000.00|0.00|0.00',
          },
          { Key: 'BOCompletedTime', Value: '20261207120000' },
        ];
  return {
    Result: {
      ResultType: 0,
      ResultCode: 0,
      ResultDesc: 'The service request is processed successfully.',
      OriginatorConversationID: ids.originatorConversationId,
      ConversationID: ids.conversationId,
      TransactionID: ids.receipt,
      ResultParameters: { ResultParameter: parameters },
      ReferenceData: {
        ReferenceItem: { Key: 'QueueTimeoutURL', Value: String(body.QueueTimeOutURL ?? '') },
      },
    },
  };
}

/** Listens on 127.0.0.1 (an ephemeral port unless given). */
export async function listenBare(port = 0) {
  const bare = new BareServer();
  const server = createServer({ keepAliveTimeout: 30_000 }, bare.handle);
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return { bare, server, port: (server.address() as AddressInfo).port };
}

async function runAsChild(): Promise<void> {
  const { bare, server, port } = await listenBare();
  process.on('message', (message: BareRequest) => {
    if (message.type === 'register') {
      bare.register(message.c2b);
      process.send!({ type: 'registered' });
    } else if (message.type === 'take') {
      process.send!({ type: 'taken', counts: bare.take() });
    } else {
      server.closeAllConnections();
      process.exit(0);
    }
  });
  // Orphaned (the bench died without stopping us): leave rather than linger.
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', ports: [port] });
}

if (process.send !== undefined && process.argv[1]?.endsWith('bare.ts')) {
  runAsChild().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
