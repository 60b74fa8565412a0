// The sandbox's test credentials for the selected app, a copy-paste quick start, and the test
// customers' behaviour (how each answers STK push prompts).
import { TEST_BEHAVIOUR_DELAY_MS_MAX, TEST_BEHAVIOUR_MODES } from './constants.js';
import { busy, copyable, fill, h, showError } from './dom.js';

export function mountSandbox() {}

export async function showSandbox(ctx) {
  const error = document.getElementById('sandbox-error');
  showError(error, null);
  if (ctx.apps.length === 0) await ctx.loadApps();
  ctx.fillAppPickers();
  const app = ctx.selectedApp();
  if (app === null) {
    showError(error, 'Create an app first: the sandbox credentials are shown per app.');
    fill(document.getElementById('credentials'));
    fill(document.getElementById('quickstart'));
    fill(document.querySelector('#test-customers tbody'));
    return;
  }
  let credentials;
  try {
    credentials = await ctx.api(`/apps/${encodeURIComponent(app.appId)}/test-credentials`);
  } catch (failure) {
    showError(error, failure.message);
    return;
  }
  renderCredentials(credentials);
  document.getElementById('certificate-link').href = credentials.certificateUrl;
  fill(document.getElementById('quickstart'), quickStart(ctx, app, credentials));
  fill(
    document.querySelector('#test-customers tbody'),
    credentials.testCustomers.map((customer) => customerRow(ctx, customer)),
  );
}

function renderCredentials(c) {
  const rows = [
    ['Paybill (shortcode)', c.shortcode],
    ['Till number', c.tillNumber],
    ['Passkey', c.passkey],
    ['Initiator name', c.initiatorName],
    ['Initiator password', c.initiatorPassword],
  ];
  fill(
    document.getElementById('credentials'),
    rows.flatMap(([label, value]) => [
      h('dt', null, label),
      h('dd', null, copyable(value, label.toLowerCase())),
    ]),
  );
}

function quickStart(ctx, app, c) {
  const base = location.origin;
  const secret = ctx.secrets.get(app.appId) ?? 'YOUR_CONSUMER_SECRET';
  const customer = c.testCustomers[0]?.msisdn ?? '254708374149';
  const body = {
    BusinessShortCode: c.shortcode,
    Password: '$PASSWORD',
    Timestamp: '$TS',
    TransactionType: 'CustomerPayBillOnline',
    Amount: 1,
    PartyA: customer,
    PartyB: c.shortcode,
    PhoneNumber: customer,
    CallBackURL: 'http://127.0.0.1:9000/stk',
    AccountReference: 'TEST',
  };
  const json = JSON.stringify(body).replace(/"\$(PASSWORD|TS)"/g, `"'"$$$1"'"`);
  return [
    `# 1. An access token for ${app.name}`,
    `TOKEN=$(curl -s -u '${app.consumerKey}:${secret}' \\`,
    `  '${base}/oauth/v1/generate?grant_type=client_credentials' | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    '',
    '# 2. A push to the test customer (the password is built from the passkey)',
    'TS=$(TZ=Africa/Nairobi date +%Y%m%d%H%M%S)',
    `PASSWORD=$(printf '%s' "${c.shortcode}${c.passkey}$TS" | base64 -w0)`,
    `curl -s ${base}/mpesa/stkpush/v1/processrequest \\`,
    `  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
    `  -d '${json}'`,
  ].join('\n');
}

function customerRow(ctx, customer) {
  const current = customer.behaviour ?? { mode: 'manual', delayMs: 0 };
  // The form starts at the customer's current behaviour, so what it shows is what is in force.
  const mode = h(
    'select',
    { 'aria-label': `Behaviour of ${customer.msisdn}`, name: 'mode' },
    TEST_BEHAVIOUR_MODES.map(([value, label]) =>
      h('option', { value, selected: value === current.mode }, label),
    ),
  );
  const delay = h('input', {
    type: 'number',
    name: 'delayMs',
    min: 0,
    max: TEST_BEHAVIOUR_DELAY_MS_MAX,
    step: 500,
    value: current.delayMs,
    'aria-label': `Delay before ${customer.msisdn} answers, in milliseconds`,
  });
  const status = h('span', { class: 'row-status', role: 'status' });
  const save = h('button', { type: 'button', class: 'button' }, 'Save');
  save.addEventListener('click', async () => {
    const delayMs = Number(delay.value);
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > TEST_BEHAVIOUR_DELAY_MS_MAX) {
      setStatus(status, `Delay must be 0 to ${TEST_BEHAVIOUR_DELAY_MS_MAX} ms.`, true);
      return;
    }
    try {
      await busy(save, () =>
        ctx.api(`/test-customers/${encodeURIComponent(customer.msisdn)}/behaviour`, {
          method: 'PUT',
          body: { mode: mode.value, delayMs },
        }),
      );
      customer.behaviour = { mode: mode.value, delayMs };
      setStatus(status, 'Saved', false);
    } catch (failure) {
      setStatus(status, failure.message, true);
    }
  });
  return h(
    'tr',
    { 'data-msisdn': customer.msisdn },
    h('td', { class: 'mono' }, customer.msisdn),
    h('td', { class: 'mono' }, customer.pin),
    h('td', null, mode),
    h('td', null, delay),
    h('td', null, save, ' ', status),
  );
}

function setStatus(element, text, isError) {
  element.textContent = text;
  element.classList.toggle('text-error', isError);
  element.classList.toggle('text-success', !isError);
}
