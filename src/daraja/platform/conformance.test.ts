// Daraja conformance across every route: each acknowledgement carries ResponseCode "0",
// ResponseDescription and the ids Daraja sends; every error the HTTP layer produces (unknown
// path, wrong method, malformed JSON, body or headers too large, wrong content type, rate limit)
// comes in Daraja's {requestId, errorCode, errorMessage} shape with an HTTP status that follows
// HTTP. Real server, real journal, real HTTP on loopback.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type RouteOptions } from 'fastify';
import { orgAccountId, walletId } from '../../payments/accounts.ts';
import { buildOpenApiDocument, type OpenApiDocument } from '../../portal/openapi.ts';
import { GATEWAY_ERRORS, RESULT_CODES, STATUS_DIFFERENCES } from '../errors.ts';
import { encryptInitiatorPassword } from '../security-credential.ts';
import { APP_RATE_PER_SECOND_DEFAULT } from './model.ts';
import { SANDBOX_PASSKEY } from './sandbox.ts';
import {
  accessToken,
  darajaCall,
  errorOf,
  type Receiver,
  request,
  startReceiver,
  startTestServer,
  stkAuth,
  type TestServer,
  waitFor,
} from './testing/harness.ts';

/** Synchronous answers that are not acknowledgements: they carry Daraja's own documented codes. */
const NOT_ACKNOWLEDGEMENTS: Readonly<Record<string, (body: Record<string, unknown>) => void>> = {
  // Pull query answers with its rows: "1000" (rows) or "1001" (none), as Daraja documents.
  '/pulltransactions/v1/query': (body) => assert.match(String(body.ResponseCode), /^100[01]$/),
  // Dynamic QR answers with the code itself; Daraja's sample puts a ConversationID in
  // ResponseCode, and Malipo copies the sample.
  '/mpesa/qrcode/v1/generate': (body) => {
    assert.match(String(body.ResponseCode), /^AG_\d{8}_/);
    assert.equal(typeof body.QRCode, 'string');
  },
};

/** The ids each acknowledgement must carry (Daraja's spelling, misspellings included). */
function idsOf(path: string): string[] {
  if (path.startsWith('/mpesa/stkpush')) return ['MerchantRequestID', 'CheckoutRequestID'];
  if (path.startsWith('/mpesa/stkpushquery')) return ['MerchantRequestID', 'CheckoutRequestID'];
  if (path === '/mpesa/c2b/v1/simulate') return ['ConversationID', 'OriginatorCoversationID'];
  if (path.startsWith('/mpesa/c2b/')) return ['OriginatorCoversationID'];
  if (path.startsWith('/pulltransactions/')) return ['ResponseRefID'];
  return ['ConversationID', 'OriginatorConversationID'];
}

