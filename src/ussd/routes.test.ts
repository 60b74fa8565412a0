// POST /ussd over real HTTP on loopback, as an Africa's Talking-style gateway calls it: form
// fields, the whole '*'-joined text on every step, text/plain CON/END answers, always HTTP 200.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { walletId } from '../payments/accounts.ts';
import { availableOf, type World } from '../payments/testing/world.ts';
import { USSD_SCREEN_CHARS_MAX } from './model.ts';
import { registerUssdRoutes, USSD_BODY_BYTES_MAX } from './routes.ts';
import { ASHA, BARAKA, intl, KES, openUssdWorld, UNREGISTERED } from './testing/fixtures.ts';

const TIMEOUT_MS = 60_000;
const SERVICE_CODE = '*334#';

let world: World;
let app: FastifyInstance;
let url: string;

before(async () => {
  world = await openUssdWorld();
  app = Fastify({ logger: false });
  registerUssdRoutes(app, { payments: world.payments, serviceCode: SERVICE_CODE });
  // A route outside the USSD scope: the form parser must not leak to it.
  app.post('/elsewhere', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app?.close();
  await world?.close();
});

interface Answer {
  status: number;
  type: string;
  body: string;
}

async function post(body: string, contentType: string, path = '/ussd'): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

/** One gateway step: every field as Africa's Talking sends it. */
async function step(fields: Record<string, string>): Promise<Answer> {
  const form = new URLSearchParams({
    serviceCode: SERVICE_CODE,
    networkCode: 'Safaricom',
    ...fields,
  });
  const answer = await post(form.toString(), 'application/x-www-form-urlencoded');
  assert.equal(answer.status, 200, answer.body);
  assert.match(answer.type, /^text\/plain/);
  assert.match(answer.body, /^(CON|END) /);
  assert.ok(answer.body.length - 4 <= USSD_SCREEN_CHARS_MAX, answer.body);
  return answer;
}

describe('POST /ussd', { timeout: TIMEOUT_MS }, () => {
  test('the first request (empty text) gets the main menu as CON', async () => {
    const answer = await step({ sessionId: 'r1', phoneNumber: `+${intl(ASHA.msisdn)}`, text: '' });
    assert.match(answer.body, /^CON M-PESA\n1 Send Money\n2 Withdraw Cash/);
  });

  test('a whole send-money session, one form post per input, ends with END and moves the money', async () => {
    const inputs = ['1', BARAKA.msisdn, '700', '1', ASHA.pin];
    const asha = await availableOf(world, walletId(intl(ASHA.msisdn)));
    const bodies: string[] = [];
    for (let n = 0; n <= inputs.length; n++) {
      const answer = await step({
        sessionId: 'r2',
        phoneNumber: `+${intl(ASHA.msisdn)}`,
        text: inputs.slice(0, n).join('*'),
      });
      bodies.push(answer.body);
    }
    assert.ok(
      bodies.slice(0, -1).every((b) => b.startsWith('CON ')),
      bodies.join('|'),
    );
    assert.match(bodies[3], /^CON Send Ksh700\.00 to BARAKA OTIENO 0712000002\?/);
    assert.match(bodies[5], /^END [A-Z0-9]{10} Confirmed\. Ksh700\.00 sent to BARAKA OTIENO/);
    assert.equal(await availableOf(world, walletId(intl(ASHA.msisdn))), asha - KES(700) - KES(13));
  });

  test('JSON bodies are accepted too', async () => {
    const answer = await post(
      JSON.stringify({ sessionId: 'r3', phoneNumber: ASHA.msisdn, text: '6' }),
      'application/json',
    );
    assert.equal(answer.status, 200);
    assert.match(answer.body, /^CON My Account\n1 Balance/);
  });

  test('an unregistered number gets END with HTTP 200', async () => {
    const answer = await step({ sessionId: 'r4', phoneNumber: UNREGISTERED, text: '' });
    assert.equal(answer.body, 'END You are not registered for M-PESA');
  });

  test('missing fields get END with the reason, HTTP 200, so the gateway shows it', async () => {
    const noPhone = await step({ sessionId: 'r5', text: '' });
    assert.equal(noPhone.body, 'END Invalid request. phoneNumber is missing');
    const noSession = await step({ phoneNumber: ASHA.msisdn, text: '' });
    assert.equal(noSession.body, 'END Invalid request. sessionId is missing');
    const json = await post(JSON.stringify([1, 2]), 'application/json');
    assert.equal(json.status, 200);
    assert.equal(json.body, 'END Invalid request. No form fields');
  });

  test('another service code is refused', async () => {
    const answer = await step({
      sessionId: 'r6',
      phoneNumber: ASHA.msisdn,
      text: '',
      serviceCode: '*123#',
    });
    assert.equal(answer.body, 'END Unknown service code *123#');
  });

  test('bodies that cannot be parsed still get END with HTTP 200', async () => {
    const big = await post(
      `sessionId=r7&phoneNumber=${ASHA.msisdn}&text=${'1'.repeat(USSD_BODY_BYTES_MAX)}`,
      'application/x-www-form-urlencoded',
    );
    assert.equal(big.status, 200);
    assert.equal(big.body, 'END Invalid request');
    const broken = await post('{"sessionId":', 'application/json');
    assert.equal(broken.status, 200);
    assert.equal(broken.body, 'END Invalid request');
    const plain = await post('hello', 'text/csv');
    assert.equal(plain.status, 200);
    assert.equal(plain.body, 'END Invalid request');
  });

  test('the form parser is scoped to the USSD route', async () => {
    const answer = await post('a=1', 'application/x-www-form-urlencoded', '/elsewhere');
    assert.equal(answer.status, 415);
  });
});
