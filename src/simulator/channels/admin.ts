// The operator's admin API, as the driver uses it: registering the population, funding floats,
// agent deposits, reversals through customer care, and operator events (SIM swaps, device
// changes) for the risk engine. Every call carries the admin bearer token.

import { type HttpAnswer, joinUrl, jsonOf, request } from './http.ts';

/** Where the lead's admin API takes operator events for the risk engine. */
export const RISK_EVENTS_PATH = '/admin/risk/events';

export type AdminOutcome =
  | { readonly kind: 'ok'; readonly body: Record<string, unknown> }
  /** The platform said no for a business reason (its typed refusal). */
  | { readonly kind: 'refused'; readonly status: number; readonly error: string }
  | { readonly kind: 'error'; readonly message: string };

export interface AdminClient {
  post(path: string, body: Record<string, unknown>): Promise<AdminOutcome>;
}

/** Statuses that mean the request itself or the deployment is wrong, not the transaction. */
const ERROR_STATUSES = new Set([400, 401, 403, 404, 405, 413, 415]);

export function outcomeOf(answer: HttpAnswer): AdminOutcome {
  if (!answer.ok) return { kind: 'error', message: answer.error };
  const body = jsonOf(answer.text) as Record<string, unknown> | undefined;
  if (answer.status >= 200 && answer.status < 300) return { kind: 'ok', body: body ?? {} };
  if (answer.status >= 500 || ERROR_STATUSES.has(answer.status) || body === undefined)
    return { kind: 'error', message: `HTTP ${answer.status} ${answer.text.slice(0, 120)}` };
  return { kind: 'refused', status: answer.status, error: String(body.error ?? answer.status) };
}

export function createAdminClient(url: string, token: string): AdminClient {
  return {
    async post(path, body) {
      const answer = await request({
        method: 'POST',
        url: joinUrl(url, path),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return outcomeOf(answer);
    },
  };
}
