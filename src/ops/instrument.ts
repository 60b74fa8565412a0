// Wires operations into the server: the request context and one log line per request, the
// payments hooks that time the stages and count commits and risk decisions, the outbox attempt
// listeners, and the scrape-time gauges. With metrics off (MALIPO_METRICS=off) none of the metric
// instruments exist and the hooks only keep the request context the logs need.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Outbox } from '../outbox/index.ts';
import type { TransactionRecord } from '../payments/chains.ts';
import type { PaymentsHooks } from '../payments/context.ts';
import type { RiskVerdict } from '../payments/review.ts';
import type { Logger } from './log.ts';
import { type AppMetrics, PAYMENT_STAGES } from './metrics.ts';
import { newRequestContext, requestContext, stageSeconds } from './request-context.ts';

/** Ids a callback can be traced by (receipt, Daraja conversation ids) → the request that paid. */
const TRACE_IDS_MAX = 10_000;
/** Error codes are read from the first bytes of an error body only. */
const ERROR_BODY_SCAN_CHARS = 512;
const ERROR_CODE = /"(?:errorCode|error)"\s*:\s*"([^"]{1,48})"/;

export interface Instrumentation {
  /** The payments hooks (stage marks, commit counts, the "payment committed" log line). */
  hooks: PaymentsHooks;
  /** Wraps the risk engine's assess to time it and count its decisions. */
  assess(
    inner: NonNullable<PaymentsHooks['assess']>,
  ): (txn: Parameters<NonNullable<PaymentsHooks['assess']>>[0]) => RiskVerdict;
  /** Counts and logs every delivery attempt of an outbox. */
  watchOutbox(outbox: Outbox): void;
}

export function instrument(
  app: FastifyInstance,
  log: Logger,
  metrics: AppMetrics | null,
): Instrumentation {
  const traces = new Map<string, string>();
  app.addHook('onRequest', (request, _reply, done) => {
    const api = request.routeOptions.url ?? '(unmatched)';
    requestContext.run(newRequestContext(request.id, api), done);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-request-id', request.id);
    if (metrics !== null && reply.statusCode >= 400) errorCodeOf(request, reply, payload, metrics);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => answered(request, reply, log, metrics));
  return {
    hooks: {
      committed(txn: TransactionRecord) {
        const ctx = requestContext.getStore();
        if (ctx !== undefined) {
          ctx.committedMs = performance.now();
          remember(traces, txn, ctx.id);
        }
        metrics?.committed.inc({ type: txn.type });
        log.info(
          {
            receipt: txn.receipt,
            type: txn.type,
            requestKey: txn.requestKey,
            channel: txn.channel,
          },
          'payment committed',
        );
      },
    },
    assess: (inner) => (txn) => {
      const ctx = requestContext.getStore();
      if (ctx !== undefined) ctx.riskStartMs = performance.now();
      const verdict = inner(txn);
      if (ctx !== undefined) ctx.riskEndMs = performance.now();
      metrics?.riskDecisions.inc({ outcome: verdict.action, rule: verdict.rule ?? 'model' });
      if (verdict.action !== 'allow')
        log.info(
          {
            receipt: txn.receipt,
            outcome: verdict.action,
            rule: verdict.rule,
            score: verdict.score,
          },
          'risk decision',
        );
      return verdict;
    },
    watchOutbox(outbox) {
      outbox.onAttempt((record, result, status) => {
        const stream = outbox.stream;
        if (metrics !== null) {
          metrics.deliveries.inc({ stream, result: result.ok ? 'delivered' : 'failed' });
          metrics.deliveryDuration.observe({ stream }, result.latencyMs / 1000);
          if (status === 'dead') metrics.deadLettered.inc({ stream });
          if (stream === 'sms') metrics.sms.inc({ result: result.ok ? 'sent' : 'failed' });
        }
        const key = record?.key ?? '';
        const reqId = traces.get(key.slice(key.lastIndexOf(':') + 1)) ?? traces.get(key);
        const fields = { stream, seq: record?.seq, key, ok: result.ok, status, reqId };
        if (stream === 'sms') log.debug(fields, 'outbox attempt');
        else log.info(fields, 'outbox attempt');
      });
    },
  };
}

function answered(
  request: FastifyRequest,
  reply: FastifyReply,
  log: Logger,
  metrics: AppMetrics | null,
): void {
  const ctx = requestContext.getStore();
  const nowMs = performance.now();
  const api = ctx?.api ?? request.routeOptions.url ?? '(unmatched)';
  const seconds = ctx === undefined ? reply.elapsedTime / 1000 : (nowMs - ctx.startMs) / 1000;
  const status = reply.statusCode;
  log.info(
    { method: request.method, api, status, ms: Math.round(seconds * 10_000) / 10 },
    'request',
  );
  if (metrics === null) return;
  metrics.requests.inc({ api, method: request.method, status: String(status) });
  metrics.duration.observe({ api, method: request.method }, seconds);
  const stages = ctx === undefined ? null : stageSeconds(ctx, nowMs);
  if (stages !== null)
    for (let i = 0; i < PAYMENT_STAGES.length; i++)
      metrics.stage.observe({ api, stage: PAYMENT_STAGES[i] }, stages[i]);
}

function errorCodeOf(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  metrics: AppMetrics,
): void {
  const text = typeof payload === 'string' ? payload.slice(0, ERROR_BODY_SCAN_CHARS) : '';
  const code = ERROR_CODE.exec(text)?.[1] ?? 'none';
  const api = request.routeOptions.url ?? '(unmatched)';
  metrics.errors.inc({ api, status: String(reply.statusCode), code });
}

/** Keeps the ids a later callback carries, so its log line names the request that paid. */
function remember(traces: Map<string, string>, txn: TransactionRecord, reqId: string): void {
  const ids = [txn.receipt, txn.requestKey];
  for (const value of Object.values(txn.meta ?? {})) if (typeof value === 'string') ids.push(value);
  for (const id of ids) {
    if (traces.size >= TRACE_IDS_MAX) traces.delete(traces.keys().next().value as string);
    traces.set(id, reqId);
  }
}
