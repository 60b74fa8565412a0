// The multi-process topology end to end (decision 0017): `startTopology` as `malipo serve
// --workers 2` runs it, real processes on loopback. Requests are pinned to a channel by keeping
// one connection per channel (x-malipo-channel says which process answered it), so each test
// makes one step on one channel and the next on the other: state that lived in a channel
// (tokens, rate limits, idempotency, USSD step-up sessions) would show here.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SandboxApp } from '../daraja/platform/index.ts';
import { encryptInitiatorPassword } from '../daraja/security-credential.ts';
import { RISK_TRIGGER_AMOUNTS_KES } from '../sandbox/triggers.ts';
import { loadConfig } from '../server/config.ts';
import { CODE_SCREEN_TEXT } from '../ussd/step-up.ts';
import { CHANNEL_HEADER } from './channel.ts';
import { RUNTIME_FILE, type RunningTopology, startTopology } from './supervisor.ts';

const ADMIN_TOKEN = 'topology-admin-token-0123456789';
const TIMEOUT_MS = 180_000;
/** New connections tried until both channels have answered one (the kernel picks the process). */
const CONNECTIONS_TRIED_MAX = 400;
const WAIT_MS = 60_000;

interface Answer {
  readonly status: number;
  readonly channel: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** One HTTP exchange over `agent` (one kept-alive connection: always the same channel). */
function call(
  base: string,
  agent: Agent,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      { agent, method: init.method ?? 'GET', headers: init.headers, timeout: WAIT_MS },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            channel: String(res.headers[CHANNEL_HEADER]),
            headers: res.headers,
            text,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A connection to each channel process, keyed by channel index; null if one never answered. */
async function agentsByChannel(base: string): Promise<Map<string, Agent> | null> {
  const agents = new Map<string, Agent>();
  for (let i = 0; i < CONNECTIONS_TRIED_MAX && agents.size < 2; i++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { channel } = await call(base, agent, '/health');
    if (agents.has(channel)) agent.destroy();
    else agents.set(channel, agent);
  }
  if (agents.size === 2) return agents;
  for (const agent of agents.values()) agent.destroy();
  return null;
}

/** The first chunk of a streamed answer, then the stream is closed. */
function firstChunk(
  url: string,
  headers: Record<string, string>,
): Promise<{ type: string; chunk: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, timeout: WAIT_MS }, (res) => {
      res.once('data', (chunk: Buffer) => {
        resolve({ type: String(res.headers['content-type']), chunk: chunk.toString('utf8') });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** An exchange whose body goes chunked (fastify's path on a channel) or with its length (lean). */
function rawExchange(
  base: string,
  agent: Agent,
  path: string,
  headers: Record<string, string>,
  body: string,
  chunked: boolean,
): Promise<{
  status: number;
  headerNames: string[];
  headers: Record<string, unknown>;
  text: string;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      { agent, method: 'POST', headers, timeout: WAIT_MS },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          const headerNames = res.rawHeaders
            .filter((_, i) => i % 2 === 0)
            .map((n) => n.toLowerCase());
          resolve({ status: res.statusCode ?? 0, headerNames, headers: res.headers, text });
        });
      },
    );
    req.on('error', reject);
    if (!chunked) req.setHeader('content-length', Buffer.byteLength(body));
    req.end(body);
  });
}

