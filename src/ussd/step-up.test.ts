// Risk decisions on the handset, end to end over POST /ussd on loopback: a step-up is completed
// with the code the customer receives by SMS (read from the file gateway the dispatcher writes),
// a wrong code moves nothing, and a held payment is shown as pending review, not as confirmed.
// The risk verdict is chosen per amount by the test (the engine's own scores are tested in
// src/risk); everything after it is the real service, ledger, SMS dispatcher and HTTP route.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { walletId } from '../payments/accounts.ts';
import type { RiskVerdict } from '../payments/review.ts';
import { availableOf, type World } from '../payments/testing/world.ts';
import { SESSION_OVER_TEXT } from './menu.ts';
import { USSD_SCREEN_CHARS_MAX } from './model.ts';
import { registerUssdRoutes } from './routes.ts';
import { CODE_SCREEN_TEXT, WRONG_CODE_END_TEXT, WRONG_CODE_TEXT } from './step-up.ts';
import {
  ASHA,
  BARAKA,
  CHEBET,
  DAUDI,
  intl,
  KES,
  LONG,
  openUssdWorld,
  PAYBILL,
  type Person,
} from './testing/fixtures.ts';
import { type SmsSink, startSmsSink } from './testing/sms-sink.ts';

const TIMEOUT_MS = 60_000;
/** Amounts the test's risk verdict steps up or holds; every other amount is allowed. */
const STEP_UP_KES = 333;
const HOLD_KES = 444;

let world: World;
let sink: SmsSink;
let app: FastifyInstance;
let url: string;
let sessions = 0;
const codesSeen = new Map<string, number>();

const verdict = (amountCents: number): RiskVerdict => ({
  action:
    amountCents === KES(STEP_UP_KES) ? 'step_up' : amountCents === KES(HOLD_KES) ? 'hold' : 'allow',
  score: 0.5,
  reasons: [],
  modelVersion: 'test',
});

