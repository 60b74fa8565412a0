// HTTP plumbing shared by every Daraja route: Daraja's error body for everything that goes wrong
// (never fastify's own), bearer-token authentication, the app's API products and rate limit, and
// request ids in Daraja's format.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type DarajaApi,
  type DarajaInputError,
  GATEWAY_ERRORS,
  type GatewayErrorSpec,
  gatewayErrorReply,
  inputErrorSpec,
  invalidAccessTokenError,
} from '../errors.ts';
import type { DarajaIdGenerator } from '../ids.ts';
import { parseBearerToken } from '../requests.ts';
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
}

export interface DarajaCall {
  readonly app: DarajaApp;
  readonly body: unknown;
  /** For an error body; Daraja's gateway issues one per request. */
  readonly requestId: string;
  readonly nowMs: number;
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
  return reply.code(httpStatus).type('application/json').send(body);
}

function sendAnswer(reply: FastifyReply, answer: DarajaAnswer, requestId: string) {
  if ('error' in answer) return sendError(reply, answer.error, answer.requestId ?? requestId);
  return reply.code(200).type('application/json').send(answer.body);
}

/**
 * A fastify scope under `prefix` whose every failure (bad JSON, wrong content type, body too
 * large, unknown path, wrong method, a bug) is answered in Daraja's error shape.
 */
export function darajaScope(
  app: FastifyInstance,
  prefix: string,
  deps: HttpDeps,
  routes: (scope: FastifyInstance) => void,
): void {
  void app.register(
    async (scope) => {
      const requestId = () => deps.ids.requestId(deps.sequence.next());
      scope.setErrorHandler((error: { statusCode?: number; name?: string }, request, reply) => {
        const clientError = (error.statusCode ?? 500) < 500;
        // The ledger's queue is full: shed load the way Daraja's gateway does.
        const overloaded = error.name === 'LedgerOverloadedError';
        if (!clientError && !overloaded) request.log.error(error);
        const spec = clientError
          ? GATEWAY_ERRORS.invalidRequestPayload
          : overloaded
            ? GATEWAY_ERRORS.systemBusy
            : GATEWAY_ERRORS.internalServerError;
        return sendError(reply, spec, requestId());
      });
      scope.setNotFoundHandler((request, reply) => {
        const spec =
          request.method === 'POST' || request.method === 'GET'
            ? GATEWAY_ERRORS.resourceNotFound
            : GATEWAY_ERRORS.methodNotAllowed;
        return sendError(reply, spec, requestId());
      });
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
  const bearer = parseBearerToken(authorization);
  if (!bearer.ok) return { ok: false, error: GATEWAY_ERRORS.invalidAuthenticationHeader };
  const claims = deps.tokens.verify('access', bearer.value, nowMs);
  const app = claims === null ? undefined : deps.state.appsBySeq.get(claims.subject);
  if (app === undefined) return { ok: false, error: invalidAccessTokenError(api) };
  if (!deps.limiter.take(app.id, nowMs)) {
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
    const requestId = deps.ids.requestId(deps.sequence.next());
    const nowMs = deps.clock.nowMs();
    const auth = authenticateCall(deps, api, request.headers.authorization, nowMs);
    if (!auth.ok) return sendError(reply, auth.error, requestId);
    const answer = await handler({ app: auth.app, body: request.body, requestId, nowMs });
    return sendAnswer(reply, answer, requestId);
  });
}

/** True when the app may act for this shortcode. */
export function ownsShortcode(app: DarajaApp, shortcode: string): boolean {
  return app.shortcodes.includes(shortcode);
}
