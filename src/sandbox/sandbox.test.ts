// The sandbox as a developer meets it after `npm start`, over HTTP: the risk engine in shadow
// (decisions recorded and shown in the portal, none enforced), trigger amounts that force each
// risk outcome and each STK failure result, and a balance refusal said as such before any fraud
// decision.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  accessToken,
  darajaCall,
  type Receiver,
  startReceiver,
  stkAuth,
  waitFor,
} from '../daraja/platform/testing/harness.ts';
import { DECISION_STREAM } from '../payments/review.ts';
import { type RunningServer, startServer } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { RISK_TRIGGER_AMOUNTS_KES, STK_TRIGGER_AMOUNTS_KES } from './triggers.ts';

const TOKEN = 'sandbox-test-admin-token';
const KES = 100;
const GRACE = { msisdn: '0711000333', intl: '254711000333', pin: '6048' }; // KES 40,000
const JOHN = { msisdn: '0712345678', intl: '254712345678', pin: '4826' }; // KES 25,000
const SAMUEL = { msisdn: '0708000444', intl: '254708000444', pin: '9318' }; // KES 500
const MARY = '0722000111';
const STRANGER = '0733000222';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function client(server: RunningServer) {
  let key = 0;
  const admin = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const pay = (path: string, who: { msisdn: string; pin: string }, fields: object) =>
    admin('POST', `/admin/transactions/${path}`, {
      from: who.msisdn,
      pin: who.pin,
      requestId: `sandbox-test-${key++}`,
      ...fields,
    });
  const balance = async (msisdn: string) => {
    const answer = await admin('GET', `/admin/ledger/accounts/wallet:${msisdn}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const a = answer.body as Record<string, number>;
    return a.creditsPosted - a.debitsPosted - a.debitsPending;
  };
  const decisionOf = async (receipt: string) => {
    const records = await server.ledger.latestRecords(DECISION_STREAM, 50);
    const found = records.find((r) => r.key === receipt);
    return found === undefined ? null : (JSON.parse(found.body) as Record<string, unknown>);
  };
  return { admin, pay, balance, decisionOf };
}

/** One USSD session of Africa's Talking's shape, input by input; the last screen. */
async function ussd(server: RunningServer, phoneNumber: string, inputs: string[]) {
  let body = '';
  for (let n = 0; n <= inputs.length; n++) {
    const form = new URLSearchParams({
      sessionId: `sandbox-${phoneNumber}-${inputs.join('-')}`,
      serviceCode: '*334#',
      networkCode: 'Safaricom',
      phoneNumber,
      text: inputs.slice(0, n).join('*'),
    });
    const response = await fetch(`${server.url}/ussd`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    body = await response.text();
  }
  return body;
}

describe('the sandbox server (default settings)', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'malipo-sandbox-'));
  let server: RunningServer;
  let receiver: Receiver;
  let c: ReturnType<typeof client>;
  before(async () => {
    const config = loadConfig({ dataDir, port: 0, seedDemo: true }, { MALIPO_ADMIN_TOKEN: TOKEN });
    assert.equal(config.riskMode, 'shadow', 'the sandbox scores in shadow by default');
    server = await startServer(config);
    receiver = await startReceiver();
    c = client(server);
  });
  after(async () => {
    await receiver?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records a decision the engine would enforce, marked shadow, and lets the payment through', async () => {
    for (const type of ['sim_swap', 'device_change']) {
      const recorded = await c.admin('POST', '/admin/risk/events', { msisdn: JOHN.msisdn, type });
      assert.equal(recorded.status, 201, JSON.stringify(recorded.body));
    }
    const wallet = await c.balance(JOHN.intl);
    // The same drain the enforcing server blocks (src/risk/server.test.ts).
    const amountCents = Math.floor((wallet * 0.9) / 100) * 100;
    const drain = await c.pay('send-money', JOHN, { to: STRANGER, amountCents });
    assert.equal(drain.status, 200, JSON.stringify(drain.body));
    const receipt = (drain.body.receipt as { receipt: string }).receipt;
    assert.ok((await c.balance(JOHN.intl)) < wallet - amountCents + 1, 'the money moved');
    const decision = await c.decisionOf(receipt);
    assert.equal(decision?.action, 'block');
    assert.equal(decision?.shadow, true);
  });

  it('forces step-up, hold and block with the trigger amounts, even in shadow', async () => {
    const before = await c.balance(GRACE.intl);
    const stepUp = await c.pay('send-money', GRACE, {
      to: MARY,
      amountCents: RISK_TRIGGER_AMOUNTS_KES.step_up * KES,
    });
    assert.equal(stepUp.body.error, 'step_up_required', JSON.stringify(stepUp.body));
    const blocked = await c.pay('buy-goods', GRACE, {
      tillNumber: '512345',
      amountCents: RISK_TRIGGER_AMOUNTS_KES.block * KES,
    });
    assert.equal(blocked.body.error, 'blocked', JSON.stringify(blocked.body));
    assert.equal(await c.balance(GRACE.intl), before, 'neither moved money');
    const held = await c.pay('paybill', GRACE, {
      shortcode: '888880',
      accountReference: 'ACC1',
      amountCents: RISK_TRIGGER_AMOUNTS_KES.hold * KES,
    });
    assert.equal(held.status, 200, JSON.stringify(held.body));
    const receipt = held.body.receipt as { receipt: string; status: string };
    assert.equal(receipt.status, 'held');
    const reviews = await c.admin('GET', '/admin/reviews');
    const queued = (reviews.body.held as { receipt: string }[]).map((h) => h.receipt);
    assert.ok(queued.includes(receipt.receipt), 'the held payment waits in the review queue');
    const decision = await c.decisionOf(receipt.receipt);
    assert.equal(decision?.rule, 'sandbox-trigger');
    assert.equal(decision?.shadow, undefined, 'a trigger is enforced');
  });

  it('says insufficient funds, not a fraud decision, when the balance does not cover it', async () => {
    const blockedAmount = RISK_TRIGGER_AMOUNTS_KES.block * KES;
    const refused = await c.pay('send-money', SAMUEL, { to: MARY, amountCents: blockedAmount });
    assert.equal(refused.body.error, 'insufficient_funds', JSON.stringify(refused.body));
    const screen = await ussd(server, SAMUEL.intl, [
      '1',
      MARY,
      String(RISK_TRIGGER_AMOUNTS_KES.step_up),
      '1',
      SAMUEL.pin,
    ]);
    assert.match(screen, /^END Failed\. Insufficient funds/);
    assert.equal(await c.balance(SAMUEL.intl), 500 * KES);
    // A business paying out more than its utility account holds hears that too.
    const payout = await c.admin('POST', '/admin/transactions/b2c', {
      shortcode: '888880',
      to: MARY,
      amountCents: RISK_TRIGGER_AMOUNTS_KES.block * KES,
    });
    assert.equal(payout.body.error, 'insufficient_funds', JSON.stringify(payout.body));
    assert.match(String(payout.body.message), /utility account/);
  });

  it('answers STK pushes for the trigger amounts with the matching failure result', async () => {
    const sandbox = server.darajaSandbox!;
    const token = await accessToken(server, sandbox.consumerKey, sandbox.consumerSecret);
    const call = darajaCall(server, token);
    const expected: [number, number][] = [
      [STK_TRIGGER_AMOUNTS_KES.insufficient_funds, 1],
      [STK_TRIGGER_AMOUNTS_KES.wrong_pin, 2001],
      [STK_TRIGGER_AMOUNTS_KES.unreachable, 1037],
      [STK_TRIGGER_AMOUNTS_KES.cancel, 1032],
    ];
    const customer = sandbox.testCustomers[0]!.msisdn;
    const before = await c.balance(customer);
    for (const [i, [amountKes, resultCode]] of expected.entries()) {
      const path = `/stk/${amountKes}`;
      const push = await call('/mpesa/stkpush/v1/processrequest', {
        BusinessShortCode: sandbox.shortcode,
        ...stkAuth(sandbox.shortcode, sandbox.passkey),
        TransactionType: 'CustomerPayBillOnline',
        Amount: amountKes,
        PartyA: customer,
        PartyB: sandbox.shortcode,
        PhoneNumber: customer,
        CallBackURL: `${receiver.url}${path}`,
        AccountReference: `T${i}`,
        TransactionDesc: 'trigger',
      });
      assert.equal(push.status, 200, JSON.stringify(push.body));
      const [callback] = await receiver.waitFor(path);
      const result = (callback!.body as { Body: { stkCallback: { ResultCode: number } } }).Body
        .stkCallback;
      assert.equal(result.ResultCode, resultCode, `KES ${amountKes}`);
    }
    assert.equal(await c.balance(customer), before, 'no trigger moved money');
  });

  it('shows the app its risk decisions in the portal, shadow or enforced', async () => {
    const sandbox = server.darajaSandbox!;
    // A C2B payment to the sandbox paybill, scored in shadow.
    const paid = await c.pay('paybill', GRACE, {
      shortcode: sandbox.shortcode,
      accountReference: 'INV1',
      amountCents: 300 * KES,
    });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    const receipt = (paid.body.receipt as { receipt: string }).receipt;
    const email = 'dev@example.test';
    const signup = await fetch(`${server.url}/portal/api/developers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'a long sandbox password' }),
    });
    assert.equal(signup.status, 201);
    const session = (await (
      await fetch(`${server.url}/portal/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'a long sandbox password' }),
      })
    ).json()) as { token: string };
    const auth = { authorization: `Bearer ${session.token}` };
    const created = (await (
      await fetch(`${server.url}/portal/api/apps`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Shadow viewer' }),
      })
    ).json()) as { appId: string };
    const listed = await waitFor('the decision in the portal', async () => {
      const answer = await fetch(`${server.url}/portal/api/apps/${created.appId}/risk-decisions`, {
        headers: auth,
      });
      assert.equal(answer.status, 200);
      const { decisions } = (await answer.json()) as { decisions: Record<string, unknown>[] };
      return decisions.find((d) => d.receipt === receipt);
    });
    assert.equal(listed.enforced, false);
    assert.equal(listed.to, sandbox.shortcode);
    assert.match(String(listed.action), /^(allow|step_up|hold|block)$/);
    const stranger = await fetch(`${server.url}/portal/api/apps/nope/risk-decisions`, {
      headers: auth,
    });
    assert.equal(stranger.status, 404);
  });
});

describe('the portal documents the trigger amounts', () => {
  it('lists every trigger with the amount the server honours', () => {
    const html = readFileSync(new URL('../portal/static/index.html', import.meta.url), 'utf8');
    const table = { ...RISK_TRIGGER_AMOUNTS_KES, ...STK_TRIGGER_AMOUNTS_KES };
    const rows = [...html.matchAll(/data-trigger="(\w+)"><td>(\d+)<\/td>/g)];
    assert.deepEqual(Object.fromEntries(rows.map(([, name, kes]) => [name, Number(kes)])), table);
  });
});

/** Today at this local (Nairobi) hour: the fraud model weighs the time of day, so tests pin it. */
function localHourToday(hour: number): number {
  const offsetMs = 3 * 3_600_000;
  const dayMs = 86_400_000;
  return Math.floor((Date.now() + offsetMs) / dayMs) * dayMs - offsetMs + hour * 3_600_000;
}

describe('the demo world under --risk enforce', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'malipo-enforce-'));
  let server: RunningServer;
  let c: ReturnType<typeof client>;
  before(async () => {
    const config = loadConfig(
      { dataDir, port: 0, seedDemo: true, riskMode: 'enforce' },
      { MALIPO_ADMIN_TOKEN: TOKEN },
    );
    assert.equal(config.riskMode, 'enforce');
    // A clock that runs from 10:00 local today, so the model sees a morning, whenever this runs.
    const startMs = Date.now();
    const pinnedMs = localHourToday(10);
    server = await startServer(config, { clock: { nowMs: () => pinnedMs + Date.now() - startMs } });
    c = client(server);
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("allows the demo customers' ordinary payments", async () => {
    // The demo's customers are customers of some years' standing, not accounts opened just now.
    for (const who of [JOHN.msisdn, MARY, GRACE.msisdn]) {
      const found = server.payments.customer(who);
      assert.ok(found.ok);
      assert.ok(found.customer.registeredAtMs < server.payments.context.now() - 365 * 86_400_000);
    }
    const bill = await c.pay('paybill', JOHN, {
      shortcode: '888880',
      accountReference: '12345678',
      amountCents: 500 * KES,
    });
    assert.equal(bill.status, 200, JSON.stringify(bill.body));
    const sent = await c.pay(
      'send-money',
      { msisdn: MARY, pin: '7395' },
      {
        to: STRANGER,
        amountCents: 200 * KES,
      },
    );
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const goods = await c.pay('buy-goods', GRACE, { tillNumber: '512345', amountCents: 100 * KES });
    assert.equal(goods.status, 200, JSON.stringify(goods.body));
    for (const answer of [bill, sent, goods]) {
      const { receipt } = answer.body.receipt as { receipt: string };
      const decision = await c.decisionOf(receipt);
      assert.equal(decision?.action, 'allow', JSON.stringify(decision));
      assert.equal(decision?.shadow, undefined, 'enforced, not shadow');
    }
  });

  it('says insufficient funds to a customer whose balance cannot cover the payment and its fee', async () => {
    // Samuel has KES 500: a KES 500 bill costs 505 with its fee; the model alone would step up.
    const bill = await c.pay('paybill', SAMUEL, {
      shortcode: '888880',
      accountReference: '12345678',
      amountCents: 500 * KES,
    });
    assert.equal(bill.body.error, 'insufficient_funds', JSON.stringify(bill.body));
    const screen = await ussd(server, SAMUEL.intl, ['1', MARY, '495', '1', SAMUEL.pin]);
    assert.match(screen, /^END Failed\. Insufficient funds/);
    assert.equal(await c.balance(SAMUEL.intl), 500 * KES);
  });
});
