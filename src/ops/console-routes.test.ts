// The console's dead-letter replay over its API, with the SMS metrics beside it: an SMS API in
// Africa's Talking's shape (the one thing here that stands in for an outside party: a telco's
// gateway) first refuses every message, so they are dead-lettered at once; an operator replays
// one after the gateway is fixed, it is delivered, and the replay is in the audit log. An action
// without a reason is refused and leaves no audit entry.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../daraja/platform/testing/harness.ts';
import { startServer } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { AUDIT_STREAM } from './audit.ts';
import { parsePrometheusText, seriesValue } from './testing/prom-text.ts';

const TOKEN = 'ops-replay-admin-token';

/** Africa's Talking's messaging API: 401 (our key is wrong: not retried) until `accept`. */
async function startSmsApi() {
  const state = { accept: false, sent: 0 };
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (!state.accept) {
        response
          .writeHead(401, { 'content-type': 'text/plain' })
          .end('The supplied authentication is invalid');
        return;
      }
      state.sent++;
      const recipient = {
        statusCode: 101,
        number: '+254700000000',
        status: 'Success',
        cost: 'KES 0.8000',
        messageId: `m${state.sent}`,
      };
      response
        .writeHead(201, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ SMSMessageData: { Message: 'Sent to 1/1', Recipients: [recipient] } }),
        );
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { state, url, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('console: dead letters and replay', { timeout: 120_000 }, () => {
  it('lists dead SMS, replays one with a reason, audits it, and counts sent and failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'malipo-ops-replay-'));
    const sms = await startSmsApi();
    const server = await startServer(
      loadConfig(
        { dataDir: dir, host: '127.0.0.1', port: 0 },
        {
          MALIPO_ADMIN_TOKEN: TOKEN,
          MALIPO_SMS_API_URL: sms.url,
          MALIPO_SMS_API_USERNAME: 'sandbox',
          MALIPO_SMS_API_KEY: 'not-a-real-key',
        },
      ),
    );
    const call = async (path: string, body?: unknown) => {
      const response = await fetch(`${server.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      // The demo world's welcome SMS all die at the first refusal.
      type Dead = { seq: number; lastError: string };
      const deadLetters = async () => (await call('/ops/api/outbox/sms/dead')).body.dead as Dead[];
      await waitFor('every SMS tried', async () => {
        const summary = (await call('/ops/api/summary')).body as {
          outbox: { stream: string; pending: number; delivering: number; dead: number }[];
        };
        const o = summary.outbox.find((x) => x.stream === 'sms');
        return o !== undefined && o.dead > 0 && o.pending + o.delivering === 0;
      });
      const dead = await deadLetters();
      assert.match(dead[0].lastError, /HTTP 401/);
      const before = parsePrometheusText(
        await (
          await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
        ).text(),
      );
      assert.ok(
        seriesValue(before, 'malipo_sms_messages_total', { result: 'failed' }) >= dead.length,
      );
      assert.ok(
        seriesValue(before, 'malipo_outbox_dead_lettered_total', { stream: 'sms' }) >= dead.length,
      );
      assert.equal(
        seriesValue(before, 'malipo_outbox_messages', { stream: 'sms', state: 'dead' }),
        dead.length,
      );

      const seq = dead[0].seq;
      const noReason = await call(`/ops/api/outbox/sms/replay/${seq}`, { who: 'bob' });
      assert.equal(noReason.status, 400);
      assert.equal((await server.ledger.latestRecords(AUDIT_STREAM, 1)).length, 0);

      sms.state.accept = true;
      const replayed = await call(`/ops/api/outbox/sms/replay/${seq}`, {
        who: 'bob',
        why: 'API key rotated',
      });
      assert.equal(replayed.status, 200, JSON.stringify(replayed.body));
      await waitFor('the replayed SMS delivered', () => sms.state.sent === 1);
      const stillDead = await deadLetters();
      assert.equal(
        stillDead.some((d) => d.seq === seq),
        false,
      );
      assert.equal(stillDead.length, dead.length - 1);

      const [entry] = await server.ledger.latestRecords(AUDIT_STREAM, 1);
      assert.deepEqual(
        { ...JSON.parse(entry.body), atMs: 0, from: '' },
        {
          who: 'bob',
          from: '',
          action: 'outbox.replay',
          target: `sms#${seq}`,
          why: 'API key rotated',
          outcome: 'ok',
          atMs: 0,
        },
      );
      const after = parsePrometheusText(
        await (
          await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
        ).text(),
      );
      assert.equal(seriesValue(after, 'malipo_sms_messages_total', { result: 'sent' }), 1);
    } finally {
      await server.close();
      await sms.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
