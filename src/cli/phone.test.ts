// The terminal handset against a real server on loopback: scripted keypresses in, screens out.

import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { waitFor } from '../outbox/testing/harness.ts';
import { walletId } from '../payments/accounts.ts';
import { availableOf, type World } from '../payments/testing/world.ts';
import { registerUssdRoutes } from '../ussd/routes.ts';
import { ASHA, BARAKA, intl, KES, openUssdWorld } from '../ussd/testing/fixtures.ts';
import { type SmsSink, startSmsSink } from '../ussd/testing/sms-sink.ts';
import { runPhone, SmsInbox } from './phone.ts';

const TIMEOUT_MS = 60_000;

/** The amount the test's risk verdict steps up (every other amount is allowed). */
const STEP_UP_KES = 333;

let world: World;
let sink: SmsSink;
let app: FastifyInstance;
let url: string;

before(async () => {
  world = await openUssdWorld({
    assess: (txn) => ({
      action: txn.amountCents === KES(STEP_UP_KES) ? 'step_up' : 'allow',
      score: 0.5,
      reasons: [],
    }),
  });
  sink = await startSmsSink(world);
  app = Fastify({ logger: false });
  registerUssdRoutes(app, { payments: world.payments });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app?.close();
  await sink?.close();
  await world?.close();
});

/** Runs the handset with these lines typed (then the keyboard closes) and returns the screen output. */
async function play(lines: string[], target = url): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  input.end(lines.map((line) => `${line}\n`).join(''));
  await runPhone({ msisdn: ASHA.msisdn, url: target, input, output });
  return Buffer.concat(chunks).toString('utf8');
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const asha = () => availableOf(world, walletId(intl(ASHA.msisdn)));

describe('malipo phone', { timeout: TIMEOUT_MS }, () => {
  test('dials, shows each screen, sends what is typed, and dials again on request', async () => {
    const before = await asha();
    const send = ['1', BARAKA.msisdn, '100', '1', ASHA.pin];
    const screen = await play([...send, 'y', ...send, 'y', '6', '1', ASHA.pin, 'n']);
    assert.equal(screen.match(/Dialling \*334# from 0712000001/g)?.length, 3);
    assert.match(screen, /M-PESA\n1 Send Money\n2 Withdraw Cash/);
    assert.match(screen, /Send Ksh100\.00 to BARAKA OTIENO 0712000002\?/);
    // Each dial is a new session: the same inputs twice are two payments, not a duplicate.
    assert.equal(screen.match(/Confirmed\. Ksh100\.00 sent to BARAKA OTIENO/g)?.length, 2);
    assert.doesNotMatch(screen, /already received/);
    assert.equal(await asha(), before - 2 * KES(100));
    assert.match(screen, /Your M-PESA balance is Ksh[0-9,.]+\n/);
    assert.equal(screen.match(/Dial again\? \(y\/n\)/g)?.length, 3);
  });

  test('stops when the keyboard closes mid-session', async () => {
    const screen = await play(['6']);
    assert.match(screen, /My Account\n1 Balance/);
    assert.doesNotMatch(screen, /Dial again/);
  });

  test('invalid input shows the error line from the server', async () => {
    const screen = await play(['9', '6', '1', '12', '0', '00', 'n']);
    assert.match(screen, /Invalid choice\nM-PESA/);
    assert.match(screen, /PIN must be 4 digits\nEnter M-PESA PIN/);
  });

  test('a step-up: the one-time code arrives as an SMS on the handset and typing it pays', async () => {
    const baraka = () => availableOf(world, walletId(intl(BARAKA.msisdn)));
    const [ashaBefore, barakaBefore] = [await asha(), await baraka()];
    const input = new PassThrough();
    const output = new PassThrough();
    let screen = '';
    output.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8');
    });
    input.write(['1', BARAKA.msisdn, String(STEP_UP_KES), '1', ASHA.pin, ''].join('\n'));
    const running = runPhone({ msisdn: ASHA.msisdn, url, smsFile: sink.path, input, output });
    // Only what the handset showed: the code screen, then the SMS with the code.
    const code = await waitFor('the code shown on the handset', () => {
      if (!/enter the code we sent you by SMS/.test(screen)) return undefined;
      return /SMS from M-PESA: Your M-PESA verification code is (\d{6})/.exec(screen)?.[1];
    });
    assert.equal(await asha(), ashaBefore, 'nothing paid before the code');
    input.write(`${code}\n`);
    // The confirmation SMS reaches the handset while it asks whether to dial again.
    await waitFor('the confirmation SMS on the handset', () =>
      /SMS from M-PESA: [A-Z0-9]{10} Confirmed\. Ksh333\.00 sent to BARAKA OTIENO/.test(screen),
    );
    input.end('n\n');
    await running;
    assert.match(screen, /Confirmed\. Ksh333\.00 sent to BARAKA OTIENO 0712000002/);
    assert.equal(await baraka(), barakaBefore + KES(STEP_UP_KES));
    assert.equal(await asha(), ashaBefore - KES(STEP_UP_KES) - KES(7));
  });

  test('the SMS inbox shows only new whole lines addressed to this number, in any prefix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'malipo-phone-sms-'));
    const path = join(dir, 'sms.jsonl');
    const line = (to: string, text: string) => `${JSON.stringify({ id: text, to, text })}\n`;
    try {
      writeFileSync(path, line('254712000001', 'old'));
      const inbox = await SmsInbox.open(path);
      appendFileSync(path, line('254712000001', 'one') + line('254712000002', 'not mine'));
      appendFileSync(path, `${line('+254712000001', 'two')}{"to":"254712000001","text":"ha`);
      assert.deepEqual(await inbox.newFor('0712000001'), ['one', 'two']);
      appendFileSync(path, 'lf"}\n');
      assert.deepEqual(await inbox.newFor('+254712000001'), ['half']);
      assert.deepEqual(await inbox.newFor('0712000001'), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a server that is not there ends the session with a connection problem', async () => {
    const screen = await play(['n'], `http://127.0.0.1:${await closedPort()}`);
    assert.match(screen, /Connection problem/);
    assert.match(screen, /Dial again\?/);
  });
});
