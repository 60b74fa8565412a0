// The operator console. Everything comes from /ops/api with the admin token; live figures arrive
// as server-sent events read through fetch (EventSource cannot send an Authorization header).
// Text from the server is only ever set as text (textContent), never parsed as HTML.

const API = '/ops/api';
const HISTORY_POINTS = 90;
const session = { token: '', operator: '' };
const history = [];

const $ = (id) => document.getElementById(id);

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

function button(label, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

const kes = (cents) =>
  `KES ${(cents / 100).toLocaleString('en-KE', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const rate = (x) => (x === null || x === undefined ? '–' : x.toFixed(x < 10 ? 2 : 1));
const ms = (seconds) => `${(seconds * 1000).toFixed(1)} ms`;
const age = (seconds) =>
  seconds < 120 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
const when = (atMs) => new Date(atMs).toLocaleString('en-GB');

function say(text) {
  $('message').textContent = text;
}

async function api(path, body) {
  const response = await fetch(`${API}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${session.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (response.status === 401) throw new Error('the admin token was refused');
  return { status: response.status, json };
}

/** An operator action: needs a reason; the server audits it. */
async function act(path, whyInput, done) {
  const why = $(whyInput).value.trim();
  if (why === '') {
    say('Give a reason first: every action goes to the audit log.');
    $(whyInput).focus();
    return;
  }
  const { status, json } = await api(path, { who: session.operator, why });
  say(
    status === 200
      ? `Done: ${path.split('/').slice(-2).join(' ')}`
      : `Refused: ${json.message ?? json.error ?? status}`,
  );
  await Promise.all([done?.(), loadAudit()]);
}

// ---- live figures ----

function renderSnapshot(s) {
  $('tps').textContent = rate(s.tps);
  $('rps').textContent = rate(s.requestsPerSecond);
  $('window').textContent = s.windowSeconds > 0 ? `last ${Math.round(s.windowSeconds)} s` : '';
  $('forecast-expected').textContent = s.forecast === null ? 'n/a' : rate(s.forecast.expected);
  $('forecast-band').textContent =
    s.forecast === null
      ? '(not enough history)'
      : `band ${rate(s.forecast.lower)}–${rate(s.forecast.upper)}`;
  $('capacity').textContent = s.capacityTps === null ? 'n/a' : rate(s.capacityTps);
  for (const q of ['p50', 'p95', 'p99'])
    $(q).textContent = s.latencySeconds === null ? '–' : ms(s.latencySeconds[q]);
  renderErrors(s.errors);
  renderShards(s.shards);
  renderOutbox(s.outbox);
  $('held-count').textContent = String(s.reviews.held);
  history.push({ tps: s.tps ?? 0, forecast: s.forecast });
  if (history.length > HISTORY_POINTS) history.shift();
  drawChart();
}

function renderErrors(errors) {
  const rows = $('error-rows');
  rows.replaceChildren();
  for (const e of errors) {
    const tr = document.createElement('tr');
    for (const text of [e.api, e.status, e.code, String(e.count)]) cell(tr, text);
    rows.append(tr);
  }
  $('errors-empty').hidden = errors.length > 0;
}

function renderShards(shards) {
  const rows = $('shard-rows');
  rows.replaceChildren();
  for (const s of shards) {
    const tr = document.createElement('tr');
    cell(tr, String(s.shard));
    cell(tr, s.up ? 'up' : `down: ${s.error ?? ''}`, s.up ? 'up' : 'down');
    for (const text of [s.journal, String(s.accounts), String(s.transfers), String(s.openPendings)])
      cell(tr, text);
    rows.append(tr);
  }
}

function renderOutbox(outbox) {
  const rows = $('outbox-rows');
  rows.replaceChildren();
  for (const o of outbox) {
    const tr = document.createElement('tr');
    tr.dataset.stream = o.stream;
    for (const n of [o.stream, o.pending, o.delivering, o.delivered, o.dead]) cell(tr, String(n));
    cell(tr, o.pending + o.delivering > 0 ? age(o.oldestAgeSeconds) : '–');
    tr.append(button('Dead letters', () => loadDead(o.stream)));
    rows.append(tr);
  }
}

function drawChart() {
  const svg = $('tps-chart');
  const ns = 'http://www.w3.org/2000/svg';
  const top = Math.max(1, ...history.map((h) => Math.max(h.tps, h.forecast?.upper ?? 0))) * 1.15;
  // Newest at the right edge; the chart fills leftwards as snapshots arrive.
  const x = (i) => ((HISTORY_POINTS - history.length + i) / (HISTORY_POINTS - 1)) * 600;
  const y = (v) => 120 - (v / top) * 115;
  const path = (points) =>
    points.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join('');
  const withBand = history.map((h, i) => [i, h.forecast]).filter(([, f]) => f !== null);
  const shapes = [];
  if (withBand.length > 1) {
    const upper = withBand.map(([i, f]) => [x(i), y(f.upper)]);
    const lower = withBand.map(([i, f]) => [x(i), y(f.lower)]).reverse();
    shapes.push(['band', `${path([...upper, ...lower])}Z`]);
    shapes.push(['expected', path(withBand.map(([i, f]) => [x(i), y(f.expected)]))]);
  }
  shapes.push(['actual', path(history.map((h, i) => [x(i), y(h.tps)]))]);
  svg.replaceChildren(
    ...shapes.map(([className, d]) => {
      const p = document.createElementNS(ns, 'path');
      p.setAttribute('class', className);
      p.setAttribute('d', d);
      return p;
    }),
  );
}

/** Reads the event stream; reconnects after a pause if it ends. */
async function follow() {
  for (;;) {
    try {
      const response = await fetch(`${API}/events`, {
        headers: { authorization: `Bearer ${session.token}` },
      });
      if (response.status === 401) throw new Error('the admin token was refused');
      $('connection').textContent = `live · ${session.operator}`;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const data = buffer
            .slice(0, end)
            .split('\n')
            .find((line) => line.startsWith('data: '));
          buffer = buffer.slice(end + 2);
          if (data !== undefined) onSnapshot(JSON.parse(data.slice(6)));
          end = buffer.indexOf('\n\n');
        }
      }
    } catch (error) {
      $('connection').textContent = `disconnected: ${error.message}`;
      if (error.message.includes('refused')) return;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

let lastHeld = -1;
function onSnapshot(snapshot) {
  renderSnapshot(snapshot);
  if (snapshot.reviews.held !== lastHeld) {
    lastHeld = snapshot.reviews.held;
    void loadReviews();
  }
}

// ---- review queue ----

async function loadReviews() {
  const { json } = await api('/reviews');
  const rows = $('review-rows');
  rows.replaceChildren();
  for (const h of json.held ?? []) {
    const tr = document.createElement('tr');
    tr.dataset.receipt = h.receipt;
    cell(tr, h.receipt);
    cell(tr, h.type);
    cell(tr, kes(h.amountCents));
    cell(tr, `${h.from} → ${h.to}`);
    cell(tr, h.score.toFixed(3));
    cell(tr, [h.rule, ...h.reasons.slice(0, 3).map((r) => r.name)].filter(Boolean).join(', '));
    cell(tr, when(h.heldAtMs));
    const actions = document.createElement('td');
    actions.append(
      button('Release', () => act(`/reviews/${h.receipt}/release`, 'review-why', loadReviews)),
      button('Reject', () => act(`/reviews/${h.receipt}/reject`, 'review-why', loadReviews)),
    );
    tr.append(actions);
    rows.append(tr);
  }
  $('reviews-empty').hidden = (json.held ?? []).length > 0;
}

// ---- outbox dead letters ----

async function loadDead(stream) {
  const { json } = await api(`/outbox/${stream}/dead`);
  const rows = $('dead-rows');
  rows.replaceChildren();
  for (const d of json.dead ?? []) {
    const tr = document.createElement('tr');
    for (const text of [String(d.seq), d.key, d.endpoint, String(d.attempts), d.lastError ?? ''])
      cell(tr, text);
    tr.append(
      button('Replay', () =>
        act(`/outbox/${stream}/replay/${d.seq}`, 'outbox-why', () => loadDead(stream)),
      ),
    );
    rows.append(tr);
  }
  say(`${(json.dead ?? []).length} dead letters in ${stream}`);
}

// ---- customers ----

async function loadCustomer(msisdn) {
  const { status, json } = await api(`/customers/${encodeURIComponent(msisdn)}`);
  if (status !== 200) {
    $('customer-card').hidden = true;
    say(`No customer ${msisdn}`);
    return;
  }
  $('customer-card').hidden = false;
  $('customer-card').dataset.msisdn = json.msisdn;
  $('customer-name').textContent = json.name;
  $('customer-number').textContent = json.msisdn;
  $('customer-status').textContent = json.status;
  $('customer-pin').textContent = json.pinLocked ? 'locked' : `ok (${json.pinFailures} failures)`;
  $('customer-balance').textContent = kes(json.balanceCents);
  $('customer-overdraft').textContent = kes(json.overdraftOwedCents);
  const rows = $('statement-rows');
  rows.replaceChildren();
  for (const r of json.statement) {
    const tr = document.createElement('tr');
    for (const text of [
      when(r.timestampMs),
      r.receipt,
      r.leg,
      kes(r.amountCents),
      kes(r.balanceCents),
    ])
      cell(tr, text);
    rows.append(tr);
  }
}

function customerAction(path) {
  const msisdn = $('customer-card').dataset.msisdn;
  return act(`/customers/${msisdn}/${path}`, 'customer-why', () => loadCustomer(msisdn));
}

// ---- audit log ----

async function loadAudit() {
  const { json } = await api('/audit?limit=20');
  const rows = $('audit-rows');
  rows.replaceChildren();
  for (const e of json.entries ?? []) {
    const tr = document.createElement('tr');
    for (const text of [when(e.atMs), e.who, e.action, e.target, e.why, e.outcome]) cell(tr, text);
    rows.append(tr);
  }
}

// ---- start ----

function start(token, operator) {
  session.token = token;
  session.operator = operator;
  sessionStorage.setItem('malipo-ops', JSON.stringify(session));
  $('console').hidden = false;
  void follow();
  void loadAudit().catch((error) => say(error.message));
}

$('signin').addEventListener('submit', (event) => {
  event.preventDefault();
  start($('token').value.trim(), $('operator').value.trim());
});
$('customer-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadCustomer($('customer-msisdn').value.trim());
});
$('unlock-pin').addEventListener('click', () => customerAction('unlock-pin'));
$('freeze').addEventListener('click', () => customerAction('freeze'));
$('unfreeze').addEventListener('click', () => customerAction('unfreeze'));

const saved = JSON.parse(sessionStorage.getItem('malipo-ops') ?? 'null');
if (saved?.token && saved?.operator) start(saved.token, saved.operator);
