// The callback log of the selected app: every callback with the JSON payload it sends, each
// attempt with the receiver's HTTP status, latency and the start of its answer, and a Replay
// button that sends it again.
import { ApiError } from './api.js';
import { busy, fill, formatTime, h, showError } from './dom.js';
import { refreshRiskDecisions } from './risk-log.js';

const AUTO_REFRESH_MS = 3_000;
/** Deliveries scanned per page. The API filters the page down to this app's callbacks. */
const PAGE_SCAN = 200;

const state = {
  timer: 0,
  /** The rendered page, to skip re-rendering when nothing changed (it would eat clicks). */
  rendered: '',
  older: [],
};

export function mountDeliveries(ctx) {
  document.getElementById('delivery-status').addEventListener('change', () => {
    state.older = [];
    refresh(ctx, true);
  });
  document.getElementById('deliveries-refresh').addEventListener('click', () => refresh(ctx, true));
  document.getElementById('deliveries-auto').addEventListener('change', () => schedule(ctx));
  document.getElementById('deliveries-older').addEventListener('click', () => loadOlder(ctx));
}

export async function showDeliveries(ctx) {
  if (ctx.apps.length === 0) await ctx.loadApps();
  ctx.fillAppPickers();
  state.older = [];
  await refresh(ctx, true);
  schedule(ctx);
}

export function stopDeliveries() {
  clearTimeout(state.timer);
  state.timer = 0;
}

function schedule(ctx) {
  stopDeliveries();
  if (!document.getElementById('deliveries-auto').checked) return;
  state.timer = setTimeout(async () => {
    if (!document.hidden) await refresh(ctx, false);
    if (state.timer !== 0) schedule(ctx);
  }, AUTO_REFRESH_MS);
}

function query(beforeSeq) {
  const params = new URLSearchParams({ limit: String(PAGE_SCAN) });
  const status = document.getElementById('delivery-status').value;
  if (status !== '') params.set('status', status);
  if (beforeSeq !== undefined) params.set('beforeSeq', String(beforeSeq));
  return params.toString();
}

async function fetchPage(ctx, app, beforeSeq) {
  const answer = await ctx.api(
    `/apps/${encodeURIComponent(app.appId)}/deliveries?${query(beforeSeq)}`,
  );
  return answer.deliveries;
}

async function refresh(ctx, force) {
  const error = document.getElementById('deliveries-error');
  const list = document.getElementById('delivery-list');
  const app = ctx.selectedApp();
  if (app === null) {
    showError(error, 'Create an app first: each app has its own callback log.');
    fill(list);
    return;
  }
  try {
    const deliveries = [...(await fetchPage(ctx, app, undefined)), ...state.older];
    showError(error, null);
    await refreshRiskDecisions(ctx, app, force);
    const snapshot = JSON.stringify(deliveries);
    if (!force && snapshot === state.rendered) return;
    state.rendered = snapshot;
    render(ctx, app, deliveries);
  } catch (failure) {
    if (!(failure instanceof ApiError && failure.status === 401)) showError(error, failure.message);
  }
}

async function loadOlder(ctx) {
  const app = ctx.selectedApp();
  const shown = document.querySelectorAll('#delivery-list [data-seq]');
  const last = shown[shown.length - 1];
  if (app === null || last === undefined) return;
  const older = await fetchPage(ctx, app, Number(last.dataset.seq));
  if (older.length === 0) ctx.notify('No older callbacks in the next page of the log.');
  state.older.push(...older);
  await refresh(ctx, true);
}

function render(ctx, app, deliveries) {
  const list = document.getElementById('delivery-list');
  document.getElementById('deliveries-older').hidden = deliveries.length === 0;
  if (deliveries.length === 0) {
    fill(
      list,
      h(
        'div',
        { class: 'card empty' },
        h('p', null, `No callbacks for ${app.name} yet.`),
        h(
          'p',
          { class: 'hint' },
          'Make a call whose result comes back to a URL (an STK push, a C2B payment to registered URLs, a B2C payment) and it shows here within seconds.',
        ),
      ),
    );
    return;
  }
  fill(
    list,
    deliveries.map((d) => deliveryCard(ctx, app, d)),
  );
}

