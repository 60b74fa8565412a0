// The SMS gateways on real parts: the file gateway on a temp folder, the HTTP gateway against a
// fake Africa's Talking-shaped API on loopback (the telco is what we cannot run here).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { FileSmsGateway, HttpSmsGateway, type SmsToSend, sendContextOf } from './gateway.ts';
import { acceptedReply, type FakeSmsApi, startFakeSmsApi } from './testing/fake-sms-api.ts';

const TEST_TIMEOUT_MS = 10_000;
const message = (i: number): SmsToSend => ({
  to: `2547120000${String(i).padStart(2, '0')}`,
  text: `QK${i}ABCDEF Confirmed. Ksh${i}.00 sent.`,
  from: 'MPESA',
  id: `sms-${i}`,
});
const live = () => sendContextOf(new AbortController().signal);

describe('FileSmsGateway', { timeout: TEST_TIMEOUT_MS }, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'malipo-sms-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('writes one JSON line per message, concurrent sends batched, echoed once durable', async () => {
    const path = join(dir, 'sms.jsonl');
    const echoed: string[] = [];
    const gateway = new FileSmsGateway({
      path,
      echo: (line) => echoed.push(line),
      clock: { nowMs: () => 42 },
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => gateway.send(message(i), live())),
    );
    await gateway.close();
    assert.ok(results.every((r) => r.ok));
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 50);
    const parsed = lines.map((l) => JSON.parse(l));
    assert.deepEqual(parsed[7], { ...message(7), atMs: 42 });
    assert.equal(new Set(parsed.map((p) => p.id)).size, 50);
    assert.equal(echoed.length, 50);
  });

  test('sends within the flush interval share one write and fsync; each resolves once on disk', async () => {
    const path = join(dir, 'sms.jsonl');
    const gateway = new FileSmsGateway({ path, flushIntervalMs: 60_000 });
    // Idle: the first send is written at once, and is on disk when it resolves.
    assert.ok((await gateway.send(message(0), live())).ok);
    assert.equal(readFileSync(path, 'utf8').trimEnd().split('\n').length, 1);
    assert.equal(gateway.writes, 1);
    // Within the interval: the next sends wait for one shared write, which close() starts now.
    const pending = Array.from({ length: 30 }, (_, i) => gateway.send(message(i + 1), live()));
    await gateway.close();
    const results = await Promise.all(pending);
    assert.ok(results.every((r) => r.ok));
    assert.equal(gateway.writes, 2);
    const ids = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).id);
    assert.deepEqual(
      ids,
      Array.from({ length: 31 }, (_, i) => `sms-${i}`),
    );
  });

  test('an aborted send writes nothing; a closed gateway refuses (retryably)', async () => {
    const path = join(dir, 'sms.jsonl');
    const gateway = new FileSmsGateway({ path });
    const controller = new AbortController();
    controller.abort();
    const aborted = await gateway.send(message(1), sendContextOf(controller.signal));
    assert.deepEqual([aborted.ok, aborted.retryable], [false, true]);
    assert.equal(existsSync(path), false);
    await gateway.close();
    const closed = await gateway.send(message(2), live());
    assert.deepEqual([closed.ok, closed.retryable], [false, true]);
  });

  test('rotates to <path>.1 at rotateBytes and keeps appending', async () => {
    const path = join(dir, 'sms.jsonl');
    const gateway = new FileSmsGateway({ path, rotateBytes: 300 });
    for (let i = 0; i < 10; i++) assert.ok((await gateway.send(message(i), live())).ok);
    await gateway.close();
    assert.ok(existsSync(`${path}.1`));
    const current = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.equal(JSON.parse(current[current.length - 1]).id, 'sms-9');
  });
});

