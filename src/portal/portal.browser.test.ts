// The developer portal in a real browser (Debian's chromium, driven by playwright-core) against
// a real Malipo server and a real callback receiver on loopback: a developer signs up, signs in,
// makes an app, uses its keys from code, and sees and replays the callbacks in the portal.
//
// Without /usr/bin/chromium (or MALIPO_CHROMIUM_PATH) the test skips, unless MALIPO_REQUIRE_BROWSER=1 (CI), where it fails.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import {
  accessToken,
  darajaCall,
  type Receiver,
  startReceiver,
  stkAuth,
} from '../daraja/platform/testing/harness.ts';
import { type RunningServer, startServer } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';

/** Debian's chromium; MALIPO_CHROMIUM_PATH points elsewhere. */
const CHROMIUM_PATH = process.env.MALIPO_CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];
/** Every wait in the page; a broken page fails in seconds, not at the suite's time-out. */
const PAGE_WAIT_MS = 20_000;
const PASSWORD = 'correct horse battery';
const TEST_CUSTOMER = '254708374149';

describe('developer portal in a browser', { timeout: 180_000 }, () => {
  it('signs up, makes an app, and shows and replays the callbacks its keys caused', async (t) => {
    if (!existsSync(CHROMIUM_PATH)) {
      if (process.env.MALIPO_REQUIRE_BROWSER === '1') {
        assert.fail(
          `MALIPO_REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM_PATH}: apt-get install -y chromium`,
        );
      }
      t.skip('chromium not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'malipo-portal-browser-'));
    let server: RunningServer | undefined;
    let receiver: Receiver | undefined;
    let browser: Browser | undefined;
    const pageErrors: string[] = [];
    try {
      server = await startServer(loadConfig({ dataDir: dir, host: '127.0.0.1', port: 0 }, {}));
      receiver = await startReceiver();
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
      const page = await browser.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      page.on('pageerror', (error) => pageErrors.push(String(error)));
      await page.goto(`${server.url}/portal`);

      await signUpAndIn(page, `dev-${Date.now()}@example.com`);
      const keys = await createApp(page, 'Browser shop');
      await checkSandboxPage(page, server, receiver, keys);
      await checkCallbackLog(page, server, receiver, keys);
      await checkReference(page);
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser?.close();
      await receiver?.close();
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The element's text (not innerText: these are single values, layout does not matter). */
async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim();
}

async function signUpAndIn(page: Page, email: string): Promise<void> {
  // The API's own message reaches the page.
  await page.locator('#sign-up-email').fill(email);
  await page.locator('#sign-up-password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page
    .locator('#sign-up-form .form-error', { hasText: 'Password must have 10..64 characters' })
    .waitFor();

  await page.locator('#sign-up-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('.banner', { hasText: 'Account created' }).waitFor();
  assert.equal(await page.locator('#sign-in-email').inputValue(), email);

  await page.locator('#sign-in-password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#sign-in-form .form-error', { hasText: 'Wrong email or password' }).waitFor();
  await page.locator('#sign-in-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#view-apps').waitFor();
  await page.locator('#account-email', { hasText: email }).waitFor();
}

interface AppKeys {
  readonly name: string;
  readonly consumerKey: string;
  readonly consumerSecret: string;
}

async function createApp(page: Page, name: string): Promise<AppKeys> {
  await page.locator('#app-list', { hasText: 'No apps yet' }).waitFor();
  await page.getByLabel('New app name').fill(name);
  await page.getByRole('button', { name: 'Create app' }).click();
  const card = page.locator('article.app', { hasText: name });
  const consumerKey = await textOf(card.locator('[data-field="consumer key"]'));
  const consumerSecret = await textOf(card.locator('[data-field="consumer secret"]'));
  assert.match(consumerKey, /^[\w-]{20,}$/);
  assert.match(consumerSecret, /^[\w-]{20,}$/);
  assert.equal(await card.locator('.chip', { hasText: '600000' }).count(), 1);
  return { name, consumerKey, consumerSecret };
}

/** Test credentials, the certificate, and a behaviour change the next push obeys. */
async function checkSandboxPage(
  page: Page,
  server: RunningServer,
  receiver: Receiver,
  keys: AppKeys,
): Promise<void> {
  await page.getByRole('link', { name: 'Sandbox' }).click();
  const credentials = page.locator('#credentials');
  await credentials.locator('[data-field="paybill (shortcode)"]', { hasText: '600000' }).waitFor();
  assert.equal(await textOf(credentials.locator('[data-field="till number"]')), '600100');
  assert.equal(await textOf(credentials.locator('[data-field="initiator name"]')), 'testapi');
  const passkey = await textOf(credentials.locator('[data-field="passkey"]'));
  assert.equal(passkey, server.darajaSandbox?.passkey);
  assert.ok((await textOf(page.locator('#quickstart'))).includes(keys.consumerKey));

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download certificate' }).click(),
  ]);
  const certificate = readFileSync((await download.path())!, 'utf8');
  assert.match(certificate, /^-----BEGIN CERTIFICATE-----/);

  // The setting shows what is in force: the sandbox seeds its test customer to approve after 3 s.
  const row = page.locator(`#test-customers tr[data-msisdn="${TEST_CUSTOMER}"]`);
  const mode = row.getByLabel(`Behaviour of ${TEST_CUSTOMER}`);
  const delay = row.getByLabel(`Delay before ${TEST_CUSTOMER} answers`);
  assert.equal(await mode.inputValue(), 'approve');
  assert.equal(await delay.inputValue(), '3000');
  await mode.selectOption('cancel');
  await delay.fill('1500');
  await row.getByRole('button', { name: 'Save' }).click();
  await row.locator('.row-status', { hasText: 'Saved' }).waitFor();
  // After a reload the page reads the saved setting back from the server.
  await page.reload();
  await credentials.locator('[data-field="passkey"]').waitFor();
  assert.equal(await mode.inputValue(), 'cancel');
  assert.equal(await delay.inputValue(), '1500');
  await delay.fill('0');
  await row.getByRole('button', { name: 'Save' }).click();
  await row.locator('.row-status', { hasText: 'Saved' }).waitFor();

  // The test customer now cancels at once: a push gets result 1032.
  const token = await accessToken(server, keys.consumerKey, keys.consumerSecret);
  const pushed = await darajaCall(server, token)('/mpesa/stkpush/v1/processrequest', {
    BusinessShortCode: '600000',
    ...stkAuth('600000', passkey),
    TransactionType: 'CustomerPayBillOnline',
    Amount: 1,
    PartyA: TEST_CUSTOMER,
    PartyB: '600000',
    PhoneNumber: TEST_CUSTOMER,
    CallBackURL: `${receiver.url}/stk`,
    AccountReference: 'PORTAL',
  });
  assert.equal(pushed.status, 200, JSON.stringify(pushed.body));
  const [stk] = await receiver.waitFor('/stk');
  const callback = stk!.body as { Body: { stkCallback: { ResultCode: number } } };
  assert.equal(callback.Body.stkCallback.ResultCode, 1032);
}

/** A C2B payment to URLs the app registered shows in the log; Replay sends it once more. */
async function checkCallbackLog(
  page: Page,
  server: RunningServer,
  receiver: Receiver,
  keys: AppKeys,
): Promise<void> {
  const token = await accessToken(server, keys.consumerKey, keys.consumerSecret);
  const daraja = darajaCall(server, token);
  const registered = await daraja('/mpesa/c2b/v2/registerurl', {
    ShortCode: '600000',
    ResponseType: 'Completed',
    ConfirmationURL: `${receiver.url}/confirmation`,
    ValidationURL: `${receiver.url}/validation`,
  });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  const simulated = await daraja('/mpesa/c2b/v2/simulate', {
    ShortCode: '600000',
    CommandID: 'CustomerPayBillOnline',
    Amount: 25,
    Msisdn: TEST_CUSTOMER,
    BillRefNumber: 'PORTAL-1',
  });
  assert.equal(simulated.status, 200, JSON.stringify(simulated.body));
  const [first] = await receiver.waitFor('/confirmation');
  const receipt = (first!.body as { TransID: string }).TransID;

  await page.getByRole('link', { name: 'Callback log' }).click();
  const delivery = page.locator('article.delivery', { hasText: receipt });
  await delivery.locator('.badge', { hasText: 'delivered' }).waitFor();
  await delivery.getByText('C2B confirmation').waitFor();
  // Its fraud decision is listed under the log, recorded only: the sandbox scores in shadow.
  await page
    .locator(`#risk-decisions tr[data-receipt="${receipt}"] [data-field="enforced"]`, {
      hasText: 'recorded only (shadow)',
    })
    .waitFor();
  const attempt = delivery.locator('tr[data-attempt="1"]');
  assert.equal(await textOf(attempt.locator('[data-field="status"]')), '200');
  assert.match(await textOf(attempt.locator('[data-field="latency"]')), /^\d+(\.\d+)? ms$/);
  assert.match(await textOf(attempt.locator('[data-field="response"]')), /Accepted/);
  // The payload sent is shown, and it is exactly what the partner received.
  await delivery.getByText('Payload sent').click();
  const payload = delivery.locator('[data-field="payload"]');
  assert.ok(await payload.isVisible());
  assert.deepEqual(JSON.parse(await textOf(payload)), first!.body);
  // The STK callback from the sandbox step is in the same app's log.
  await page.locator('article.delivery', { hasText: 'STK push result' }).waitFor();

  await delivery.getByRole('button', { name: 'Replay' }).click();
  const banner = page.locator('#banner');
  await page.locator('.banner', { hasText: 'is being sent again' }).waitFor();
  // A banner is about the tab it was shown on: changing tabs clears it at once (it would
  // otherwise stay for 6 s after it appeared).
  await page.getByRole('link', { name: 'Sandbox' }).click();
  await page.locator('#credentials [data-field="passkey"]').waitFor();
  assert.equal(await banner.isHidden(), true);
  const both = await receiver.waitFor('/confirmation', 2);
  assert.equal(both[1]!.raw, both[0]!.raw);
  await page.getByRole('link', { name: 'Callback log' }).click();
  // The second attempt shows in the log.
  await delivery
    .locator('tr[data-attempt="2"] [data-field="status"]', { hasText: '200' })
    .waitFor();
}

async function checkReference(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'API reference' }).click();
  const simulate = page.locator('#op-postMpesaC2bV2Simulate');
  await simulate.waitFor();
  assert.match(await textOf(simulate), /\/mpesa\/c2b\/v2\/simulate/);
  assert.match(await textOf(simulate), /Msisdn/);
  await page.getByLabel('Filter endpoints').fill('reversal');
  await page.locator('#op-postMpesaC2bV2Simulate').waitFor({ state: 'hidden' });
  assert.ok(await page.locator('#op-postMpesaReversalV1Request').isVisible());
}
