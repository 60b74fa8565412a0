// Statements through risk holds, over real HTTP on loopback: the admin API's review decisions
// (release, reject, with no body at all) and statements (JSON, CSV), and the USSD mini
// statement, on a real ledger. One row per business transaction with its principal, fee, type
// and status; running balances that add up; the decision answers the new status.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { TransferFlags } from '../ledger/model.ts';
import { sleep } from '../outbox/testing/harness.ts';
import { registerUssdRoutes } from '../ussd/routes.ts';
import {
  ASHA,
  BARAKA,
  CHEBET,
  DAUDI,
  ESTHER,
  intl,
  KES,
  openUssdWorld,
  type Person,
} from '../ussd/testing/fixtures.ts';
import { TRANSACTION_TYPE_NUMBERS, TransferCode, walletId } from './accounts.ts';
import type { Receipt } from './model.ts';
import { registerPaymentsAdminRoutes } from './routes.ts';
import { startPayments } from './service.ts';
import type { StatementRow } from './statements.ts';
import { availableOf, type World } from './testing/world.ts';

const TIMEOUT_MS = 60_000;
const TOKEN = 'statements-test-token';
/** The amount of money sent that the test's risk verdict holds; everything else is allowed. */
const HOLD_KES = 200;
/** Sending 101–500 KES costs 7 KES (ke.json). */
const FEE_CENTS = KES(7);

let world: World;
let app: FastifyInstance;
let url: string;
let seq = 0;

before(async () => {
  world = await openUssdWorld({
    assess: (txn) => ({
      action: txn.type === 'send_money' && txn.amountCents === KES(HOLD_KES) ? 'hold' : 'allow',
      score: 0.5,
      reasons: [],
    }),
  });
  app = Fastify({ logger: false });
  registerPaymentsAdminRoutes(app, { payments: world.payments, adminToken: TOKEN });
  registerUssdRoutes(app, { payments: world.payments });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app?.close();
  await world?.close();
});

async function http(
  method: string,
  path: string,
  init: { body?: string; contentType?: string } = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(init.contentType === undefined ? {} : { 'content-type': init.contentType }),
    },
    body: init.body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  return { status: response.status, text: await response.text() };
}

interface Statement {
  rows: StatementRow[];
  openingBalanceCents: number;
}

async function statementOf(who: Person): Promise<Statement> {
  const answer = await http('GET', `/admin/customers/${who.msisdn}/statement`);
  assert.equal(answer.status, 200, answer.text);
  return JSON.parse(answer.text) as Statement;
}

async function csvOf(who: Person): Promise<string[]> {
  const answer = await http('GET', `/admin/customers/${who.msisdn}/statement?format=csv`);
  assert.equal(answer.status, 200, answer.text);
  return answer.text.trim().split('\n');
}

/** The USSD mini statement's lines (newest first), as the handset shows them. */
async function miniOf(who: Person): Promise<string[]> {
  const response = await fetch(`${url}/ussd`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      sessionId: `mini-${++seq}`,
      phoneNumber: who.msisdn,
      text: `6*2*${who.pin}`,
    }).toString(),
  });
  const text = await response.text();
  assert.match(text, /^END Mini statement\n/);
  return text.split('\n').slice(1);
}

/** Only completed rows move the balance, and each row's balance is the one before it plus its own. */
function assertRunningBalances(statement: Statement): void {
  let balance = statement.openingBalanceCents;
  for (const row of statement.rows) {
    if (row.status === 'completed')
      balance += row.paidInCents - row.withdrawnCents - row.chargesCents;
    assert.equal(row.balanceCents, balance, `balance after ${row.receipt} (${row.type})`);
  }
}

function rowsOf(statement: Statement, receipt: string): StatementRow[] {
  return statement.rows.filter((row) => row.receipt === receipt);
}

async function send(from: Person, to: Person, kes: number): Promise<Receipt> {
  const outcome = await world.payments.sendMoney({
    from: from.msisdn,
    to: to.msisdn,
    amountCents: KES(kes),
    auth: { kind: 'pin', pin: from.pin },
    requestKey: `statements-${++seq}`,
  });
  assert.ok(outcome.ok, JSON.stringify(outcome));
  return outcome.receipt;
}

const available = (who: Person) => availableOf(world, walletId(intl(who.msisdn)));

