// The request a piece of work belongs to, carried by AsyncLocalStorage from the channel (fastify's
// onRequest) through payments, risk and the ledger commit to the answer, so logs carry the
// request id and the payment stages can be timed per API without threading a parameter through
// every domain. Stage boundaries: validate ends when scoring starts, risk when it returns, commit
// when the chain is durable (the payments `committed` hook), answer when the reply is sent.

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestContext {
  readonly id: string;
  /** The route pattern (never the raw URL: no MSISDN or receipt in a label). */
  readonly api: string;
  readonly startMs: number;
  riskStartMs: number;
  riskEndMs: number;
  committedMs: number;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export function newRequestContext(id: string, api: string): RequestContext {
  return { id, api, startMs: performance.now(), riskStartMs: 0, riskEndMs: 0, committedMs: 0 };
}

/** Longest request id taken from a caller's X-Request-Id; others get a fresh one. */
const REQUEST_ID_CHARS_MAX = 64;
const REQUEST_ID_SHAPE = /^[A-Za-z0-9._:-]+$/;

/** The caller's X-Request-Id when it is a plain token, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  if (
    typeof header === 'string' &&
    header.length > 0 &&
    header.length <= REQUEST_ID_CHARS_MAX &&
    REQUEST_ID_SHAPE.test(header)
  )
    return header;
  return randomUUID();
}

/** Stage durations in seconds, or null when the request did not score and commit a payment. */
export function stageSeconds(
  ctx: RequestContext,
  answeredMs: number,
): [validate: number, risk: number, commit: number, answer: number] | null {
  if (ctx.riskStartMs === 0 || ctx.committedMs === 0) return null;
  return [
    (ctx.riskStartMs - ctx.startMs) / 1000,
    (ctx.riskEndMs - ctx.riskStartMs) / 1000,
    (ctx.committedMs - ctx.riskEndMs) / 1000,
    (answeredMs - ctx.committedMs) / 1000,
  ];
}
