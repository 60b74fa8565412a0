// The developer's apps: create one, see its keys. The consumer secret is stored hashed, so the
// server shows it once, in the answer to the create call; we keep it for this page load only.
import { busy, copyable, fill, h, showError } from './dom.js';

export function mountApps(ctx, route) {
  const form = document.getElementById('create-app-form');
  const error = form.querySelector('.form-error');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = form.elements.name.value.trim();
    showError(error, name.length === 0 ? 'Give the app a name.' : null);
    if (name.length === 0) return;
    try {
      const app = await busy(form.querySelector('button'), () =>
        ctx.api('/apps', { body: { name } }),
      );
      form.reset();
      ctx.secrets.set(app.appId, app.consumerSecret);
      ctx.selectApp(app.appId);
      ctx.notify(
        `Created ${app.name}. Copy its consumer secret now: it is shown only once.`,
        'success',
      );
      await route();
    } catch (failure) {
      showError(error, failure.message);
    }
  });
}

export async function showApps(ctx) {
  const list = document.getElementById('app-list');
  await ctx.loadApps();
  ctx.fillAppPickers();
  if (ctx.apps.length === 0) {
    fill(
      list,
      h(
        'div',
        { class: 'card empty' },
        h('p', null, 'No apps yet. Create one above to get your keys.'),
      ),
    );
    return;
  }
  const selected = ctx.selectedApp();
  fill(
    list,
    ctx.apps.map((app) => appCard(ctx, app, app.appId === selected?.appId)),
  );
}

function appCard(ctx, app, selected) {
  const secret = ctx.secrets.get(app.appId);
  const go = (view) => () => {
    ctx.selectApp(app.appId);
    location.hash = `#${view}`;
  };
  return h(
    'article',
    { class: `card app${selected ? ' app-selected' : ''}`, 'data-app-id': app.appId },
    h(
      'div',
      { class: 'app-head' },
      h('div', null, h('h2', null, app.name), h('p', { class: 'hint mono' }, app.appId)),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'button', onclick: go('sandbox') }, 'Sandbox'),
        h('button', { type: 'button', class: 'button', onclick: go('deliveries') }, 'Callback log'),
      ),
    ),
    h(
      'dl',
      { class: 'fields' },
      h('dt', null, 'Consumer key'),
      h('dd', null, copyable(app.consumerKey, 'consumer key')),
      h('dt', null, 'Consumer secret'),
      h(
        'dd',
        null,
        secret === undefined
          ? h('span', { class: 'hint' }, 'Shown only when the app was created.')
          : [
              copyable(secret, 'consumer secret'),
              h('p', { class: 'warning' }, 'Store it now: it will not be shown again.'),
            ],
      ),
      h('dt', null, 'Shortcodes'),
      h(
        'dd',
        null,
        app.shortcodes.map((s) => h('span', { class: 'chip mono' }, s)),
      ),
      h('dt', null, 'API products'),
      h(
        'dd',
        null,
        app.products.map((p) => h('span', { class: 'chip' }, p)),
      ),
      h('dt', null, 'Rate limit'),
      h(
        'dd',
        null,
        app.rateLimit === undefined
          ? ''
          : [
              `${app.rateLimit.perSecond} requests/s, bursts of ${app.rateLimit.burst}. `,
              h(
                'span',
                { class: 'hint' },
                'Past it: HTTP 429, errorCode 500.003.02, Retry-After. Ask the operator to raise it before a load test.',
              ),
            ],
      ),
    ),
  );
}