before(async () => {
  world = await openUssdWorld({ assess: (txn) => verdict(txn.amountCents) });
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

/** One gateway request with the session's inputs so far; the answer's body ('CON …'/'END …'). */
async function post(who: Person, sessionId: string, inputs: string[]): Promise<string> {
  const response = await fetch(`${url}/ussd`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      sessionId,
      serviceCode: '*334#',
      phoneNumber: who.msisdn,
      text: inputs.join('*'),
    }).toString(),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  assert.equal(response.status, 200);
  const text = await response.text();
  // Every screen of these paths fits the telco's limit in plain characters.
  assert.ok(text.length - 4 <= USSD_SCREEN_CHARS_MAX, text);
  assert.match(text, /^(CON|END) [A-Za-z0-9 .,?+\-/\n]*$/);
  return text;
}

/** Every request of a session up to these inputs, as a gateway sends them; the last answer. */
async function dial(who: Person, inputs: string[], sessionId: string): Promise<string> {
  let answer = '';
  for (let n = 0; n <= inputs.length; n++) {
    answer = await post(who, sessionId, inputs.slice(0, n));
    if (n < inputs.length) assert.match(answer, /^CON /, `step ${n}: ${answer}`);
  }
  return answer;
}

/** The next verification code this customer receives. */
async function nextCode(who: Person): Promise<string> {
  const seen = codesSeen.get(who.msisdn) ?? 0;
  codesSeen.set(who.msisdn, seen + 1);
  return sink.codeNumber(intl(who.msisdn), seen);
}

const wallet = (who: Person) => availableOf(world, walletId(intl(who.msisdn)));
const sendTo = (to: Person, kes: number, pin: string) => ['1', to.msisdn, String(kes), '1', pin];
const wrongCode = (code: string) => (code === '000000' ? '111111' : '000000');

describe('USSD step-up and holds', { timeout: TIMEOUT_MS }, () => {
  test('after the PIN a step-up asks for the SMS code; the code commits that exact payment once', async () => {
    const [asha, baraka] = [await wallet(ASHA), await wallet(BARAKA)];
    const session = `su${++sessions}`;
    const inputs = sendTo(BARAKA, STEP_UP_KES, ASHA.pin);
    const challenged = await dial(ASHA, inputs, session);
    assert.equal(challenged, `CON ${CODE_SCREEN_TEXT}\n0 Back 00 Home`);
    assert.equal(await wallet(ASHA), asha, 'nothing moves before the code');
    const code = await nextCode(ASHA);
    const done = await post(ASHA, session, [...inputs, code]);
    assert.match(done, /^END [A-Z0-9]{10} Confirmed\. Ksh333\.00 sent to BARAKA OTIENO 0712000002/);
    const fee = KES(7);
    assert.equal(await wallet(ASHA), asha - KES(STEP_UP_KES) - fee);
    assert.equal(await wallet(BARAKA), baraka + KES(STEP_UP_KES));
    // The telco retries the last request: the same step of the same session is a duplicate.
    const retried = await post(ASHA, session, [...inputs, code]);
    assert.match(retried, /^END Request already received/);
    // An input after the payment ended (no gateway sends one) finds no challenge: nothing runs.
    const stray = await post(ASHA, session, [...inputs, code, '123456']);
    assert.equal(stray, `END ${SESSION_OVER_TEXT}`);
    assert.equal(await wallet(BARAKA), baraka + KES(STEP_UP_KES), 'paid exactly once');
  });

  test('a wrong code refuses cleanly: nothing moves, a new code is sent, and it works', async () => {
    const [chebet, baraka] = [await wallet(CHEBET), await wallet(BARAKA)];
    const session = `su${++sessions}`;
    const inputs = sendTo(BARAKA, STEP_UP_KES, CHEBET.pin);
    await dial(CHEBET, inputs, session);
    const first = await nextCode(CHEBET);
    const wrong = await post(CHEBET, session, [...inputs, wrongCode(first)]);
    assert.equal(wrong, `CON ${WRONG_CODE_TEXT}\n${CODE_SCREEN_TEXT}\n0 Back 00 Home`);
    assert.equal(await wallet(CHEBET), chebet);
    const malformed = await post(CHEBET, session, [...inputs, wrongCode(first), '12']);
    assert.match(malformed, /^CON Code must be 6 digits\n/);
    const second = await nextCode(CHEBET);
    const done = await post(CHEBET, session, [...inputs, wrongCode(first), '12', second]);
    assert.match(done, /^END [A-Z0-9]{10} Confirmed\. Ksh333\.00 sent to BARAKA OTIENO/);
    assert.equal(await wallet(BARAKA), baraka + KES(STEP_UP_KES));
  });

  test('three wrong codes end the session with nothing paid; the old code does not work later', async () => {
    const daudi = await wallet(DAUDI);
    const session = `su${++sessions}`;
    const inputs = sendTo(BARAKA, STEP_UP_KES, DAUDI.pin);
    await dial(DAUDI, inputs, session);
    const typed: string[] = [];
    for (let entry = 1; entry <= 3; entry++) {
      typed.push(wrongCode(await nextCode(DAUDI)));
      const answer = await post(DAUDI, session, [...inputs, ...typed]);
      if (entry < 3) assert.match(answer, /^CON Wrong code/);
      else assert.equal(answer, `END ${WRONG_CODE_END_TEXT}`);
    }
    assert.equal(await wallet(DAUDI), daudi);
    // The service answered the third wrong code with a fourth code, which this session won't use.
    await nextCode(DAUDI);
    // A new session starts over: the PIN again, a fresh challenge; a code typed without one fails.
    const other = `su${++sessions}`;
    const stale = await post(DAUDI, other, ['6', '1', DAUDI.pin, '123456']);
    assert.equal(stale, `END ${SESSION_OVER_TEXT}`);
    const fresh = await dial(DAUDI, inputs, other);
    assert.equal(fresh, `CON ${CODE_SCREEN_TEXT}\n0 Back 00 Home`);
    const code = await nextCode(DAUDI);
    assert.match(await post(DAUDI, other, [...inputs, code]), /^END [A-Z0-9]{10} Confirmed/);
    assert.equal(await wallet(DAUDI), daudi - KES(STEP_UP_KES) - KES(7));
  });

  test('a code step without a live challenge in this session does nothing', async () => {
    const asha = await wallet(ASHA);
    const session = `su${++sessions}`;
    // An allowed payment ends at the PIN; an input after it reaches the code screen's replay.
    const inputs = sendTo(BARAKA, 100, ASHA.pin);
    assert.match(await dial(ASHA, inputs, session), /^END [A-Z0-9]{10} Confirmed/);
    const after = await wallet(ASHA);
    assert.equal(after, asha - KES(100));
    assert.equal(await post(ASHA, session, [...inputs, '123456']), `END ${SESSION_OVER_TEXT}`);
    assert.equal(await wallet(ASHA), after);
  });

  test('a held payment is shown as pending review, never as confirmed', async () => {
    const asha = await wallet(ASHA);
    const sent = await dial(ASHA, sendTo(BARAKA, HOLD_KES, ASHA.pin), `su${++sessions}`);
    assert.match(
      sent,
      /^END [A-Z0-9]{10} Pending\. Ksh444\.00 to BARAKA OTIENO 0712000002 is on hold for a security review\. You will get an SMS when it is complete$/,
    );
    assert.doesNotMatch(sent, /Confirmed|sent to|paid to/);
    assert.equal(await wallet(ASHA), asha - KES(HOLD_KES) - KES(7), 'reserved, as held');
    const bill = await dial(
      ASHA,
      ['5', '1', PAYBILL, 'ACC1', String(HOLD_KES), '1', ASHA.pin],
      `su${++sessions}`,
    );
    assert.match(bill, /^END [A-Z0-9]{10} Pending\. Ksh444\.00 to KENYA POWER is on hold/);
    assert.doesNotMatch(bill, /Confirmed/);
    // The longest payee name and a large amount still fit the screen (checked in `post`).
    const long = await dial(ASHA, sendTo(LONG, HOLD_KES, ASHA.pin), `su${++sessions}`);
    assert.match(
      long,
      new RegExp(`^END [A-Z0-9]{10} Pending\\. Ksh444\\.00 to ${'W'.repeat(40)} `),
    );
    assert.equal(world.payments.heldTransactions().length, 3);
  });
});
