// The developer portal: one page, four views (apps, sandbox, callback log, API reference) chosen
// by the URL's hash. The session token lives in sessionStorage: it ends with the tab, and the
// server ends it after a working day anyway.
import { ApiError, call } from './api.js';
import { mountApps, showApps } from './apps.js';
import { mountAuth } from './auth.js';
import { PORTAL_API } from './constants.js';
import { mountDeliveries, showDeliveries, stopDeliveries } from './deliveries.js';
import { fill, h } from './dom.js';
import { showReference } from './reference.js';
import { mountSandbox, showSandbox } from './sandbox.js';

const SESSION_KEY = 'malipo.portal.session';
const APP_KEY = 'malipo.portal.app';
const VIEWS_WITH_SESSION = new Set(['apps', 'sandbox', 'deliveries']);

function loadSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    return saved !== null && saved.expiresAtMs > Date.now() ? saved : null;
  } catch {
    return null;
  }
}

/** What every view shares: the session, the developer's apps, and a few actions. */
const ctx = {
  session: loadSession(),
  /** @type {{appId: string, name: string, consumerKey: string, shortcodes: string[], products: string[]}[]} */
  apps: [],
  selectedAppId: sessionStorage.getItem(APP_KEY),
  /** Consumer secrets seen this page load: the server shows each once, when the app is made. */
  secrets: new Map(),

  /** A portal API call with the session token; a refused session signs the developer out. */
  async api(path, init = {}) {
    try {
      return await call(`${PORTAL_API}${path}`, { ...init, token: ctx.session?.token ?? null });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && ctx.session !== null) {
        ctx.signOut('Your session has ended. Sign in again.');
      }
      throw error;
    }
  },

  signIn(email, token, expiresInSeconds) {
    ctx.session = { email, token, expiresAtMs: Date.now() + expiresInSeconds * 1000 };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(ctx.session));
    ctx.apps = [];
    ctx.secrets.clear();
    navigate('#apps');
  },

  signOut(message) {
    ctx.session = null;
    ctx.apps = [];
    ctx.secrets.clear();
    sessionStorage.removeItem(SESSION_KEY);
    navigate('#welcome');
    if (message) ctx.notify(message, 'error');
  },

  selectApp(appId) {
    ctx.selectedAppId = appId;
    sessionStorage.setItem(APP_KEY, appId);
  },

  /** The selected app, falling back to the first. Null when the developer has none. */
  selectedApp() {
    return ctx.apps.find((a) => a.appId === ctx.selectedAppId) ?? ctx.apps[0] ?? null;
  },

  async loadApps() {
    const answer = await ctx.api('/apps');
    ctx.apps = answer.apps;
    return ctx.apps;
  },

  /** Fills every app picker; `onChange` runs when the developer picks another app. */
  fillAppPickers() {
    const selected = ctx.selectedApp();
    for (const picker of document.querySelectorAll('[data-app-picker]')) {
      fill(
        picker,
        ctx.apps.map((a) =>
          h('option', { value: a.appId, selected: a.appId === selected?.appId }, a.name),
        ),
      );
      picker.disabled = ctx.apps.length === 0;
    }
  },

  notify(message, kind = 'info') {
    const banner = document.getElementById('banner');
    banner.className = `banner banner-${kind}`;
    banner.textContent = message;
    banner.hidden = false;
    // Remembered so that changing tabs clears it, but not the navigation that caused it
    // (signing out shows its message on the welcome view it navigates to). Not data-view:
    // route() shows and hides every [data-view] element.
    banner.dataset.shownOn = location.hash;
    clearTimeout(ctx.bannerTimer);
    ctx.bannerTimer = setTimeout(() => {
      banner.hidden = true;
    }, 6000);
  },

  bannerTimer: 0,
};

/** Shows `hash`; setting location.hash routes through hashchange, so route only if unchanged. */
function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function currentView() {
  const wanted = location.hash.replace(/^#/, '');
  if (wanted === 'reference') return 'reference';
  if (ctx.session === null) return 'welcome';
  return VIEWS_WITH_SESSION.has(wanted) ? wanted : 'apps';
}

/** A banner belongs to the view it was shown on: a message about one tab is stale on another. */
function clearStaleBanner() {
  const banner = document.getElementById('banner');
  if (banner.hidden || banner.dataset.shownOn === location.hash) return;
  clearTimeout(ctx.bannerTimer);
  banner.hidden = true;
  banner.textContent = '';
}

async function route() {
  clearStaleBanner();
  const view = currentView();
  for (const section of document.querySelectorAll('[data-view]')) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  for (const link of document.querySelectorAll('[data-needs-session]')) {
    link.hidden = ctx.session === null;
  }
  document.getElementById('account').hidden = ctx.session === null;
  document.getElementById('account-email').textContent = ctx.session?.email ?? '';
  document.getElementById('sign-in-link').hidden = ctx.session !== null || view === 'welcome';
  if (view !== 'deliveries') stopDeliveries();
  try {
    if (view === 'apps') await showApps(ctx);
    else if (view === 'sandbox') await showSandbox(ctx);
    else if (view === 'deliveries') await showDeliveries(ctx);
    else if (view === 'reference') await showReference(document.getElementById('reference'));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) ctx.notify(error.message, 'error');
  }
}

document.getElementById('sign-out').addEventListener('click', () => ctx.signOut());
for (const picker of document.querySelectorAll('[data-app-picker]')) {
  picker.addEventListener('change', () => {
    ctx.selectApp(picker.value);
    route();
  });
}
mountAuth(ctx);
mountApps(ctx, route);
mountSandbox(ctx);
mountDeliveries(ctx);
window.addEventListener('hashchange', route);
route();
