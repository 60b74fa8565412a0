// A fake SMS API in the shape of Africa's Talking's, on real HTTP on 127.0.0.1: a telco's SMS
// gateway is the one thing these tests cannot run, so it is the one thing they fake. It records
// every request and answers as the test's `reply` says (by default: 201, recipient accepted).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSmsRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  form: Record<string, string>;
}

export type FakeReply =
  | { status: number; body: string; headers?: Record<string, string> }
  /** Never answers (until the server closes): for time-outs. */
  | 'hang';

export interface FakeSmsApi {
  baseUrl: string;
  requests: FakeSmsRequest[];
  reply: (request: FakeSmsRequest) => FakeReply;
  close(): Promise<void>;
}

/** Most bytes of a request body the fake reads: an SMS form is far below it. */
const REQUEST_BYTES_MAX = 64 * 1024;

export function acceptedReply(to: string, statusCode = 101, status = 'Success'): FakeReply {
  const body = {
    SMSMessageData: {
      Message: statusCode === 101 ? 'Sent to 1/1 Total Cost: KES 0.8000' : 'Sent to 0/1',
      Recipients: [{ statusCode, number: to, status, cost: 'KES 0.8000', messageId: 'ATXid_1' }],
    },
  };
  return { status: 201, body: JSON.stringify(body) };
}

export async function startFakeSmsApi(): Promise<FakeSmsApi> {
  const api: FakeSmsApi = {
    baseUrl: '',
    requests: [],
    reply: (request) => acceptedReply(request.form.to),
    close: async () => {},
  };
  const server = createServer((req, res) => {
    void handle(api, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}

async function handle(api: FakeSmsApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > REQUEST_BYTES_MAX) break;
  }
  const request: FakeSmsRequest = {
    method: req.method ?? '',
    path: req.url ?? '',
    headers: req.headers,
    form: Object.fromEntries(new URLSearchParams(body)),
  };
  api.requests.push(request);
  const reply = api.reply(request);
  if (reply === 'hang') return;
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  res.end(reply.body);
}
