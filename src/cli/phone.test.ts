// The terminal handset against a real server on loopback: scripted keypresses in, screens out.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { walletId } from '../payments/accounts.ts';
import { availableOf, type World } from '../payments/testing/world.ts';
import { registerUssdRoutes } from '../ussd/routes.ts';
import { ASHA, BARAKA, intl, KES, openUssdWorld } from '../ussd/testing/fixtures.ts';
import { runPhone } from './phone.ts';

const TIMEOUT_MS = 60_000;

let world: World;
let app: FastifyInstance;
let url: string;

before(async () => {
  world = await openUssdWorld();
  app = Fastify({ logger: false });
  registerUssdRoutes(app, { payments: world.payments });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app?.close();
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

  test('a server that is not there ends the session with a connection problem', async () => {
    const screen = await play(['n'], `http://127.0.0.1:${await closedPort()}`);
    assert.match(screen, /Connection problem/);
    assert.match(screen, /Dial again\?/);
  });
});
