// HTTP plumbing shared by every Daraja route: Daraja's error body for everything that goes wrong
// (never fastify's own), bearer-token authentication, the app's API products and rate limit, and
// request ids in Daraja's format.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Parsed } from '../coerce.ts';
import {
  type DarajaApi,
  type DarajaInputError,
  GATEWAY_ERRORS,
  type GatewayErrorSpec,
  gatewayErrorReply,
  inputErrorSpec,
  invalidAccessTokenError,
  RETRY_AFTER_SECONDS,
} from '../errors.ts';
import type { DarajaIdGenerator } from '../ids.ts';
import { type ParseOptions, parseBearerToken } from '../requests.ts';
import { COMMAND_ROUTES_PREFIX, type DarajaRouteSpec } from './command-routes.ts';
import { type Clock, DARAJA_BODY_BYTES_MAX, type DarajaApp } from './model.ts';
import type { AppRateLimiter } from './rate-limit.ts';
import type { PlatformState } from './state.ts';
import type { TokenCodec } from './tokens.ts';

/**
 * Sequences for Daraja ids: unique per node across restarts as long as the clock does not go
 * back, since each starts at the current millisecond × 1000 (fewer than 1000 ids per ms).
 */
export class IdSequence {
  #last = 0;

  constructor(private readonly clock: Clock) {}

  next(): number {
    this.#last = Math.max(this.#last + 1, this.clock.nowMs() * 1000);
    return this.#last;
  }
}

export interface HttpDeps {
  readonly state: PlatformState;
  readonly tokens: TokenCodec;
  readonly limiter: AppRateLimiter;
  readonly ids: DarajaIdGenerator;
  readonly sequence: IdSequence;
  readonly clock: Clock;
  /** The owner's half of every command route, by full path (filled as routes register). */
  readonly commands: Map<string, CommandRoute>;
}

export interface DarajaCall {
  readonly app: DarajaApp;
  readonly body: unknown;
  /**
   * For an error body; Daraja's gateway issues one per request. Made on first read (an HMAC,
   * ~2.5 µs): most requests succeed and never show it.
   */
  readonly requestId: string;
  readonly nowMs: number;
}

/** A request's Daraja requestId, made from the node's sequence the first time it is asked for. */
class LazyRequestId {
  #value: string | undefined;

  constructor(private readonly deps: HttpDeps) {}

  get value(): string {
    this.#value ??= this.deps.ids.requestId(this.deps.sequence.next());
    return this.#value;
  }
}

export type DarajaAnswer =
  | { readonly status: 200; readonly body: unknown }
  | { readonly error: GatewayErrorSpec; readonly requestId?: string };

export function ok(body: unknown): DarajaAnswer {
  return { status: 200, body };
}

export function fail(error: GatewayErrorSpec, requestId?: string): DarajaAnswer {
  return requestId === undefined ? { error } : { error, requestId };
}

export function failInput(error: DarajaInputError): DarajaAnswer {
  return { error: inputErrorSpec(error) };
}

export function sendError(reply: FastifyReply, spec: GatewayErrorSpec, requestId: string) {
  const { httpStatus, body } = gatewayErrorReply(spec, requestId);
  // 429 (rate limit) and 503 (overload) tell the client when to come back, as HTTP asks.
  if (httpStatus === 429 || httpStatus === 503) reply.header('retry-after', RETRY_AFTER_SECONDS);
  return reply.code(httpStatus).type('application/json').send(body);
}

/** The gateway error for an error fastify raised before or around a handler. */
export function specForFrameworkError(error: {
  statusCode?: number;
  name?: string;
  code?: string;
}): GatewayErrorSpec {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return GATEWAY_ERRORS.requestTooLarge;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return GATEWAY_ERRORS.unsupportedMediaType;
  }
  // The ledger's queue is full: shed load the way Daraja's gateway does.
  if (error.name === 'LedgerOverloadedError') return GATEWAY_ERRORS.systemBusy;
  const status = error.statusCode ?? 500;
  if (status === 404) return GATEWAY_ERRORS.resourceNotFound;
  if (status === 405) return GATEWAY_ERRORS.methodNotAllowed;
  if (status === 413) return GATEWAY_ERRORS.requestTooLarge;
  if (status === 415) return GATEWAY_ERRORS.unsupportedMediaType;
  return status < 500 ? GATEWAY_ERRORS.invalidRequestPayload : GATEWAY_ERRORS.internalServerError;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/** Unknown path (404) or a known path with the wrong method (405), in Daraja's shape. */
export function notFoundSpec(app: FastifyInstance, request: FastifyRequest): GatewayErrorSpec {
  const url = request.url.split('?')[0] ?? '/';
  const elsewhere = METHODS.some(
    (method) => method !== request.method && app.findRoute({ method, url }) !== null,
  );
  return elsewhere ? GATEWAY_ERRORS.methodNotAllowed : GATEWAY_ERRORS.resourceNotFound;
}

