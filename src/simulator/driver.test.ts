import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TransactionRecord } from '../payments/chains.ts';
import { registerPaymentsAdminRoutes } from '../payments/routes.ts';
import { openWorld, type World } from '../payments/testing/world.ts';
import { registerUssdRoutes } from '../ussd/routes.ts';
import { createAdminClient, RISK_EVENTS_PATH } from './channels/admin.ts';
import { runUssdSession, ussdInputs } from './channels/ussd.ts';
import { runDriver } from './driver.ts';
import { DEFAULT_START_MS, populationOf } from './generator.ts';
import { setupPopulation } from './setup.ts';

const timeout = 180_000;
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

/** A stand-in USSD gateway endpoint: records every request, answers like the menu would. */
async function fakeUssd(answer: (text: string, step: number) => string) {
  const requests: { contentType: string; fields: Record<string, string> }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const fields = Object.fromEntries(new URLSearchParams(body));
      requests.push({ contentType: String(req.headers['content-type']), fields });
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(answer(fields.text ?? '', requests.length - 1));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => server.close() };
}

describe("USSD channel (Africa's Talking convention)", () => {
  const msisdn = '254712000001';
  const inputs = ussdInputs(
    { kind: 'send_money', from: msisdn, to: '254712000002', amountCents: 150_000 },
    '4829',
  )!;

  test('walks a session one POST per step, text growing by *-joined inputs', {
    timeout,
  }, async () => {
    const gateway = await fakeUssd((text) =>
      text.split('*').length === inputs.length && text !== ''
        ? 'END QAZ1234567 Confirmed. Ksh1,500.00 sent'
        : `CON screen for '${text}'`,
    );
    try {
      const result = await runUssdSession({
        url: gateway.url,
        msisdn,
        sessionId: 'sess-1',
        inputs,
      });
      assert.deepEqual(inputs, ['1', '0712000002', '1500', '1', '4829']);
      assert.deepEqual(result, {
        kind: 'ok',
        receipt: 'QAZ1234567',
        text: 'QAZ1234567 Confirmed. Ksh1,500.00 sent',
        requestKey: `ussd:${msisdn}:sess-1:5`,
      });
      assert.deepEqual(
        gateway.requests.map((r) => r.fields.text),
        [
          '',
          '1',
          '1*0712000002',
          '1*0712000002*1500',
          '1*0712000002*1500*1',
          '1*0712000002*1500*1*4829',
        ],
      );
      for (const r of gateway.requests) {
        assert.equal(r.contentType, 'application/x-www-form-urlencoded');
        assert.deepEqual(Object.keys(r.fields).sort(), [
          'networkCode',
          'phoneNumber',
          'serviceCode',
          'sessionId',
          'text',
        ]);
        assert.deepEqual(
          [r.fields.sessionId, r.fields.phoneNumber, r.fields.serviceCode],
          ['sess-1', `+${msisdn}`, '*334#'],
        );
      }
    } finally {
      gateway.close();
    }
  });

  test('a payment held for review is accepted with its receipt; a step-up code screen is not', {
    timeout,
  }, async () => {
    const last = (text: string) => text.split('*').length === inputs.length && text !== '';
    const held = await fakeUssd((text) =>
      last(text) ? 'END QAZ7654321 Pending. Ksh1,500.00 to X is on hold' : 'CON Menu',
    );
    const stepUp = await fakeUssd((text) =>
      last(text) ? 'CON For your security, enter the code we sent you by SMS' : 'CON Menu',
    );
    try {
      const accepted = await runUssdSession({ url: held.url, msisdn, sessionId: 's5', inputs });
      assert.deepEqual(
        [accepted.kind, accepted.kind === 'ok' && accepted.receipt],
        ['ok', 'QAZ7654321'],
      );
      const asked = await runUssdSession({ url: stepUp.url, msisdn, sessionId: 's6', inputs });
      assert.equal(asked.kind, 'refused');
    } finally {
      held.close();
      stepUp.close();
    }
  });

  test('a screen asked again, an early END and a non-200 are not successes', {
    timeout,
  }, async () => {
    const retry = await fakeUssd((text, step) =>
      step === 2 ? `CON Unknown number\nCON screen for '1'` : `CON screen for '${text}'`,
    );
    const early = await fakeUssd((_text, step) =>
      step === 1 ? 'END You are not registered for M-PESA' : 'CON Menu',
    );
    try {
      const asked = await runUssdSession({ url: retry.url, msisdn, sessionId: 's2', inputs });
      assert.equal(asked.kind, 'refused');
      assert.equal(
        retry.requests.length,
        3,
        'the customer gives up rather than type into the wrong screen',
      );
      const ended = await runUssdSession({ url: early.url, msisdn, sessionId: 's3', inputs });
      assert.deepEqual([ended.kind, early.requests.length], ['refused', 2]);
      const down = await runUssdSession({
        url: 'http://127.0.0.1:9',
        msisdn,
        sessionId: 's4',
        inputs,
      });
      assert.equal(down.kind, 'error');
    } finally {
      retry.close();
      early.close();
    }
  });
});

