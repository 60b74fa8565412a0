// The FSPIOP endpoints Malipo serves as a payee FSP. Each request is checked synchronously
// (headers, routing, body shape) and refused with HTTP 400 and the scheme's errorInformation when
// it is malformed or mis-routed — we cannot trust its routing enough to call anyone back. A
// well-formed request is accepted with 202 and answered asynchronously by a PUT callback to the
// hub (or PUT …/error), as the API's asynchronous pattern requires.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerCallbackRoutes } from './callbacks.ts';
import type { Courier, FspiopMessage } from './courier.ts';
import {
  type ErrorInformation,
  errorInformation,
  type FspiopHeaders,
  type FspiopResource,
  INTEROP_LIMITS,
  type Parsed,
} from './model.ts';
import {
  parseCorrelationId,
  parseHeaders,
  parseMsisdn,
  parseQuoteRequest,
  parseTransferRequest,
} from './parse.ts';
import type { Answer, PayeeFsp } from './payee.ts';
import type { PayerFsp } from './payer.ts';
import { Wire } from './wire.ts';

export interface InteropRouteDeps {
  payee: PayeeFsp;
  /** Absent: Malipo only receives (no callback routes for our own requests). */
  payer?: PayerFsp;
  courier: Courier;
  fspId: string;
  currency: string;
  /** Signature checks and ISO 20022 decoding; default plain FSPIOP, no keys. */
  wire?: Wire;
  /** The wall clock a message's Date is checked against; default Date.now. */
  nowMs?: () => number;
}

/**
 * How far a message's Date may be from our clock. FSPIOP signs the Date (FSPIOP-Date in the JWS
 * protected header) but sets no window; five minutes is the usual allowance for clock skew
 * (Kerberos, AWS SigV4), and beyond it a captured message can no longer be replayed.
 */
export const DATE_SKEW_MS_MAX = 5 * 60_000;

/** Null for a Date within the window; else 3102 (missing), 3101 (malformed) or 3100 (stale). */
export function checkDate(
  value: string | string[] | undefined,
  nowMs: number,
): ErrorInformation | null {
  if (value === undefined || value === '') return errorInformation('missingElement', 'Date');
  const dateMs = Array.isArray(value) ? Number.NaN : Date.parse(value);
  if (!Number.isFinite(dateMs)) return errorInformation('malformedSyntax', 'Date');
  if (Math.abs(dateMs - nowMs) > DATE_SKEW_MS_MAX)
    return errorInformation(
      'validation',
      `Date ${value} is more than ${DATE_SKEW_MS_MAX / 60_000} minutes from our clock`,
    );
  return null;
}

/** FSPIOP 1.1 (`…interoperability.transfers+json`) and ISO 20022 (`…iso20022.transfers+json`). */
const FSPIOP_TYPE = /^application\/vnd\.interoperability\.[a-z0-9.]+\+json/;

export function registerInteropRoutes(app: FastifyInstance, deps: InteropRouteDeps): void {
  // A plugin scope: the FSPIOP content types and error shapes apply to these routes only.
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      FSPIOP_TYPE,
      { parseAs: 'string', bodyLimit: INTEROP_LIMITS.bodyBytesMax },
      (request, body, done) => {
        try {
          // The bytes as sent, for the signature check (wire.ts).
          (request as RawBodied).rawBody = String(body);
          done(null, JSON.parse(String(body)));
        } catch {
          done(Object.assign(new Error('malformed JSON'), { statusCode: 400, fspiop: '3101' }));
        }
      },
    );
    scope.setErrorHandler((error: { statusCode?: number; code?: string }, request, reply) => {
      if (error.statusCode === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return refuse(reply, errorInformation('tooLarge'));
      if (error.statusCode === 415 || error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
        return refuse(reply, errorInformation('malformedSyntax', 'unsupported content type'));
      if ((error.statusCode ?? 500) < 500)
        return refuse(reply, errorInformation('malformedSyntax', 'unreadable request'));
      request.log.error(error);
      return reply.code(500).send({ errorInformation: errorInformation('internal') });
    });
    const wire = deps.wire ?? new Wire({ fspId: deps.fspId });
    // Before any handler: a message dated outside the window is refused (3100), a wrongly signed
    // one (3105) and an ISO 20022 body is
    // replaced by its FSPIOP form, or refused when it has none — in both cases nothing moves.
    const now = deps.nowMs ?? Date.now;
    scope.addHook('preHandler', async (request, reply) => {
      // A stale Date first: an old message, even correctly signed, is a replay.
      const stale = checkDate(request.headers.date, now());
      if (stale !== null) return refuse(reply, stale);
      const decoded = wire.decode({
        method: request.method,
        path: request.url.split('?')[0],
        headers: request.headers,
        rawBody: (request as RawBodied).rawBody,
        body: request.body,
      });
      if (!decoded.ok) return refuse(reply, decoded.error);
      request.body = decoded.body;
    });
    const opts = { bodyLimit: INTEROP_LIMITS.bodyBytesMax };
    scope.get('/parties/:type/:id', opts, (request, reply) => getParty(deps, request, reply));
    scope.post('/quotes', opts, (request, reply) => postQuote(deps, request, reply));
    scope.post('/transfers', opts, (request, reply) => postTransfer(deps, request, reply));
    scope.get('/transfers/:id', opts, (request, reply) => getTransfer(deps, request, reply));
    if (deps.payer !== undefined)
      registerCallbackRoutes(scope, { ...deps, payer: deps.payer, routed, refuse });
  });
}

