// The operator console in a real browser (Debian's chromium, driven by playwright-core) against
// a real Malipo server: without the token it shows nothing; with it, the throughput figure moves
// under real payments, a payment held by the fraud rules is released from the queue, the ledger
// shows the money moved, and the audit log (in the journal) names who released it and why.
//
// Without /usr/bin/chromium (or MALIPO_CHROMIUM_PATH) the test skips, unless
// MALIPO_REQUIRE_BROWSER=1 (CI), where it fails. MALIPO_OPS_SCREENSHOT=<file.png> saves the page.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { TrafficRecorder } from '../forecast/recorder.ts';
import { createTrafficGenerator } from '../forecast/synthetic.ts';
import { type RunningServer, startServer } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { AUDIT_STREAM } from './audit.ts';

const CHROMIUM_PATH = process.env.MALIPO_CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];
const PAGE_WAIT_MS = 30_000;
const TOKEN = 'ops-console-admin-token';
const PAYER = '254712345678';
const PAYER_PIN = '4826';
const PAYEE = '254722000111';
/** Demo customers who pay each other to make traffic (each pays a few: below any velocity rule). */
const TRAFFIC = [
  ['0733000222', '5172', '0711000333'],
  ['0711000333', '6048', '0708000444'],
  ['0708000444', '9318', '0733000222'],
] as const;