describe('driver against the real USSD menu and admin API', () => {
  const adminToken = 'driver-test-token';
  let world: World;
  let app: FastifyInstance;
  let url = '';
  const events: unknown[] = [];

  before(async () => {
    world = await openWorld({ checkInvariants: false });
    app = Fastify({ logger: false });
    registerUssdRoutes(app, { payments: world.payments });
    registerPaymentsAdminRoutes(app, { payments: world.payments, adminToken });
    // Stands in for the lead's operator-event endpoint until it lands in the server.
    app.post(RISK_EVENTS_PATH, async (request) => {
      events.push(request.body);
      return { ok: true };
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await app.close();
    await world.close();
  });

  test('sets up the population, drives it through USSD, and labels what the platform committed', {
    timeout,
  }, async () => {
    const config = { seed: 5, customers: 200, startMs: DEFAULT_START_MS };
    const population = populationOf({ ...config, days: 1 });
    const setup = await setupPopulation({
      admin: createAdminClient(url, adminToken),
      population,
      concurrency: 16,
      log: () => {},
    });
    assert.deepEqual([setup.errors, setup.refused], [0, 0], setup.firstProblem ?? '');
    const again = await setupPopulation({
      admin: createAdminClient(url, adminToken),
      population,
      concurrency: 16,
      log: () => {},
    });
    assert.equal(again.ok, setup.ok, 'a second set-up finds everything done');

    const dir = await mkdtemp(join(tmpdir(), 'malipo-driver-'));
    try {
      const labelsPath = join(dir, 'labels.jsonl');
      const summary = await runDriver({
        ...config,
        url,
        ratePerSecond: 40,
        durationSeconds: 5,
        concurrency: 16,
        adminToken,
        labelsPath,
        daraja: 'off',
        fraudScale: 40,
        // The evening, when takeovers (a SIM swap first) are most frequent.
        skipHours: 17,
        progress: quiet,
        log: () => {},
      });
      assert.ok(summary.sent >= 50, `sent ${summary.sent}`);
      assert.equal(summary.errors, 0);
      assert.ok(
        summary.refused <= summary.sent * 0.1,
        `refused ${summary.refused} of ${summary.sent}`,
      );

      const records = await world.ledger.readRecords('txn', 0, 100_000);
      const committed = new Map(
        records.map((r) => {
          const txn = JSON.parse(r.body) as TransactionRecord;
          return [txn.requestKey, txn] as const;
        }),
      );
      const ussd = [...committed.values()].filter((txn) => txn.channel === 'ussd');
      assert.ok(ussd.length >= 20, `${ussd.length} USSD transactions committed`);

      const labels = (await readFile(labelsPath, 'utf8'))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
      assert.ok(labels.length > 0, 'fraud was injected and labelled');
      for (const label of labels.filter((l) => l.outcome === 'ok' && l.requestKey !== null)) {
        const txn = committed.get(label.requestKey);
        assert.ok(txn !== undefined, `label ${label.requestKey} names a committed transaction`);
        if (label.receipt !== null) assert.equal(txn.receipt, label.receipt);
      }
      // The platform never sees a label: no committed record mentions a typology.
      for (const r of records) assert.ok(!/typology|sim_swap_ato|mule/.test(r.body));
      for (const event of events)
        assert.ok(['sim_swap', 'device_change'].includes((event as { type: string }).type));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