/** An answer's JSON with its per-request ids blanked, to compare two answers' bytes. */
function withoutIds(text: string): string {
  return text.replace(
    /"(requestId|ConversationID|OriginatorCon?versationID|OriginatorCoversationID)":"[^"]*"/g,
    '"$1":""',
  );
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('malipo serve --workers 2', { timeout: TIMEOUT_MS }, () => {
  let dir: string;
  let topology: RunningTopology;
  let base: string;
  let sandbox: SandboxApp;
  let one: Agent;
  let two: Agent;

  const bearer = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
  });
  const oauth = async (agent: Agent) => {
    const basic = Buffer.from(`${sandbox.consumerKey}:${sandbox.consumerSecret}`).toString(
      'base64',
    );
    const answer = await call(base, agent, '/oauth/v1/generate?grant_type=client_credentials', {
      headers: { authorization: `Basic ${basic}` },
    });
    assert.equal(answer.status, 200, answer.text);
    return { token: String(JSON.parse(answer.text).access_token), channel: answer.channel };
  };
  const b2c = (originatorConversationId: string, amount: number) =>
    JSON.stringify({
      OriginatorConversationID: originatorConversationId,
      InitiatorName: sandbox.initiatorName,
      SecurityCredential: encryptInitiatorPassword(
        readFileSync(join(dir, 'daraja-certificate.cer'), 'utf8'),
        sandbox.initiatorPassword,
      ),
      CommandID: 'BusinessPayment',
      Amount: amount,
      PartyA: sandbox.shortcode,
      PartyB: '254722000111',
      Remarks: 'topology test',
      QueueTimeOutURL: 'http://127.0.0.1:9/queue',
      ResultURL: 'http://127.0.0.1:9/result',
      Occasion: 'test',
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'malipo-topology-'));
    const env = {
      ...process.env,
      MALIPO_ADMIN_TOKEN: ADMIN_TOKEN,
      MALIPO_RISK_MODEL: 'none',
      MALIPO_LOG_LEVEL: 'warn',
    };
    topology = await startTopology(loadConfig({ port: 0, dataDir: dir }, env), 2);
    base = topology.url;
    assert.ok(topology.darajaSandbox !== null);
    sandbox = topology.darajaSandbox;
    const agents = await agentsByChannel(base);
    assert.ok(agents !== null, 'both channel processes answer on the public port');
    [one, two] = [agents.get('0'), agents.get('1')] as [Agent, Agent];
  });

  after(async () => {
    one?.destroy();
    two?.destroy();
    await topology?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a token issued through one channel is accepted through the other', async () => {
    const { token, channel } = await oauth(one);
    assert.equal(channel, '0');
    const paid = await call(base, two, '/mpesa/b2c/v3/paymentrequest', {
      method: 'POST',
      headers: { ...bearer(token), 'x-request-id': 'topology-trace-1' },
      body: b2c('topology-token-1', 10),
    });
    assert.equal(paid.channel, '1');
    assert.equal(paid.headers['x-request-id'], 'topology-trace-1', 'echoed as in one process');
    assert.equal(paid.status, 200, paid.text);
    assert.equal(JSON.parse(paid.text).ResponseCode, '0');
    const forged = await call(base, two, '/mpesa/b2c/v3/paymentrequest', {
      method: 'POST',
      headers: bearer(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`),
      body: b2c('topology-token-2', 10),
    });
    assert.equal(forged.status, 401, 'the channel verifies the token itself');
  });

  it('a duplicate OriginatorConversationID sent through both channels at once pays once', async () => {
    const { token } = await oauth(two);
    // The payee's statement rows of this test's amount (no other test pays 77 shillings).
    const paymentsOf77 = async () => {
      const answer = await call(base, one, '/admin/customers/0722000111/statement', {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const { rows } = JSON.parse(answer.text) as { rows: { paidInCents: number }[] };
      return rows.filter((row) => row.paidInCents === 77_00);
    };
    const body = b2c('topology-duplicate-1', 77);
    const answers = await Promise.all(
      [one, two].map((agent) =>
        call(base, agent, '/mpesa/b2c/v3/paymentrequest', {
          method: 'POST',
          headers: bearer(token),
          body,
        }),
      ),
    );
    assert.deepEqual(answers.map((a) => a.channel).sort(), ['0', '1']);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 409], answers.map((a) => a.text).join('\n'));
    const paid = await eventually('the payment', async () => {
      const rows = await paymentsOf77();
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(paid.length, 1);
  });

  it('a USSD step-up challenged on one channel is answered on the other', async () => {
    const ussd = (agent: Agent, text: string) =>
      call(base, agent, '/ussd', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          sessionId: 'topology-step-up-1',
          serviceCode: '*334#',
          phoneNumber: '0712345678',
          text,
        }).toString(),
      });
    const inputs = ['1', '0722000111', String(RISK_TRIGGER_AMOUNTS_KES.step_up), '1', '4826'];
    let screen: Answer | null = null;
    for (let n = 0; n <= inputs.length; n++) {
      // Each step on the other channel than the step before.
      screen = await ussd(n % 2 === 0 ? one : two, inputs.slice(0, n).join('*'));
      assert.match(screen.text, /^CON /, `step ${n}: ${screen.text}`);
    }
    assert.equal(screen?.channel, '1');
    assert.match(screen?.text ?? '', new RegExp(`^CON ${CODE_SCREEN_TEXT}`));
    const code = await eventually('the verification code SMS', async () => {
      const sms = readFileSync(join(dir, 'sms.jsonl'), 'utf8');
      return /verification code is (\d+)/.exec(sms)?.[1];
    });
    const done = await ussd(one, [...inputs, code].join('*'));
    assert.equal(done.channel, '0');
    assert.match(done.text, /^END [A-Z0-9]{10} Confirmed\. Ksh9,001\.00 sent to MARY ATIENO/);
  });

  it('hot Daraja routes answer alike without fastify (length-framed) and through it (chunked)', async () => {
    const { token } = await oauth(one);
    const c2b = (shortcode: string) =>
      JSON.stringify({
        ShortCode: shortcode,
        CommandID: 'CustomerBuyGoodsOnline',
        Amount: 10,
        Msisdn: '254722000111',
      });
    const same = (body: string) => () => body;
    // B2C: each path its own OriginatorConversationID (both 200), then each the other's (both 409).
    const paid = (first: string, second: string) => (chunked: boolean) =>
      b2c(chunked ? second : first, 11);
    const cases: [string, Record<string, string>, (chunked: boolean) => string][] = [
      ['/mpesa/c2b/v1/simulate', bearer(token), same(c2b(sandbox.tillNumber))],
      ['/mpesa/c2b/v2/simulate', bearer(token), same(c2b(sandbox.tillNumber))],
      ['/mpesa/c2b/v1/simulate', bearer(token), same(c2b('999999'))],
      ['/mpesa/c2b/v1/simulate', bearer(token), same('{"ShortCode":')],
      ['/mpesa/c2b/v1/simulate', bearer(token), same('{"__proto__":{"x":1}}')],
      ['/mpesa/c2b/v1/simulate', bearer('not-a-token'), same(c2b(sandbox.tillNumber))],
      ['/mpesa/c2b/v1/simulate', bearer(token), same(JSON.stringify({ R: 'x'.repeat(70_000) }))],
      [
        '/mpesa/c2b/v1/simulate',
        { ...bearer(token), 'content-type': 'application/x-www-form-urlencoded' },
        same('Amount=1'),
      ],
      ['/mpesa/b2c/v3/paymentrequest', bearer(token), paid('topology-lean-1', 'topology-lean-2')],
      ['/mpesa/b2c/v3/paymentrequest', bearer(token), paid('topology-lean-2', 'topology-lean-1')],
    ];
    for (const [path, headers, body] of cases) {
      // Fresh connections: an answer with `connection: close` ends its socket.
      const lean = await rawExchange(base, new Agent(), path, headers, body(false), false);
      const framework = await rawExchange(base, new Agent(), path, headers, body(true), true);
      const what = `${path} ${body(false).slice(0, 40)}: ${lean.text} / ${framework.text}`;
      assert.equal(lean.status, framework.status, what);
      assert.deepEqual(lean.headerNames, framework.headerNames, what);
      for (const name of ['content-type', 'connection', 'retry-after'])
        assert.equal(lean.headers[name], framework.headers[name], `${what}: ${name}`);
      assert.equal(withoutIds(lean.text), withoutIds(framework.text), what);
    }
  });

  it('a channel killed with SIGKILL is restarted and requests succeed again', async () => {
    const { token } = await oauth(one);
    const before = topology.pids().channels;
    const victim = before[0] as number;
    const inFlight = [1, 2, 3].map((n) =>
      call(base, one, '/mpesa/b2c/v3/paymentrequest', {
        method: 'POST',
        headers: bearer(token),
        body: b2c(`topology-kill-${n}`, 5),
      }).catch((error: Error) => error),
    );
    process.kill(victim, 'SIGKILL');
    await Promise.all(inFlight);
    const restarted = await eventually('a new channel 0', async () => {
      const pid = topology.pids().channels[0];
      return pid !== null && pid !== undefined && pid !== victim ? pid : undefined;
    });
    // runtime.json is rewritten when the new channel comes online, a moment after the fork.
    const recorded = await eventually('runtime.json naming the new channel', async () => {
      const runtime = JSON.parse(readFileSync(join(dir, RUNTIME_FILE), 'utf8'));
      return runtime.channels[0] === restarted ? runtime : undefined;
    });
    assert.equal(recorded.channels[0], restarted);
    assert.equal(recorded.channels[1], before[1], 'the other channel kept running');
    // Fresh connections reach both channels again once the new one listens, and a token from
    // before still works.
    const agents = await eventually(
      'both channels answering',
      async () => (await agentsByChannel(base)) ?? undefined,
    );
    for (const [channel, agent] of agents) {
      const answer = await call(base, agent, '/mpesa/accountbalance/v1/query', {
        method: 'POST',
        headers: bearer(token),
        body: JSON.stringify({
          Initiator: sandbox.initiatorName,
          SecurityCredential: encryptInitiatorPassword(
            readFileSync(join(dir, 'daraja-certificate.cer'), 'utf8'),
            sandbox.initiatorPassword,
          ),
          CommandID: 'AccountBalance',
          PartyA: sandbox.shortcode,
          IdentifierType: '4',
          Remarks: 'after the kill',
          QueueTimeOutURL: 'http://127.0.0.1:9/queue',
          ResultURL: 'http://127.0.0.1:9/result',
        }),
      });
      assert.equal(answer.status, 200, `channel ${channel}: ${answer.text}`);
      agent.destroy();
    }
  });

  it('low-volume routes are proxied as they are: auth, headers, the event stream, the audit address', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    assert.equal((await call(base, one, '/ops/api/summary')).status, 401);
    const page = await call(base, two, '/ops');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /default-src/);
    const stream = await firstChunk(`${base}/ops/api/events`, admin);
    assert.match(stream.type, /^text\/event-stream/);
    assert.match(stream.chunk, /^event: snapshot\ndata: \{/);
    // A client's own X-Forwarded-For is replaced by the address the channel saw.
    const unlocked = await call(base, one, '/ops/api/customers/0733000222/unlock-pin', {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify({ who: 'topology test', why: 'checking the proxy' }),
    });
    assert.equal(unlocked.status, 200, unlocked.text);
    const audit = await call(base, two, '/ops/api/audit?limit=1', { headers: admin });
    const [entry] = JSON.parse(audit.text).entries as { from: string; who: string }[];
    assert.deepEqual([entry?.who, entry?.from], ['topology test', '127.0.0.1']);
  });

  it('an owner killed mid-request: 503 from the channel, and the retry gives one outcome', async () => {
    const { token } = await oauth(one);
    const victim = topology.pids().owner as number;
    const body = b2c('topology-owner-kill-1', 66);
    const send = (agent: Agent) =>
      call(base, agent, '/mpesa/b2c/v3/paymentrequest', {
        method: 'POST',
        headers: bearer(token),
        body,
      });
    const first = send(one);
    process.kill(victim, 'SIGKILL');
    const cut = await first;
    assert.ok(cut.status === 200 || cut.status === 503, cut.text);
    const during = await send(two);
    assert.equal(during.status, 503, during.text);
    assert.equal(during.headers['retry-after'], '1');
    assert.deepEqual(Object.keys(JSON.parse(during.text)).sort(), [
      'errorCode',
      'errorMessage',
      'requestId',
    ]);
    // The partner retries the same request until the restarted owner answers it.
    const retried = await eventually('the restarted owner', async () => {
      const answer = await send(two);
      return answer.status === 503 ? undefined : answer;
    });
    assert.notEqual(topology.pids().owner, victim);
    // Accepted before the kill: the retry is a duplicate. Cut off: accepted now, or a duplicate
    // if the acceptance had committed before the owner died. Never two payments.
    if (cut.status === 200) assert.equal(retried.status, 409, retried.text);
    else assert.ok(retried.status === 200 || retried.status === 409, retried.text);
    const paid = await eventually('the payment', async () => {
      const answer = await call(base, one, '/admin/customers/0722000111/statement', {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const { rows } = JSON.parse(answer.text) as { rows: { paidInCents: number }[] };
      const of66 = rows.filter((row) => row.paidInCents === 66_00);
      return of66.length > 0 ? of66 : undefined;
    });
    assert.equal(paid.length, 1);
  });

  it('the per-app rate limit is counted across both channels', async () => {
    const { token } = await oauth(one);
    const set = await call(base, two, `/daraja/admin/apps/${sandbox.appId}/rate-limit`, {
      method: 'PUT',
      headers: bearer(ADMIN_TOKEN),
      body: JSON.stringify({ perSecond: 0.001, burst: 4 }),
    });
    assert.equal(set.status, 200, set.text);
    const statuses: number[] = [];
    for (let n = 0; n < 8; n++) {
      const answer = await call(base, n % 2 === 0 ? one : two, '/mpesa/stkpushquery/v1/query', {
        method: 'POST',
        headers: bearer(token),
        body: JSON.stringify({}),
      });
      statuses.push(answer.status);
      if (answer.status === 429) assert.equal(answer.headers['retry-after'], '1');
    }
    // Four tokens in the bucket: four pass (then fail validation, 400), four meet the limit. A
    // bucket per channel would have let all eight through.
    assert.deepEqual(statuses, [400, 400, 400, 400, 429, 429, 429, 429]);
  });
});