type RawBodied = FastifyRequest & { rawBody?: string };

export function refuse(reply: FastifyReply, error: ErrorInformation) {
  return reply.code(400).send({ errorInformation: error });
}

/** Headers, and the destination must be us: a message for another FSP is mis-routed. */
export function routed(
  deps: { fspId: string },
  request: FastifyRequest,
  resource: FspiopResource,
): Parsed<FspiopHeaders> {
  const headers = parseHeaders(request.headers, resource);
  if (!headers.ok) return headers;
  const { destination } = headers.value;
  if (destination !== null && destination !== deps.fspId)
    return {
      ok: false,
      error: errorInformation(
        'destinationFsp',
        `FSPIOP-Destination ${destination} is not this FSP`,
      ),
    };
  return headers;
}

/**
 * Answers with 202 now and decides after the reply, without holding the request; the answer is
 * committed to the journal and delivered by the courier (a fulfilment commits with the money).
 */
function accept(
  deps: InteropRouteDeps,
  reply: FastifyReply,
  resource: FspiopResource,
  path: string,
  destination: string,
  work: () => Answer | Promise<Answer>,
) {
  setImmediate(async () => {
    let answer: Answer;
    try {
      answer = await work();
    } catch (error) {
      console.error(`malipo interop: ${path}: ${(error as Error).message}`);
      answer = { kind: 'error', error: errorInformation('internal') };
    }
    if (answer.kind === 'committed') deps.courier.wake();
    if (answer.kind !== 'put' && answer.kind !== 'error') return;
    const message: FspiopMessage =
      answer.kind === 'put'
        ? { method: 'PUT', resource, path, destination, body: answer.body }
        : {
            method: 'PUT',
            resource,
            path: `${path}/error`,
            destination,
            body: { errorInformation: answer.error },
          };
    await deps.courier
      .send([message])
      .catch((error) => console.error(`malipo interop: ${path}: ${(error as Error).message}`));
  });
  return reply.code(202).send();
}

function getParty(deps: InteropRouteDeps, request: FastifyRequest, reply: FastifyReply) {
  const headers = routed(deps, request, 'parties');
  if (!headers.ok) return refuse(reply, headers.error);
  const { type, id } = request.params as { type: string; id: string };
  if (type !== 'MSISDN')
    return refuse(reply, errorInformation('validation', 'only MSISDN party ids are supported'));
  const msisdn = parseMsisdn(id);
  if (!msisdn.ok) return refuse(reply, msisdn.error);
  return accept(
    deps,
    reply,
    'parties',
    `/parties/MSISDN/${msisdn.value}`,
    headers.value.source,
    () => deps.payee.lookupParty(msisdn.value),
  );
}

function postQuote(deps: InteropRouteDeps, request: FastifyRequest, reply: FastifyReply) {
  const headers = routed(deps, request, 'quotes');
  if (!headers.ok) return refuse(reply, headers.error);
  const quote = parseQuoteRequest(request.body, deps.currency);
  if (!quote.ok) return refuse(reply, quote.error);
  const source = headers.value.source;
  if (quote.value.payee.fspId !== null && quote.value.payee.fspId !== deps.fspId)
    return refuse(reply, errorInformation('destinationFsp', 'payee.fspId is not this FSP'));
  return accept(deps, reply, 'quotes', `/quotes/${quote.value.quoteId}`, source, () =>
    deps.payee.quote(quote.value, source),
  );
}

function postTransfer(deps: InteropRouteDeps, request: FastifyRequest, reply: FastifyReply) {
  const headers = routed(deps, request, 'transfers');
  if (!headers.ok) return refuse(reply, headers.error);
  const transfer = parseTransferRequest(request.body, deps.currency);
  if (!transfer.ok) return refuse(reply, transfer.error);
  const source = headers.value.source;
  return accept(deps, reply, 'transfers', `/transfers/${transfer.value.transferId}`, source, () =>
    deps.payee.transfer(transfer.value, source),
  );
}

function getTransfer(deps: InteropRouteDeps, request: FastifyRequest, reply: FastifyReply) {
  const headers = routed(deps, request, 'transfers');
  if (!headers.ok) return refuse(reply, headers.error);
  const id = parseCorrelationId((request.params as { id: string }).id, 'transferId');
  if (!id.ok) return refuse(reply, id.error);
  return accept(deps, reply, 'transfers', `/transfers/${id.value}`, headers.value.source, () =>
    deps.payee.transferState(id.value),
  );
}