describe('Daraja conformance on every route', { timeout: 180_000 }, () => {
  let server: TestServer;
  let receiver: Receiver;
  let token: string;
  let credential: string;

  before(async () => {
    // Far above what the walk sends: this suite is not about the rate limit.
    server = await startTestServer({
      platform: { rateLimit: { perSecond: 10_000, burst: 10_000 } },
    });
    receiver = await startReceiver();
    token = await accessToken(server, server.sandbox.consumerKey, server.sandbox.consumerSecret);
    const certificate = await (await fetch(`${server.url}/daraja/certificate.cer`)).text();
    credential = encryptInitiatorPassword(certificate, server.sandbox.initiatorPassword);
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  /** The documented example for a path, made valid for this server (credential, URLs, time). */
  function exampleFor(example: Record<string, unknown>, n: number) {
    const body: Record<string, unknown> = { ...example };
    for (const [key, value] of Object.entries(body)) {
      if (key.endsWith('URL') && typeof value === 'string') body[key] = `${receiver.url}/walk`;
    }
    if ('SecurityCredential' in body) body.SecurityCredential = credential;
    if ('OriginatorConversationID' in body) body.OriginatorConversationID = `walk-${n}`;
    if ('Password' in body) Object.assign(body, stkAuth('600000', SANDBOX_PASSKEY));
    return body;
  }

  it('acknowledges every registered POST route with ResponseCode "0", a description and its ids', async () => {
    const registered = await registeredPostRoutes(server);
    const doc = buildOpenApiDocument();
    const call = darajaCall(server, token);
    let pushed: Record<string, unknown> | null = null;
    const walked: string[] = [];
    // The push first: the query needs its CheckoutRequestID.
    const order = [...registered].sort(
      (a, b) => Number(b.includes('stkpush/')) - Number(a.includes('stkpush/')),
    );
    for (const [n, path] of order.entries()) {
      const example = documentedExample(doc, path);
      const body = exampleFor(example, n);
      if (path === '/mpesa/stkpushquery/v1/query') {
        body.CheckoutRequestID = pushed?.CheckoutRequestID;
        // The sandbox test customer answers within seconds; until then the query is a 409.
        const answer = await waitFor('the push to have an outcome', async () => {
          const got = await call(path, body);
          return got.status === 200 ? got : null;
        });
        assertAcknowledged(path, answer.body);
        walked.push(path);
        continue;
      }
      const answer = await call(path, body);
      assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
      if (path === '/mpesa/stkpush/v1/processrequest') pushed = answer.body;
      const other = NOT_ACKNOWLEDGEMENTS[path];
      if (other !== undefined) other(answer.body);
      else assertAcknowledged(path, answer.body);
      walked.push(path);
    }
    assert.deepEqual(walked.sort(), [...registered].sort());
    // 17 today: STK push and query, C2B v1/v2 register and simulate, 8 initiator paths, pull, QR.
    assert.ok(walked.length >= 17, walked.join(' '));
  });

  it('refuses an unsafe callback URL in any URL field of any API before anything runs', async () => {
    const unsafe = [
      `${receiver.url}/x\r\nX-Injected: 1`,
      `${receiver.url}/x\n`,
      `${receiver.url}/x\ty`,
      `${receiver.url}/x\u0000`,
      `${receiver.url}/a b`,
      ` ${receiver.url}/x`,
      receiver.url.replace('http://', 'http://user:pass@'),
      receiver.url.replace('http://', 'ftp://'),
      receiver.url.replace('http://', 'gopher://'),
    ];
    const doc = buildOpenApiDocument();
    const call = darajaCall(server, token);
    await server.platform.idle();
    const before = await journalMarks(server);
    const attemptsBefore = receiver.attempts.length;
    let checked = 0;
    for (const [n, path] of [...(await registeredPostRoutes(server))].entries()) {
      const valid = exampleFor(documentedExample(doc, path), 1000 + n);
      for (const field of Object.keys(valid).filter((key) => key.endsWith('URL'))) {
        for (const [i, url] of unsafe.entries()) {
          const body = { ...valid, [field]: url, OriginatorConversationID: `unsafe-${n}-${i}` };
          const answer = await call(path, body);
          const what = `${path} ${field}=${JSON.stringify(url)}`;
          assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
          assert.deepEqual(
            [errorOf(answer).errorCode, errorOf(answer).errorMessage],
            ['400.002.02', `Bad Request - Invalid ${field}`],
            what,
          );
          checked++;
        }
      }
    }
    // STK, C2B register (both URLs, v1 and v2), 6 initiator APIs × 2 URLs plus B2C v1/v3, Pull.
    assert.ok(checked >= unsafe.length * 20, String(checked));
    await server.platform.idle();
    assert.deepEqual(await journalMarks(server), before, 'no money moved, no callback committed');
    assert.equal(receiver.attempts.length, attemptsBefore, 'no callback sent');
  });

  it('answers unknown paths and wrong methods in Daraja\u2019s shape: 404 and 405', async () => {
    for (const path of ['/nope', '/mpesa/b2c/v9/paymentrequest', '/mpesa', '/v1/generate']) {
      const answer = await request(`${server.url}${path}`, { body: {} });
      assert.deepEqual([answer.status, errorOf(answer).errorCode], [404, '404.001.01'], path);
    }
    for (const [method, path] of [
      ['GET', '/mpesa/b2c/v1/paymentrequest'],
      ['PUT', '/mpesa/stkpush/v1/processrequest'],
      ['DELETE', '/oauth/v1/generate'],
      ['POST', '/oauth/v1/generate'],
    ] as const) {
      const answer = await request(`${server.url}${path}`, { method });
      assert.deepEqual([answer.status, errorOf(answer).errorCode], [405, '405.001'], path);
    }
  });

  it('answers malformed JSON 400, a wrong content type 415 and a body too large 413', async () => {
    const url = `${server.url}/mpesa/b2c/v3/paymentrequest`;
    const authorization = `Bearer ${token}`;
    const malformed = await request(url, { rawBody: '{"Amount":', headers: { authorization } });
    assert.deepEqual([malformed.status, errorOf(malformed).errorCode], [400, '400.002.05']);
    const form = await request(url, {
      rawBody: 'Amount=1',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.deepEqual([form.status, errorOf(form).errorCode], [415, '415.001.01']);
    const large = await request(url, {
      rawBody: JSON.stringify({ Remarks: 'x'.repeat(64 * 1024) }),
      headers: { authorization },
    });
    assert.deepEqual([large.status, errorOf(large).errorCode], [413, '413.001.01']);
  });

  it('answers headers too large with a Daraja-shaped 431 from the HTTP server itself', async () => {
    const { port } = new URL(server.url);
    const raw = await rawExchange(
      Number(port),
      `POST /mpesa/b2c/v3/paymentrequest HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n` +
        'Content-Length: 2\r\n\r\n{}',
    );
    const [head, json] = raw.split('\r\n\r\n');
    assert.match(head!, /^HTTP\/1\.1 431 /);
    assert.match(head!, /content-type: application\/json/i);
    const body = JSON.parse(json!) as Record<string, string>;
    assert.deepEqual(Object.keys(body).sort(), ['errorCode', 'errorMessage', 'requestId']);
    assert.equal(body.errorCode, '431.001.01');
  });

  it('answers bad credentials with 400 or 401, never 5xx, keeping Daraja\u2019s errorCode', async () => {
    const basic = Buffer.from(`${server.sandbox.consumerKey}:wrong`).toString('base64');
    const oauth = await request(`${server.url}/oauth/v1/generate?grant_type=client_credentials`, {
      method: 'GET',
      headers: { authorization: `Basic ${basic}` },
    });
    assert.deepEqual([oauth.status, errorOf(oauth).errorCode], [400, '400.008.01']);
    const bearer = await request(`${server.url}/mpesa/stkpush/v1/processrequest`, {
      body: {},
      headers: { authorization: 'Bearer nope' },
    });
    assert.deepEqual([bearer.status, errorOf(bearer).errorCode], [401, '404.001.03']);
    const wrongPassword = await darajaCall(server, token)('/mpesa/stkpush/v1/processrequest', {
      ...documentedExample(buildOpenApiDocument(), '/mpesa/stkpush/v1/processrequest'),
      CallBackURL: `${receiver.url}/never`,
      Timestamp: stkAuth('600000', SANDBOX_PASSKEY).Timestamp,
      Password: Buffer.from('wrong').toString('base64'),
    });
    assert.deepEqual(
      [wrongPassword.status, errorOf(wrongPassword).errorMessage],
      [400, 'Wrong credentials'],
    );
  });
});

describe('the portal documents what differs from Daraja', () => {
  it('lists every status difference, the rate limit and each risk decision\u2019s result', () => {
    const notes = JSON.stringify(buildOpenApiDocument()['x-malipo-notes']);
    for (const difference of STATUS_DIFFERENCES) {
      const spec = GATEWAY_ERRORS[difference.error];
      assert.ok(
        notes.includes(`${spec.errorCode} ${spec.errorMessage}: HTTP ${spec.httpStatus}`),
        difference.error,
      );
    }
    assert.ok(notes.includes('429') && notes.includes('Retry-After'));
    assert.ok(notes.includes(`${APP_RATE_PER_SECOND_DEFAULT} requests per second`));
    for (const spec of [
      RESULT_CODES.declinedByRisk,
      RESULT_CODES.verificationRequired,
      RESULT_CODES.rejectedAfterReview,
      RESULT_CODES.transactionExpired,
    ]) {
      assert.ok(notes.includes(spec.desc), spec.desc);
    }
  });
});

function documentedExample(doc: OpenApiDocument, path: string): Record<string, unknown> {
  const body = doc.paths[path]?.post?.requestBody as
    | { content: Record<string, { example?: unknown }> }
    | undefined;
  const example = body?.content['application/json']?.example;
  assert.ok(example, `${path} has no documented example to walk with`);
  return example as Record<string, unknown>;
}

function assertAcknowledged(path: string, body: Record<string, unknown>): void {
  assert.equal(body.ResponseCode, '0', `${path}: ${JSON.stringify(body)}`);
  assert.equal(typeof body.ResponseDescription, 'string', path);
  assert.ok(String(body.ResponseDescription).length > 0, path);
  for (const id of idsOf(path)) {
    assert.equal(typeof body[id], 'string', `${path} lacks ${id}: ${JSON.stringify(body)}`);
    assert.ok(String(body[id]).length > 0, `${path}: empty ${id}`);
  }
}

/** The newest record of each stream a request could touch, and the balances it could move. */
async function journalMarks(server: TestServer) {
  const streams = ['txn', 'callback', 'daraja-request', 'daraja'];
  const newest = await Promise.all(
    streams.map(async (stream) => (await server.ledger.latestRecords(stream, 1))[0]?.seq ?? 0),
  );
  const accounts = await server.ledger.lookupAccounts([
    orgAccountId('600000', 'utility'),
    orgAccountId('600000', 'working'),
    walletId('254708374149'),
  ]);
  return {
    newest,
    balances: accounts.map((a) => [a.debitsPosted, a.creditsPosted, a.debitsPending]),
  };
}

/** Every POST route the platform registers, read from fastify as it registers them. */
async function registeredPostRoutes(server: TestServer): Promise<Set<string>> {
  const probe = Fastify({ logger: false });
  const routes = new Set<string>();
  probe.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.includes('POST') && /^\/(mpesa|pulltransactions)\//.test(route.url))
      routes.add(route.url);
  });
  server.platform.registerRoutes(probe);
  await probe.ready();
  await probe.close();
  return routes;
}

/** Writes raw bytes and reads the whole answer (the server closes after an error). */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (error) =>
      chunks.length > 0 ? resolve(Buffer.concat(chunks).toString()) : reject(error),
    );
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    socket.write(bytes);
  });
}