/**
 * Daraja's error shape for every path no route serves (not only under /mpesa): a partner's typo
 * in the version or the prefix meets the same body as any other error.
 */
export function darajaNotFound(app: FastifyInstance, deps: HttpDeps): void {
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, notFoundSpec(app, request), deps.ids.requestId(deps.sequence.next())),
  );
}

/**
 * Fastify's `clientErrorHandler`: errors node's HTTP parser raises before any route runs (headers
 * too large, a malformed request line) answered in Daraja's error shape, not fastify's. The
 * request never reached the gateway, so its requestId is a fresh random one.
 */
export function darajaClientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer (node's own advice for 'clientError').
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const spec =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? GATEWAY_ERRORS.headersTooLarge
      : GATEWAY_ERRORS.invalidRequestPayload;
  const { httpStatus, body } = gatewayErrorReply(spec, randomUUID());
  const json = JSON.stringify(body);
  const reason = httpStatus === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${httpStatus} ${reason}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}

function sendAnswer(reply: FastifyReply, answer: DarajaAnswer, requestId: LazyRequestId) {
  if ('error' in answer) return sendError(reply, answer.error, answer.requestId ?? requestId.value);
  return reply.code(200).type('application/json').send(answer.body);
}

/**
 * A fastify scope under `prefix` whose every failure (bad JSON, wrong content type, body too
 * large, unknown path, wrong method, a bug) is answered in Daraja's error shape.
 */
export function darajaScope(
  app: FastifyInstance,
  prefix: string,
  deps: Pick<HttpDeps, 'ids' | 'sequence'>,
  routes: (scope: FastifyInstance) => void,
): void {
  void app.register(
    async (scope) => {
      const requestId = () => deps.ids.requestId(deps.sequence.next());
      scope.setErrorHandler(
        (error: { statusCode?: number; name?: string; code?: string }, request, reply) => {
          const spec = specForFrameworkError(error);
          if (spec === GATEWAY_ERRORS.internalServerError) request.log.error(error);
          return sendError(reply, spec, requestId());
        },
      );
      scope.setNotFoundHandler((request, reply) =>
        sendError(reply, notFoundSpec(scope, request), requestId()),
      );
      routes(scope);
    },
    { prefix },
  );
}

/** The app behind a bearer token, or the gateway error Daraja gives for this API family. */
export function authenticateCall(
  deps: HttpDeps,
  api: DarajaApi,
  authorization: unknown,
  nowMs: number,
): { ok: true; app: DarajaApp } | { ok: false; error: GatewayErrorSpec } {
  const subject = verifyBearer(deps.tokens, api, authorization, nowMs);
  if (!subject.ok) return subject;
  return authorizeApp(deps, api, subject.subject, nowMs);
}

/**
 * The stateless half of authentication: the token's subject (an app's number), or the error. A
 * channel process runs it with the same key as the owner (the data folder's daraja-token-key).
 */
export function verifyBearer(
  tokens: TokenCodec,
  api: DarajaApi,
  authorization: unknown,
  nowMs: number,
): { ok: true; subject: number } | { ok: false; error: GatewayErrorSpec } {
  const bearer = parseBearerToken(authorization);
  if (!bearer.ok) return { ok: false, error: GATEWAY_ERRORS.invalidAuthenticationHeader };
  const claims = tokens.verify('access', bearer.value, nowMs);
  if (claims === null) return { ok: false, error: invalidAccessTokenError(api) };
  return { ok: true, subject: claims.subject };
}

/** The half that needs shared state: the app still exists, its rate limit, its products. */
function authorizeApp(
  deps: HttpDeps,
  api: DarajaApi,
  subject: number,
  nowMs: number,
): { ok: true; app: DarajaApp } | { ok: false; error: GatewayErrorSpec } {
  const app = deps.state.appsBySeq.get(subject);
  if (app === undefined) return { ok: false, error: invalidAccessTokenError(api) };
  if (!deps.limiter.take(app.id, nowMs, deps.state.rateLimits.get(app.id))) {
    return { ok: false, error: GATEWAY_ERRORS.spikeArrestViolation };
  }
  if (!app.products.includes(api)) return { ok: false, error: GATEWAY_ERRORS.productNotEnabled };
  return { ok: true, app };
}