describe('operator console in a browser', { timeout: 240_000 }, () => {
  it('shows live figures, releases a held payment and audits it', async (t) => {
    if (!existsSync(CHROMIUM_PATH)) {
      if (process.env.MALIPO_REQUIRE_BROWSER === '1')
        assert.fail(`MALIPO_REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM_PATH}`);
      t.skip('chromium not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'malipo-ops-browser-'));
    seedTrafficHistory(dir);
    let server: RunningServer | undefined;
    let browser: Browser | undefined;
    const pageErrors: string[] = [];
    try {
      server = await startServer(
        loadConfig(
          { dataDir: dir, host: '127.0.0.1', port: 0 },
          // Rules only (no model): which payments are held is then decided by the rules alone.
          {
            MALIPO_ADMIN_TOKEN: TOKEN,
            MALIPO_CAPACITY_TPS: '350',
            MALIPO_RISK_MODEL: 'none',
            MALIPO_RISK_MODE: 'enforce',
          },
        ),
      );
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      page.setDefaultTimeout(PAGE_WAIT_MS);
      page.on('pageerror', (error) => pageErrors.push(String(error)));
      await checkNoTokenNoData(page, server);
      await signIn(page);
      await checkTpsMoves(page, server);
      await checkCustomer(page, server);
      await releaseHeldPayment(page, server);
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser?.close();
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Demo-sized traffic history (the synthetic M-Pesa-scale profile ÷ 1,000: about 1 tx/s by day). */
const HISTORY_SCALE = 1_000;
const MINUTE_MS = 60_000;

function seedTrafficHistory(dir: string): void {
  const minutes = 4 * 7 * 1440;
  const startMs = (Math.floor(Date.now() / MINUTE_MS) - minutes) * MINUTE_MS;
  const counts = createTrafficGenerator().generateMinuteCounts({ startMs, minutes, seed: 12 });
  const recorder = new TrafficRecorder({ weeksMax: 8 });
  for (let m = 0; m < minutes; m++)
    recorder.record(startMs + m * MINUTE_MS, Math.round(counts[m] / HISTORY_SCALE));
  writeFileSync(join(dir, 'traffic.json'), JSON.stringify(recorder.toJSON()));
}

async function admin(server: RunningServer, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function checkNoTokenNoData(page: Page, server: RunningServer): Promise<void> {
  await page.goto(`${server.url}/ops`);
  assert.equal(await page.locator('#console').isHidden(), true);
  for (const path of ['/ops/api/summary', '/ops/api/reviews', '/ops/api/audit', '/ops/api/events'])
    assert.equal((await fetch(`${server.url}${path}`)).status, 401, path);
  // The audit log has no route that changes it: DELETE is a method the path does not allow.
  const edit = await fetch(`${server.url}/ops/api/audit`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(edit.status, 405);
}

/** Waits (bounded by PAGE_WAIT_MS) until the element's text satisfies `ok`. */
async function waitText(page: Page, selector: string, ok: (text: string) => boolean) {
  const deadline = Date.now() + PAGE_WAIT_MS;
  let text = '';
  while (Date.now() < deadline) {
    text = ((await page.locator(selector).textContent()) ?? '').trim();
    if (ok(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${selector} still shows '${text}'`);
}

async function signIn(page: Page): Promise<void> {
  await page.fill('#token', TOKEN);
  await page.fill('#operator', 'alice');
  await page.click('#signin button[type=submit]');
  await waitText(page, '#connection', (text) => text.startsWith('live'));
  await waitText(page, '#capacity', (text) => text === '350.0');
  // Four weeks of history: the forecast band is there, in figures and on the chart.
  await waitText(page, '#forecast-expected', (text) => Number(text) > 0);
  await waitText(page, '#forecast-band', (text) => /^band \d/.test(text));
  await page.locator('#tps-chart path.band').waitFor({ state: 'attached' });
}

async function checkTpsMoves(page: Page, server: RunningServer): Promise<void> {
  await waitText(page, '#tps', (text) => text === '0.00');
  for (let round = 0; round < 3; round++)
    for (const [from, pin, to] of TRAFFIC) {
      const sent = await admin(server, '/admin/transactions/send-money', {
        from,
        pin,
        to,
        amountCents: 5_000,
      });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
    }
  // The figure the operator watches moves off zero with the payments just made.
  await waitText(page, '#tps', (text) => Number(text) > 0);
  await waitText(page, '#rps', (text) => Number(text) > 0);
}

/** A customer locked out by wrong PINs is found, unlocked, frozen and unfrozen; each audited. */
async function checkCustomer(page: Page, server: RunningServer): Promise<void> {
  const [from, , to] = TRAFFIC[0];
  for (let i = 0; i < 3; i++) {
    const wrong = await admin(server, '/admin/transactions/send-money', {
      from,
      pin: '0000',
      to,
      amountCents: 100,
    });
    assert.equal(wrong.status, 422);
  }
  await page.fill('#customer-msisdn', from);
  await page.click('#customer-form button[type=submit]');
  await waitText(page, '#customer-pin', (text) => text === 'locked');
  const balance = await balanceOf(server, '254733000222');
  await waitText(
    page,
    '#customer-balance',
    (text) =>
      text === `KES ${(balance / 100).toLocaleString('en-KE', { minimumFractionDigits: 2 })}`,
  );
  await page.fill('#customer-why', 'caller verified with ID');
  await page.click('#unlock-pin');
  await waitText(page, '#customer-pin', (text) => text === 'ok (0 failures)');
  await page.click('#freeze');
  await waitText(page, '#customer-status', (text) => text === 'frozen');
  const frozen = await admin(server, '/admin/transactions/send-money', {
    from,
    pin: '5172',
    to,
    amountCents: 100,
  });
  assert.equal(frozen.body.error, 'party_frozen');
  await page.click('#unfreeze');
  await waitText(page, '#customer-status', (text) => text === 'active');
  const actions = (await server.ledger.latestRecords(AUDIT_STREAM, 3)).map(
    (r) => (JSON.parse(r.body) as { action: string }).action,
  );
  assert.deepEqual(actions, ['customer.unfreeze', 'customer.freeze', 'customer.unlock_pin']);
}

async function balanceOf(server: RunningServer, msisdn: string): Promise<number> {
  const [wallet] = await server.ledger.lookupAccounts([`wallet:${msisdn}`]);
  return wallet.creditsPosted - wallet.debitsPosted - wallet.debitsPending;
}

async function releaseHeldPayment(page: Page, server: RunningServer): Promise<void> {
  // A SIM swap, then most of the wallet: the sim_swap_drain rule holds it for review.
  const swap = await admin(server, '/admin/risk/events', { msisdn: PAYER, type: 'sim_swap' });
  assert.equal(swap.status, 201, JSON.stringify(swap.body));
  const payerBefore = await balanceOf(server, PAYER);
  const payeeBefore = await balanceOf(server, PAYEE);
  const amountCents = Math.floor((payerBefore * 0.6) / 100) * 100;
  const sent = await admin(server, '/admin/transactions/send-money', {
    from: PAYER,
    pin: PAYER_PIN,
    to: PAYEE,
    amountCents,
  });
  const receipt = (sent.body.receipt as { receipt: string } | undefined)?.receipt ?? '';
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const held = (await admin(server, '/ops/api/reviews')).body.held as { receipt: string }[];
  assert.deepEqual(
    held.map((h) => h.receipt),
    [receipt],
  );
  assert.equal(await balanceOf(server, PAYEE), payeeBefore, 'a held payment has not arrived');

  const row = page.locator(`#review-rows tr[data-receipt="${receipt}"]`);
  await row.waitFor();
  const screenshot = process.env.MALIPO_OPS_SCREENSHOT;
  if (screenshot !== undefined) await page.screenshot({ path: screenshot, fullPage: true });
  assert.match((await row.textContent()) ?? '', /sim_swap_drain/);
  await row.getByRole('button', { name: 'Release' }).click();
  await waitText(page, '#message', (text) => text.startsWith('Give a reason'));
  await page.fill('#review-why', 'customer confirmed by phone');
  await row.getByRole('button', { name: 'Release' }).click();
  await row.waitFor({ state: 'detached' });

  assert.equal(
    await balanceOf(server, PAYEE),
    payeeBefore + amountCents,
    'released: the payee has it',
  );
  assert.ok((await balanceOf(server, PAYER)) <= payerBefore - amountCents);
  const [entry] = await server.ledger.latestRecords(AUDIT_STREAM, 1);
  const audit = JSON.parse(entry.body) as Record<string, unknown>;
  assert.equal(audit.who, 'alice');
  assert.equal(audit.action, 'review.release');
  assert.equal(audit.target, receipt);
  assert.equal(audit.why, 'customer confirmed by phone');
  assert.equal(audit.outcome, 'ok');
  const auditRow = page.locator('#audit-rows tr', { hasText: receipt });
  await auditRow.waitFor();
  assert.match(
    (await auditRow.textContent()) ?? '',
    /alice.*review\.release.*customer confirmed by phone/,
  );
}
