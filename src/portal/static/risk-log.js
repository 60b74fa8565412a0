// The risk decisions on the selected app's payments, beside its callback log: what the fraud
// engine decided and whether it acted on it. In the sandbox the engine runs in shadow mode, so
// most rows say "recorded only"; a sandbox trigger amount shows as enforced.
import { fill, formatTime, h } from './dom.js';

const ACTION_LABELS = { allow: 'Allow', step_up: 'Step-up', hold: 'Hold', block: 'Block' };

/** The rendered list, to skip re-rendering an unchanged table on every auto-refresh. */
let rendered = '';

export async function refreshRiskDecisions(ctx, app, force) {
  const list = document.getElementById('risk-decisions');
  if (list === null) return;
  const { decisions } = await ctx.api(`/apps/${encodeURIComponent(app.appId)}/risk-decisions`);
  const snapshot = `${app.appId}:${JSON.stringify(decisions)}`;
  if (!force && snapshot === rendered) return;
  rendered = snapshot;
  if (decisions.length === 0) {
    fill(list, h('p', { class: 'hint' }, 'No payments to or from your shortcodes scored yet.'));
    return;
  }
  fill(list, table(decisions));
}

function table(decisions) {
  const head = ['When', 'Receipt', 'Type', 'Amount (KES)', 'Decision', 'Applied', 'Why'];
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
          head.map((t) => h('th', null, t)),
        ),
      ),
      h(
        'tbody',
        null,
        decisions.map((d) =>
          h(
            'tr',
            { 'data-receipt': d.receipt, 'data-action': d.action },
            h('td', null, formatTime(d.atMs)),
            h('td', null, h('code', { class: 'mono' }, d.receipt)),
            h('td', null, d.type),
            h('td', null, (d.amountCents / 100).toFixed(2)),
            h('td', { 'data-field': 'action' }, ACTION_LABELS[d.action] ?? d.action),
            h(
              'td',
              { 'data-field': 'enforced' },
              d.enforced ? 'enforced' : 'recorded only (shadow)',
            ),
            h('td', null, why(d)),
          ),
        ),
      ),
    ),
  );
}

function why(d) {
  if (d.rule === 'sandbox-trigger') return 'sandbox trigger amount';
  const reasons = (d.reasons ?? []).map((r) => r.name).join(', ');
  const score = `score ${Number(d.score).toFixed(3)}`;
  return d.rule === null ? `${score}${reasons === '' ? '' : `: ${reasons}`}` : `rule ${d.rule}`;
}