/** POST `path` for one Daraja API: authenticate, then hand the body to `handler`. */
export function darajaPost(
  scope: FastifyInstance,
  path: string,
  api: DarajaApi,
  deps: HttpDeps,
  handler: (call: DarajaCall) => Promise<DarajaAnswer>,
): void {
  scope.post(path, { bodyLimit: DARAJA_BODY_BYTES_MAX }, async (request: FastifyRequest, reply) => {
    const requestId = new LazyRequestId(deps);
    const nowMs = deps.clock.nowMs();
    const auth = authenticateCall(deps, api, request.headers.authorization, nowMs);
    if (!auth.ok) return sendError(reply, auth.error, requestId.value);
    const { app } = auth;
    const body = request.body;
    const answer = await handler({
      app,
      body,
      nowMs,
      get requestId() {
        return requestId.value;
      },
    });
    return sendAnswer(reply, answer, requestId);
  });
}

/** True when the app may act for this shortcode. */
export function ownsShortcode(app: DarajaApp, shortcode: string): boolean {
  return app.shortcodes.includes(shortcode);
}

// --- Command routes: the same route run in one process or split between channel and owner ---

/** What a command route's owner half gets: the app (authorized), ids and time. */
export type DarajaCommandCall = Omit<DarajaCall, 'body'>;

/** The owner half: decides with platform state, given the parse outcome (parsing ran first). */
export type CommandHandler<V> = (
  call: DarajaCommandCall,
  parsed: Parsed<V>,
) => Promise<DarajaAnswer>;

export interface CommandRoute {
  readonly api: DarajaApi;
  readonly run: CommandHandler<unknown>;
}

/** A Daraja request as a channel process sends it: verified token subject and parse outcome. */
export interface DarajaCommand {
  /** The route's full path, e.g. /mpesa/b2c/v1/paymentrequest. */
  readonly path: string;
  readonly subject: number;
  readonly parsed: Parsed<unknown>;
}

/** An answer ready for the wire: HTTP status and the JSON body as text. */
export interface DarajaReply {
  readonly status: number;
  readonly body: string;
}

/**
 * Registers `spec` as a POST route of `scope` (under COMMAND_ROUTES_PREFIX) and as a command the
 * owner can execute. Both run the same steps in the same order: token, app (rate limit,
 * products), then the handler with the parse outcome, so an invalid body still spends a token.
 */
export function darajaCommandPost<V>(
  scope: FastifyInstance,
  spec: DarajaRouteSpec<V>,
  deps: HttpDeps & { readonly parseOptions: ParseOptions },
  run: CommandHandler<V>,
): void {
  deps.commands.set(COMMAND_ROUTES_PREFIX + spec.path, {
    api: spec.api,
    run: run as CommandHandler<unknown>,
  });
  scope.post(spec.path, { bodyLimit: DARAJA_BODY_BYTES_MAX }, async (request, reply) => {
    const requestId = new LazyRequestId(deps);
    const nowMs = deps.clock.nowMs();
    const auth = authenticateCall(deps, spec.api, request.headers.authorization, nowMs);
    if (!auth.ok) return sendError(reply, auth.error, requestId.value);
    const parsed = spec.parse(request.body, deps.parseOptions);
    return sendAnswer(reply, await run(commandCall(auth.app, requestId, nowMs), parsed), requestId);
  });
}

/** A command route's call, its requestId made only if the answer needs one. */
function commandCall(app: DarajaApp, requestId: LazyRequestId, nowMs: number): DarajaCommandCall {
  return {
    app,
    nowMs,
    get requestId() {
      return requestId.value;
    },
  };
}

/** A command's outcome before it is text: a channel process encodes it (src/runtime/commands.ts). */
export type DarajaOutcome =
  | { readonly status: 200; readonly body: unknown }
  | { readonly error: GatewayErrorSpec; readonly requestId: string };

/** The owner's half of a command a channel sent: authorize the app, then run the route. */
export async function runDarajaCommand(
  deps: HttpDeps,
  command: DarajaCommand,
): Promise<DarajaOutcome> {
  const requestId = new LazyRequestId(deps);
  const route = deps.commands.get(command.path);
  if (route === undefined)
    return { error: GATEWAY_ERRORS.resourceNotFound, requestId: requestId.value };
  const nowMs = deps.clock.nowMs();
  const auth = authorizeApp(deps, route.api, command.subject, nowMs);
  if (!auth.ok) return { error: auth.error, requestId: requestId.value };
  const answer = await route.run(commandCall(auth.app, requestId, nowMs), command.parsed);
  if ('error' in answer)
    return { error: answer.error, requestId: answer.requestId ?? requestId.value };
  return answer;
}

/** An outcome as the partner receives it. */
export function darajaReplyOf(outcome: DarajaOutcome): DarajaReply {
  if ('error' in outcome) return errorReply(outcome.error, outcome.requestId);
  return { status: 200, body: JSON.stringify(outcome.body) };
}

export function errorReply(spec: GatewayErrorSpec, requestId: string): DarajaReply {
  const { httpStatus, body } = gatewayErrorReply(spec, requestId);
  return { status: httpStatus, body: JSON.stringify(body) };
}
