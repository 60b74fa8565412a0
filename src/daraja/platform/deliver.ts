// Delivering one callback record: render its JSON from the record, POST it to the record's URL,
// and report what happened in the outbox engine's terms. It never throws for a failed send.
//
// Why node:http rather than fetch: the connection must go through the guarded lookup
// (../callback-url.ts), so the address we connect to is the one we checked; a name that resolved
// to a public address at registration can point at 127.0.0.1 by delivery time (DNS rebinding).
// Redirects are not followed, for the same reason.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { StoredRecord } from '../../journal/journal.ts';
import type { AttemptResult, DeliveryContext } from '../../outbox/model.ts';
import {
  type CallbackUrlPolicy,
  checkCallbackUrl,
  createGuardedLookup,
  type HostCheckOptions,
} from '../callback-url.ts';
import { parseCallbackBody, renderCallback } from './callbacks.ts';

/** The most of a receiver's answer we keep for the delivery log (the engine's own limit). */
export const RESPONSE_EXCERPT_BYTES_MAX = 512;
/** Each POST gives up after this long even without an engine signal. */
export const DELIVERY_TIMEOUT_MS_DEFAULT = 10_000;
/**
 * Connections kept open to one receiver origin. The engine's per-endpoint concurrency limit is
 * lower, so this only bounds a burst from several engines sharing the agent.
 */
const SOCKETS_PER_ORIGIN_MAX = 256;
/** Idle connections kept per origin, and how long one may stay idle before it is closed. */
const FREE_SOCKETS_PER_ORIGIN_MAX = 64;
const IDLE_SOCKET_MS = 30_000;
/** Statuses worth retrying: the receiver may answer differently later. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);

export interface CallbackDeliveryOptions {
  /** Checked again at delivery: production refuses loopback and private addresses here too. */
  readonly policy: CallbackUrlPolicy;
  readonly utcOffsetMinutes: number;
  readonly timeoutMs?: number;
  readonly hostCheck?: HostCheckOptions;
}

/** The per-endpoint concurrency key: the callback URL's origin. */
export function callbackEndpointOf(record: Pick<StoredRecord, 'body'>): string {
  return new URL(parseCallbackBody(record).url).origin;
}

/** Adapts `deliverCallback` to the outbox engine's Deliverer signature. */
export function createCallbackDeliverer(options: CallbackDeliveryOptions) {
  return (record: StoredRecord, context: DeliveryContext) =>
    deliverCallback(record, context.signal, options);
}

export async function deliverCallback(
  record: StoredRecord,
  signal: AbortSignal,
  options: CallbackDeliveryOptions,
): Promise<AttemptResult> {
  const startedMs = performance.now();
  const elapsed = () => Math.round((performance.now() - startedMs) * 100) / 100;
  let url: string;
  let payload: string;
  try {
    url = parseCallbackBody(record).url;
    payload = JSON.stringify(renderCallback(record, options.utcOffsetMinutes));
  } catch (error) {
    // A record we cannot read will not read better later.
    return {
      ok: false,
      latencyMs: elapsed(),
      error: `bad record: ${messageOf(error)}`,
      retryable: false,
    };
  }
  const check = checkCallbackUrl(url, options.policy);
  if (!check.ok) {
    return {
      ok: false,
      latencyMs: elapsed(),
      error: `${check.problem}: ${check.detail}`,
      retryable: false,
    };
  }
  try {
    const answer = await postJson(check.url, payload, signal, {
      policy: options.policy,
      hostCheck: options.hostCheck,
      timeoutMs: options.timeoutMs ?? DELIVERY_TIMEOUT_MS_DEFAULT,
      answerBytesMax: RESPONSE_EXCERPT_BYTES_MAX,
      // Lets a receiver drop a redelivery: the same record always has the same seq.
      headers: { 'x-malipo-delivery': String(record.seq) },
    });
    const retryable = answer.status >= 500 || RETRYABLE_STATUSES.has(answer.status);
    const ok = answer.status >= 200 && answer.status < 300;
    return {
      ok,
      status: answer.status,
      latencyMs: elapsed(),
      responseExcerpt: answer.excerpt,
      retryable: !ok && retryable,
      ...(ok ? {} : { error: `HTTP ${answer.status}` }),
    };
  } catch (error) {
    return { ok: false, latencyMs: elapsed(), error: messageOf(error), retryable: true };
  }
}

export interface PostAnswer {
  readonly status: number;
  readonly excerpt: string;
}

export interface PostOptions {
  readonly policy: CallbackUrlPolicy;
  readonly timeoutMs: number;
  readonly hostCheck?: HostCheckOptions;
  /** The most of the answer read; the connection is dropped after it. */
  readonly answerBytesMax: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * POSTs JSON to a partner URL through the guarded lookup; rejects on a network failure, a
 * time-out or an abort. The URL must already have passed `checkCallbackUrl` under `policy`.
 */
export function postJson(
  url: string,
  payload: string,
  signal: AbortSignal,
  options: PostOptions,
): Promise<PostAnswer> {
  const target = new URL(url);
  const https = target.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  const agents = agentsFor(options);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  return new Promise<PostAnswer>((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        agent: https ? agents.https : agents.http,
        lookup: createGuardedLookup(options.policy, options.hostCheck),
        signal: AbortSignal.any([signal, timeout]),
        headers: {
          ...options.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => readAnswer(res, options.answerBytesMax).then(resolve, reject),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

interface Agents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

// Keep-alive agents, one pair per (policy, host check): a connection is checked by the guarded
// lookup when it opens, so a pooled one may only be reused under the same rules it was opened
// under. Opening a TCP connection per callback cost more CPU than rendering and sending it.
const agentsByPolicy = new WeakMap<object, Map<object | undefined, Agents>>();

function agentsFor(options: PostOptions): Agents {
  let byHostCheck = agentsByPolicy.get(options.policy);
  if (byHostCheck === undefined) {
    byHostCheck = new Map();
    agentsByPolicy.set(options.policy, byHostCheck);
  }
  let agents = byHostCheck.get(options.hostCheck);
  if (agents === undefined) {
    const settings = {
      keepAlive: true,
      maxSockets: SOCKETS_PER_ORIGIN_MAX,
      maxFreeSockets: FREE_SOCKETS_PER_ORIGIN_MAX,
      timeout: IDLE_SOCKET_MS,
    };
    agents = { http: new HttpAgent(settings), https: new HttpsAgent(settings) };
    byHostCheck.set(options.hostCheck, agents);
  }
  return agents;
}

/** Reads at most `bytesMax` of the answer, then hangs up. */
function readAnswer(res: IncomingMessage, bytesMax: number): Promise<PostAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      const excerpt = Buffer.concat(chunks).subarray(0, bytesMax).toString('utf8');
      resolve({ status: res.statusCode ?? 0, excerpt });
    };
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= bytesMax) {
        res.destroy();
        done();
      }
    });
    res.on('end', done);
    res.on('error', done);
    res.on('close', done);
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