describe('statements through hold, release, reject, timeout and reversal', {
  timeout: TIMEOUT_MS,
}, () => {
  test('held then released: one completed send_money row with its principal and fee; the release answers completed', async () => {
    const held = await send(ASHA, BARAKA, HOLD_KES);
    assert.equal(held.status, 'held');
    const during = await statementOf(ASHA);
    assert.deepEqual(
      rowsOf(during, held.receipt).map((r) => [r.type, r.status, r.withdrawnCents, r.chargesCents]),
      [['send_money', 'pending_review', KES(HOLD_KES), FEE_CENTS]],
    );
    assertRunningBalances(during);
    assert.match((await miniOf(ASHA))[0], new RegExp(`^${held.receipt} \\S+ 200\\.00 Pending$`));
    const between = await send(ASHA, CHEBET, 150); // another payment while the first is held

    const heldUntilMs = Date.now();
    // No body, no content type: the analyst's name is optional.
    const released = await http('POST', `/admin/reviews/${held.receipt}/release`);
    assert.equal(released.status, 200, released.text);
    const answer = JSON.parse(released.text) as { ok: boolean; receipt: Receipt };
    assert.equal(answer.receipt.receipt, held.receipt);
    assert.equal(answer.receipt.status, 'completed');
    assert.equal(answer.receipt.amountCents, KES(HOLD_KES));
    assert.ok(answer.receipt.ledgerTimestamp > 0, 'the committed principal leg is named');

    const after = await statementOf(ASHA);
    const rows = rowsOf(after, held.receipt);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    const [row] = rows;
    assert.equal(row.type, 'send_money');
    assert.equal(row.status, 'completed');
    assert.equal(row.withdrawnCents, KES(HOLD_KES));
    assert.equal(row.chargesCents, FEE_CENTS);
    assert.equal(row.paidInCents, 0);
    assert.match(row.description, /^send money to BARAKA OTIENO/);
    // The money moved at the release, so the row sits after the payment made in between.
    const order = after.rows.map((r) => r.receipt);
    assert.ok(order.indexOf(between.receipt) < order.indexOf(held.receipt));
    assertRunningBalances(after);
    assert.equal(after.rows[after.rows.length - 1].balanceCents, await available(ASHA));

    // A statement for a period that ended before the release shows it as it was then.
    const then = await http('GET', `/admin/customers/${ASHA.msisdn}/statement?to=${heldUntilMs}`);
    const thenRows = rowsOf(JSON.parse(then.text) as Statement, held.receipt);
    assert.deepEqual(
      thenRows.map((r) => [r.status, r.withdrawnCents, r.chargesCents]),
      [['pending_review', KES(HOLD_KES), FEE_CENTS]],
      'decided later: pending review then',
    );

    const csv = (await csvOf(ASHA)).find((line) => line.startsWith(held.receipt));
    assert.match(csv ?? '', /,send_money,Completed,0\.00,200\.00,7\.00,[0-9]+\.[0-9]{2}$/);
    const mini = await miniOf(ASHA);
    assert.match(mini[0], new RegExp(`^${held.receipt} \\S+ -200\\.00$`));
    assert.equal(mini.filter((line) => line.startsWith(held.receipt)).length, 1);

    // Released once: a second decision finds nothing to decide.
    const again = await http('POST', `/admin/reviews/${held.receipt}/reject`);
    assert.equal(again.status, 404, again.text);

    // Reversal of the released payment: its own row, paid back in, balances still adding up.
    const reversal = await world.payments.reverseByCustomer({
      msisdn: ASHA.msisdn,
      originalReceipt: held.receipt,
      auth: { kind: 'verified', by: 'test' },
      requestKey: `statements-${++seq}`,
    });
    assert.ok(reversal.ok, JSON.stringify(reversal));
    const reversed = await statementOf(ASHA);
    const reversalRows = rowsOf(reversed, reversal.receipt.receipt);
    assert.deepEqual(
      reversalRows.map((r) => [r.type, r.status, r.paidInCents, r.withdrawnCents]),
      [['reversal', 'completed', KES(HOLD_KES), 0]],
    );
    assert.equal(rowsOf(reversed, held.receipt).length, 1);
    assertRunningBalances(reversed);
    const baraka = await statementOf(BARAKA);
    assert.deepEqual(
      rowsOf(baraka, reversal.receipt.receipt).map((r) => [r.type, r.withdrawnCents]),
      [['reversal', KES(HOLD_KES)]],
    );
    assertRunningBalances(baraka);
    assert.match(
      (await miniOf(ASHA))[0],
      new RegExp(`^${reversal.receipt.receipt} \\S+ \\+200\\.00$`),
    );
  });

  test('held then rejected: the answer says rejected, the row says so, and the balance never moved', async () => {
    const before = await available(CHEBET);
    const held = await send(CHEBET, DAUDI, HOLD_KES);
    // An empty body with a JSON content type is no body too.
    const rejected = await http('POST', `/admin/reviews/${held.receipt}/reject`, {
      body: '',
      contentType: 'application/json',
    });
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal((JSON.parse(rejected.text) as { receipt: Receipt }).receipt.status, 'rejected');
    assert.equal(await available(CHEBET), before);
    const statement = await statementOf(CHEBET);
    const rows = rowsOf(statement, held.receipt);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.deepEqual(
      rows.map((r) => [r.type, r.status, r.paidInCents, r.withdrawnCents, r.chargesCents]),
      [['send_money', 'rejected', 0, KES(HOLD_KES), FEE_CENTS]],
    );
    assert.match(rows[0].description, /^send money to DAUDI MWANGI .*\(stopped after review/);
    assertRunningBalances(statement);
    assert.equal(statement.rows[statement.rows.length - 1].balanceCents, before);
    const csv = (await csvOf(CHEBET)).find((line) => line.startsWith(held.receipt));
    assert.match(csv ?? '', /,send_money,Rejected,/);
    assert.match((await miniOf(CHEBET))[0], new RegExp(`^${held.receipt} \\S+ 200\\.00 Returned$`));
    // A restarted service names the rejected payment from the review records as well.
    const restarted = await startPayments({
      ledger: world.ledger,
      market: world.market,
      receiptKey: 'test-receipt-key-0123456789',
      clock: world.clock,
    });
    const again = await restarted.statement(CHEBET.msisdn, 0, Date.now());
    assert.ok(again.ok);
    assert.deepEqual(
      rowsOf(again, held.receipt).map((r) => [r.status, r.withdrawnCents, r.chargesCents]),
      [['rejected', KES(HOLD_KES), FEE_CENTS]],
    );
    const named = await http('POST', `/admin/reviews/${held.receipt}/release`, {
      body: JSON.stringify({ by: 'analyst-7' }),
      contentType: 'application/json',
    });
    assert.equal(named.status, 404, 'already decided');
    const broken = await http('POST', `/admin/reviews/${held.receipt}/release`, {
      body: '{"by":',
      contentType: 'application/json',
    });
    assert.equal(broken.status, 400);
  });

  test('a hold nobody decides expires in the ledger: the row says expired and the balance adds up', async () => {
    // A reservation exactly as review.ts makes one, with a 1 s timeout instead of its 72 h; no
    // review knows it, so the row shows the reservation (principal + fee) as what was withdrawn.
    const receipt = `EXPIRE${String(++seq).padStart(4, '0')}`;
    const before = await available(DAUDI);
    const [reserved] = await world.ledger.createTransfers([
      {
        id: `${receipt}:hold`,
        debitAccountId: walletId(intl(DAUDI.msisdn)),
        creditAccountId: world.payments.context.operator.suspense,
        amount: KES(HOLD_KES) + FEE_CENTS,
        ledger: world.payments.context.ledgerNumber,
        code: TransferCode.riskHold,
        flags: TransferFlags.pending,
        timeoutSeconds: 1,
        userRef: receipt,
        userData: TRANSACTION_TYPE_NUMBERS.send_money,
      },
    ]);
    assert.equal(reserved.result, 'ok');
    assert.equal(await available(DAUDI), before - KES(HOLD_KES) - FEE_CENTS);
    // Expiry runs when the writer next applies a batch after the timeout: keep paying until then.
    for (let tries = 0; (await available(DAUDI)) !== before; tries++) {
      if (tries >= 100) assert.fail('the hold did not expire');
      await sleep(250);
      await send(BARAKA, ESTHER, 10);
    }
    const statement = await statementOf(DAUDI);
    const rows = rowsOf(statement, receipt);
    assert.deepEqual(
      rows.map((r) => [r.type, r.status, r.paidInCents]),
      [['send_money', 'expired', 0]],
    );
    assertRunningBalances(statement);
    const after = await send(DAUDI, ESTHER, 120);
    const later = await statementOf(DAUDI);
    assertRunningBalances(later);
    assert.equal(rowsOf(later, after.receipt)[0].balanceCents, before - KES(120) - FEE_CENTS);
    assert.match((await miniOf(DAUDI))[1], new RegExp(`^${receipt} \\S+ 207\\.00 Returned$`));
  });
});