describe('HttpSmsGateway (Africa’s Talking shape)', { timeout: TEST_TIMEOUT_MS }, () => {
  let api: FakeSmsApi;
  let gateway: HttpSmsGateway;
  before(async () => {
    api = await startFakeSmsApi();
    gateway = new HttpSmsGateway({
      baseUrl: `${api.baseUrl}/`,
      username: 'malipo',
      apiKey: 'key-123',
      // Long enough that a loaded machine never times out an answered request; the hang test waits it out.
      timeoutMs: 2_000,
    });
  });
  after(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
    api.reply = (request) => acceptedReply(request.form.to);
  });

  test('POSTs the form to /version1/messaging with the apiKey header, and reads the recipient status', async () => {
    const result = await gateway.send(message(3), live());
    assert.equal(result.ok, true);
    assert.equal(result.status, 201);
    assert.match(result.responseExcerpt ?? '', /"statusCode":101/);
    assert.ok(result.latencyMs >= 0);
    const [request] = api.requests;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/version1/messaging');
    assert.equal(request.headers.apikey, 'key-123');
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request.headers.accept, 'application/json');
    assert.deepEqual(request.form, {
      username: 'malipo',
      to: '+254712000003',
      message: message(3).text,
      from: 'MPESA',
    });
  });

  test('5xx and 429 are retryable (with Retry-After), other 4xx are permanent', async () => {
    const cases: [number, boolean][] = [
      [500, true],
      [503, true],
      [429, true],
      [400, false],
      [401, false],
      [404, false],
    ];
    for (const [status, retryable] of cases) {
      api.reply = () => ({ status, body: '{"error":"x"}', headers: { 'retry-after': '7' } });
      const result = await gateway.send(message(1), live());
      assert.deepEqual([result.ok, result.status, result.retryable], [false, status, retryable]);
      assert.equal(result.error, `HTTP ${status}`);
      if (status === 429) assert.equal(result.retryAfterMs, 7_000);
    }
  });

  test('a recipient refused by the API: permanent for a bad number, retryable for no balance', async () => {
    api.reply = (r) => acceptedReply(r.form.to, 403, 'InvalidPhoneNumber');
    const bad = await gateway.send(message(1), live());
    assert.deepEqual(
      [bad.ok, bad.retryable, bad.error],
      [false, false, 'InvalidPhoneNumber (403)'],
    );
    api.reply = (r) => acceptedReply(r.form.to, 405, 'InsufficientBalance');
    const broke = await gateway.send(message(1), live());
    assert.deepEqual([broke.ok, broke.retryable], [false, true]);
    api.reply = () => ({
      status: 201,
      body: '{"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}}',
    });
    const sender = await gateway.send(message(1), live());
    assert.deepEqual([sender.ok, sender.retryable], [false, false]);
    assert.match(sender.error ?? '', /InvalidSenderId/);
    api.reply = () => ({ status: 201, body: '<html>oops</html>' });
    const garbled = await gateway.send(message(1), live());
    assert.deepEqual([garbled.ok, garbled.retryable], [false, true]);
  });

  test('time-out and caller abort end the request, retryably', async () => {
    api.reply = () => 'hang';
    const timedOut = await gateway.send(message(1), live());
    assert.deepEqual([timedOut.ok, timedOut.retryable], [false, true]);
    assert.match(timedOut.error ?? '', /timeout|aborted/i);
    const controller = new AbortController();
    const pending = gateway.send(message(2), sendContextOf(controller.signal));
    setTimeout(() => controller.abort(), 20);
    const aborted = await pending;
    assert.deepEqual([aborted.ok, aborted.retryable], [false, true]);
  });

  test('a network failure is retryable; a huge answer is cut to the excerpt bound', async () => {
    const port = await freePort();
    const down = new HttpSmsGateway({
      baseUrl: `http://127.0.0.1:${port}`,
      username: 'u',
      apiKey: 'k',
    });
    const refused = await down.send(message(1), live());
    assert.deepEqual([refused.ok, refused.retryable], [false, true]);
    assert.match(refused.error ?? '', /request failed/);

    api.reply = () => ({ status: 502, body: 'x'.repeat(200_000) });
    const huge = await gateway.send(message(1), live());
    assert.equal(huge.responseExcerpt?.length, 512);
  });
});

/** A port nothing listens on: bound, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
