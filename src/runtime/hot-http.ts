// The hot Daraja routes of a channel process without fastify (decision 0031): node:http's request
// straight to token verification, the route's parser and a binary command, and the owner's
// outcome written as the single process writes it (the same status, headers and JSON, byte for
// byte). Only the plain case takes this path: a POST with `Content-Type: application/json`, a
// Content-Length within Daraja's limit and a body that JSON.parse reads without prototype keys.
// Anything else (another media type, a chunked or empty or oversized body, bad JSON) goes to
// the channel's fastify, whose error handling it needs; bad JSON after the body was read goes
// through fastify's inject with the same body, so its answer is fastify's own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { GATEWAY_ERRORS, RETRY_AFTER_SECONDS } from '../daraja/errors.ts';
import type { DarajaIdGenerator } from '../daraja/ids.ts';
import type { DarajaRouteSpec } from '../daraja/platform/command-routes.ts';
import {
  type DarajaReply,
  errorReply,
  type IdSequence,
  verifyBearer,
} from '../daraja/platform/http.ts';
import { DARAJA_BODY_BYTES_MAX } from '../daraja/platform/model.ts';
import type { TokenCodec } from '../daraja/platform/tokens.ts';
import type { ParseOptions } from '../daraja/requests.ts';
import { darajaReplyFromFrame, encodeDarajaCommand, REPLY_KIND } from './commands.ts';
import { type OwnerLink, OwnerUnavailableError } from './owner-link.ts';

export interface HotCommandDeps {
  readonly link: OwnerLink;
  readonly parseOptions: ParseOptions;
  readonly tokens: TokenCodec;
  readonly ids: DarajaIdGenerator;
  readonly sequence: IdSequence;
  /** A command the owner failed (a bug there): logged here, answered Daraja's 500. */
  readonly onFailed: (message: string) => void;
}

/** What fastify's reply.type('application/json') sends. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** The request media types the lean path reads; fastify's JSON parser takes them the same way. */
const PLAIN_JSON = new Set(['application/json', 'application/json; charset=utf-8']);
/** Keys fastify's JSON parser (secure-json-parse) refuses; a body naming them goes to fastify. */
const POISON = /__proto__|constructor/;
/** Headers light-my-request makes up that the real server adds itself. */
const INJECT_ONLY = new Set(['date', 'keep-alive', 'transfer-encoding']);

/**
 * Authenticates and parses a hot Daraja request, sends it to the owner and returns the answer
 * the partner gets. Shared by the lean path and the channel's fastify route, so both say the same.
 */
export async function runHotCommand(
  deps: HotCommandDeps,
  spec: DarajaRouteSpec<unknown>,
  path: string,
  authorization: unknown,
  body: unknown,
): Promise<DarajaReply> {
  const requestId = () => deps.ids.requestId(deps.sequence.next());
  const auth = verifyBearer(deps.tokens, spec.api, authorization, Date.now());
  if (!auth.ok) return errorReply(auth.error, requestId());
  const parsed = spec.parse(body, deps.parseOptions);
  const { kind, body: frameBody } = encodeDarajaCommand({ path, subject: auth.subject, parsed });
  try {
    const frame = await deps.link.request(kind, frameBody);
    if (frame.kind === REPLY_KIND.failed) {
      deps.onFailed(frame.body.toString('utf8'));
      return errorReply(GATEWAY_ERRORS.internalServerError, requestId());
    }
    return darajaReplyFromFrame(frame);
  } catch (error) {
    // Not connected, cut off mid-flight, or saturated: the request may or may not have run; the
    // partner retries with the same ids and the owner's idempotency gives one outcome.
    if (error instanceof OwnerUnavailableError)
      return errorReply(GATEWAY_ERRORS.systemBusy, requestId());
    throw error;
  }
}

/** True when the status tells the client when to come back (429, 503), as HTTP asks. */
export function hasRetryAfter(status: number): boolean {
  return status === 429 || status === 503;
}

/** Whether the lean path can read this request as fastify would, before reading its body. */
export function leanEligible(request: IncomingMessage): boolean {
  const headers = request.headers;
  if (headers['transfer-encoding'] !== undefined) return false;
  const type = headers['content-type'];
  if (type === undefined || !PLAIN_JSON.has(type.toLowerCase())) return false;
  const length = Number(headers['content-length']);
  return Number.isSafeInteger(length) && length > 0 && length <= DARAJA_BODY_BYTES_MAX;
}

/**
 * Serves one eligible request of `spec`'s route. `app` is the channel's fastify, for a body
 * only its parser may judge.
 */
export function serveLean(
  deps: HotCommandDeps,
  app: FastifyInstance,
  spec: DarajaRouteSpec<unknown>,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = POISON.test(text) ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body === undefined) {
      viaInject(app, request, response, raw);
      return;
    }
    runHotCommand(deps, spec, path, request.headers.authorization, body).then(
      (reply) => writeReply(response, reply),
      (error: Error) => {
        deps.onFailed(error.message);
        writeReply(
          response,
          errorReply(GATEWAY_ERRORS.internalServerError, deps.ids.requestId(deps.sequence.next())),
        );
      },
    );
  });
}

function writeReply(response: ServerResponse, reply: DarajaReply): void {
  if (response.destroyed) return;
  const headers: Record<string, string | number> = {};
  if (hasRetryAfter(reply.status)) headers['retry-after'] = RETRY_AFTER_SECONDS;
  headers['content-type'] = JSON_CONTENT_TYPE;
  headers['content-length'] = Buffer.byteLength(reply.body);
  response.writeHead(reply.status, headers);
  response.end(reply.body);
}

/** Fastify's own answer to a body the lean path would not judge (bad JSON, prototype keys). */
function viaInject(
  app: FastifyInstance,
  request: IncomingMessage,
  response: ServerResponse,
  raw: Buffer,
): void {
  app
    .inject({
      method: 'POST',
      url: request.url ?? '/',
      headers: request.headers,
      payload: raw,
      remoteAddress: request.socket.remoteAddress,
    })
    .then((answer) => {
      if (response.destroyed) return;
      const headers: Record<string, string | string[] | number> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value === undefined || INJECT_ONLY.has(name)) continue;
        // fastify's `connection: close` after a body it refused is kept; a keep-alive is node's.
        if (name === 'connection' && value !== 'close') continue;
        headers[name] = value;
      }
      response.writeHead(answer.statusCode, headers);
      response.end(answer.rawPayload);
    })
    .catch(() => response.destroy());
}