/** What the callback is, from its key (`<appId>:<id>`). */
function describe(app, key) {
  const id = key.slice(app.appId.length + 1);
  if (id.startsWith('ws_CO_')) return { kind: 'STK push result', id };
  if (id.endsWith(':timeout'))
    return { kind: 'Queue time-out', id: id.slice(0, -':timeout'.length) };
  if (id.startsWith('AG_')) return { kind: 'Result', id };
  return { kind: 'C2B confirmation', id };
}

function deliveryCard(ctx, app, d) {
  const { kind, id } = describe(app, d.key);
  const replay = h(
    'button',
    { type: 'button', class: 'button', 'data-action': 'replay' },
    'Replay',
  );
  replay.addEventListener('click', () => replayDelivery(ctx, replay, d.seq));
  return h(
    'article',
    { class: 'card delivery', 'data-seq': d.seq, 'data-status': d.status },
    h(
      'div',
      { class: 'delivery-head' },
      h(
        'div',
        null,
        h('span', { class: `badge badge-${d.status}` }, d.status),
        h('strong', null, ` ${kind} `),
        h('code', { class: 'mono' }, id),
      ),
      h('div', { class: 'actions' }, replay),
    ),
    h(
      'p',
      { class: 'hint' },
      `#${d.seq} · to ${d.endpoint} · ${d.attempts} attempt${d.attempts === 1 ? '' : 's'} · taken ${formatTime(d.takenAtMs)}`,
      d.deliveredAtMs === null ? '' : ` · delivered ${formatTime(d.deliveredAtMs)}`,
      d.status === 'pending' ? ` · next try ${formatTime(d.nextAttemptAtMs)}` : '',
    ),
    d.lastError === null ? null : h('p', { class: 'text-error' }, d.lastError),
    payloadBlock(d),
    attemptsTable(d.log),
  );
}

/** The JSON POSTed to the partner (the same on every attempt and on replay). */
function payloadBlock(d) {
  if (d.payload === null || d.payload === undefined) return null;
  return h(
    'details',
    { class: 'payload' },
    h('summary', null, 'Payload sent'),
    h('pre', { class: 'excerpt', 'data-field': 'payload' }, d.payload),
  );
}

function attemptsTable(log) {
  if (log.length === 0) return h('p', { class: 'hint' }, 'Not attempted yet.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'attempts' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Attempt', 'Started', 'HTTP status', 'Latency', 'Answer received'].map((t) =>
            h('th', null, t),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        [...log]
          .sort((a, b) => b.attempt - a.attempt)
          .map((a) =>
            h(
              'tr',
              {
                'data-attempt': a.attempt,
                class: a.ok ? 'ok' : a.finishedAtMs === null ? '' : 'failed',
              },
              h('td', null, `#${a.attempt}`),
              h('td', null, formatTime(a.startedAtMs)),
              h(
                'td',
                { 'data-field': 'status' },
                a.finishedAtMs === null ? 'in flight' : (a.status ?? 'no answer'),
              ),
              h(
                'td',
                { 'data-field': 'latency' },
                a.latencyMs === null ? '—' : `${a.latencyMs} ms`,
              ),
              h(
                'td',
                { 'data-field': 'response' },
                // "HTTP 500" would only repeat the status column.
                a.error === null || a.error === `HTTP ${a.status}`
                  ? null
                  : h('span', { class: 'text-error' }, a.error, ' '),
                a.responseExcerpt === null
                  ? null
                  : h('code', { class: 'excerpt' }, a.responseExcerpt),
              ),
            ),
          ),
      ),
    ),
  );
}

async function replayDelivery(ctx, button, seq) {
  const app = ctx.selectedApp();
  if (app === null) return;
  try {
    const answer = await busy(button, () =>
      ctx.api(`/apps/${encodeURIComponent(app.appId)}/deliveries/${seq}/replay`, {
        method: 'POST',
      }),
    );
    ctx.notify(`Callback #${seq} is being sent again (${answer.status}).`, 'success');
    state.older = [];
    await refresh(ctx, true);
  } catch (failure) {
    ctx.notify(failure.message, 'error');
  }
}
