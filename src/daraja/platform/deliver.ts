// Delivering one callback record: render its JSON from the record, POST it to the record's URL,
// and report what happened in the outbox engine's terms. It never throws for a failed send.
//
// Why node:http rather than fetch: the connection must go through the guarded lookup
// (../callback-url.ts), so the address we connect to is the one we checked; a name that resolved
// to a public address at registration can point at 127.0.0.1 by delivery time (DNS rebinding).
// Redirects are not followed, for the same reason.
//
// Per POST, only what differs is built: each callback URL is parsed and checked once (endpointOf),
// connections come from a keep-alive pool whose guarded lookup checks them when they open, and the
// time-out is an entry in one shared timer (outbox/deadlines.ts), not a signal and a timer each.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { StoredRecord } from '../../journal/journal.ts';
import { deadlines } from '../../outbox/deadlines.ts';
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
  const url = parseCallbackBody(record).url;
  const known = originsByUrl.get(url);
  if (known !== undefined) return known;
  const origin = new URL(url).origin;
  // A partner's URL is the same on every callback: one parse per URL, not per record. Bounded.
  if (originsByUrl.size >= ENDPOINTS_CACHED_MAX) originsByUrl.clear();
  originsByUrl.set(url, origin);
  return origin;
}

const originsByUrl = new Map<string, string>();

/** Adapts `deliverCallback` to the outbox engine's Deliverer signature. */
export function createCallbackDeliverer(options: CallbackDeliveryOptions) {
  return (record: StoredRecord, context: DeliveryContext) =>
    deliverCallback(record, context, options);
}

/** How a caller cuts a request short: the engine's attempt context, or nothing. */
export type Cancellation = Pick<DeliveryContext, 'onCancel'>;

/** For a call nobody cuts short but its own time-out (C2B validation, tests). */
export const NOT_CANCELLED: Cancellation = { onCancel: () => {} };

export async function deliverCallback(
  record: StoredRecord,
  cancellation: Cancellation,
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
  const endpoint = endpointOf(url, options.policy);
  if (!endpoint.ok) {
    return { ok: false, latencyMs: elapsed(), error: endpoint.error, retryable: false };
  }
  try {
    const answer = await post(
      endpoint,
      payload,
      {
        policy: options.policy,
        hostCheck: options.hostCheck,
        timeoutMs: options.timeoutMs ?? DELIVERY_TIMEOUT_MS_DEFAULT,
        answerBytesMax: RESPONSE_EXCERPT_BYTES_MAX,
        // Lets a receiver drop a redelivery: the same record always has the same seq.
        headers: { 'x-malipo-delivery': String(record.seq) },
      },
      cancellation,
    );
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
 * time-out or a cancellation. The URL must already have passed `checkCallbackUrl` under `policy`.
 */
export function postJson(
  url: string,
  payload: string,
  options: PostOptions,
  cancellation: Cancellation = NOT_CANCELLED,
): Promise<PostAnswer> {
  const endpoint = endpointOf(url, options.policy);
  if (!endpoint.ok) return Promise.reject(new Error(endpoint.error));
  return post(endpoint, payload, options, cancellation);
}

/** A callback URL parsed and checked once (per policy), with what a request needs from it. */
type Endpoint =
  | {
      readonly ok: true;
      readonly https: boolean;
      readonly hostname: string;
      readonly port: string;
      readonly path: string;
    }
  | { readonly ok: false; readonly error: string };

/**
 * Parsed endpoints per policy, by URL. A partner's callback URL is the same on every callback,
 * so parsing and checking it once saves two URL parses per POST. Bounded: cleared when full.
 */
const endpointsByPolicy = new WeakMap<CallbackUrlPolicy, Map<string, Endpoint>>();
const ENDPOINTS_CACHED_MAX = 10_000;

function endpointOf(url: string, policy: CallbackUrlPolicy): Endpoint {
  let endpoints = endpointsByPolicy.get(policy);
  if (endpoints === undefined) {
    endpoints = new Map();
    endpointsByPolicy.set(policy, endpoints);
  }
  const known = endpoints.get(url);
  if (known !== undefined) return known;
  const check = checkCallbackUrl(url, policy);
  let endpoint: Endpoint;
  if (check.ok) {
    const target = new URL(check.url);
    endpoint = {
      ok: true,
      https: target.protocol === 'https:',
      // node:http wants an IPv6 literal without its brackets.
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port,
      path: `${target.pathname}${target.search}`,
    };
  } else endpoint = { ok: false, error: `${check.problem}: ${check.detail}` };
  if (endpoints.size >= ENDPOINTS_CACHED_MAX) endpoints.clear();
  endpoints.set(url, endpoint);
  return endpoint;
}

/**
 * One POST through the pooled keep-alive agent of (policy, host check). Its time-out is an entry
 * in the thread's shared deadlines; a cancellation destroys the request.
 */
function post(
  endpoint: Extract<Endpoint, { ok: true }>,
  payload: string,
  options: PostOptions,
  cancellation: Cancellation,
): Promise<PostAnswer> {
  const client = clientFor(options);
  return new Promise<PostAnswer>((resolve, reject) => {
    const req = (endpoint.https ? httpsRequest : httpRequest)(
      {
        method: 'POST',
        hostname: endpoint.hostname,
        port: endpoint.port,
        path: endpoint.path,
        agent: endpoint.https ? client.https : client.http,
        lookup: client.lookup,
        headers: {
          ...options.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => readAnswer(res, options.answerBytesMax).then(finish, fail),
    );
    const cancelTimeout = deadlines.add(options.timeoutMs, () =>
      req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)),
    );
    function finish(answer: PostAnswer) {
      cancelTimeout();
      resolve(answer);
    }
    function fail(error: Error) {
      cancelTimeout();
      reject(error);
    }
    req.on('error', fail);
    cancellation.onCancel((reason) => req.destroy(reason));
    req.end(payload);
  });
}

interface PooledClient {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  /** Checks each connection's address when it opens (DNS rebinding). */
  readonly lookup: LookupFunction;
}

// Keep-alive agents and the guarded lookup, one set per (policy, host check): a connection is
// checked by the guarded lookup when it opens, so a pooled one may only be reused under the same
// rules it was opened under. Opening a TCP connection per callback cost more CPU than rendering
// and sending it.
const clientsByPolicy = new WeakMap<object, Map<object | undefined, PooledClient>>();

function clientFor(options: PostOptions): PooledClient {
  let byHostCheck = clientsByPolicy.get(options.policy);
  if (byHostCheck === undefined) {
    byHostCheck = new Map();
    clientsByPolicy.set(options.policy, byHostCheck);
  }
  let client = byHostCheck.get(options.hostCheck);
  if (client === undefined) {
    const settings = {
      keepAlive: true,
      maxSockets: SOCKETS_PER_ORIGIN_MAX,
      maxFreeSockets: FREE_SOCKETS_PER_ORIGIN_MAX,
      timeout: IDLE_SOCKET_MS,
    };
    client = {
      http: new HttpAgent(settings),
      https: new HttpsAgent(settings),
      lookup: createGuardedLookup(options.policy, options.hostCheck),
    };
    byHostCheck.set(options.hostCheck, client);
  }
  return client;
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
