// The risk engine as the server runs it: every payment is scored, operator events survive a
// restart, and the model is swapped over the admin API without one.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RunningServer, startServer } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { DEFAULT_MODEL_PATH } from './index.ts';

const TOKEN = 'risk-test-admin-token';
const VICTIM = '0712345678';
const VICTIM_PIN = '4826';
const KNOWN = '0722000111';
const STRANGER = '0733000222';

describe('risk scoring in the server', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'malipo-risk-'));
  let server: RunningServer | null = null;
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = async () => {
    const config = loadConfig(
      { dataDir, port: 0, seedDemo: true },
      { MALIPO_ADMIN_TOKEN: TOKEN, MALIPO_SMS_ECHO: '0', MALIPO_RISK_MODE: 'enforce' },
    );
    server = await startServer(config);
    return server;
  };
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server!.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const walletOf = async (msisdn: string, pin: string) => {
    const outcome = await server!.payments.balance(msisdn, { kind: 'pin', pin });
    assert.ok(outcome.ok, JSON.stringify(outcome));
    return outcome.availableCents;
  };
  let key = 0;
  const send = (to: string, amountCents: number) =>
    server!.payments.sendMoney({
      from: VICTIM,
      to,
      amountCents,
      auth: { kind: 'pin', pin: VICTIM_PIN },
      requestKey: `risk-test-${key++}`,
      channel: 'ussd',
    });

  it('loads the committed model and scores every payment', async () => {
    await start();
    const stats = await admin('GET', '/admin/risk');
    assert.equal(stats.status, 200);
    assert.match(String(stats.body.modelVersion), /./);
    assert.equal(stats.body.mode, 'enforce');
    const before = stats.body.decisions as Record<string, number>;
    const sent = await send(KNOWN, 100_00);
    assert.ok(sent.ok, JSON.stringify(sent));
    const afterSend = (await admin('GET', '/admin/risk')).body.decisions as Record<string, number>;
    assert.equal(afterSend.allow, before.allow + 1);
  });

  it('blocks a drain to a new recipient right after a SIM swap and a new device', async () => {
    for (const type of ['sim_swap', 'device_change']) {
      const recorded = await admin('POST', '/admin/risk/events', { msisdn: VICTIM, type });
      assert.equal(recorded.status, 201, JSON.stringify(recorded.body));
    }
    const refused = await admin('POST', '/admin/risk/events', { msisdn: '12', type: 'sim_swap' });
    assert.equal(refused.status, 422);
    const wallet = await walletOf(VICTIM, VICTIM_PIN);
    const drain = await send(STRANGER, Math.floor((wallet * 0.9) / 100) * 100);
    assert.equal(drain.ok, false);
    assert.equal(!drain.ok && drain.error, 'blocked');
    assert.equal(await walletOf(VICTIM, VICTIM_PIN), wallet, 'a blocked payment moves nothing');
  });

  it('remembers operator events across a restart', async () => {
    await server!.close();
    server = null;
    await start();
    const stats = await admin('GET', '/admin/risk');
    assert.equal((stats.body.features as { events: number }).events, 2);
    const wallet = await walletOf(VICTIM, VICTIM_PIN);
    const drain = await send(STRANGER, Math.floor((wallet * 0.9) / 100) * 100);
    assert.equal(!drain.ok && drain.error, 'blocked');
  });

  it('swaps the model without a restart and refuses a file that is not a model', async () => {
    const bad = await admin('PUT', '/admin/risk/model', { format: 'something else' });
    assert.equal(bad.status, 422);
    const model = JSON.parse(readFileSync(fileURLToPath(DEFAULT_MODEL_PATH), 'utf8')) as {
      version: string;
    };
    model.version = 'swapped-in-test';
    const swapped = await admin('PUT', '/admin/risk/model', model);
    assert.equal(swapped.status, 200, JSON.stringify(swapped.body));
    assert.equal(swapped.body.modelVersion, 'swapped-in-test');
    assert.equal((await admin('GET', '/admin/risk')).body.modelVersion, 'swapped-in-test');
  });
});
