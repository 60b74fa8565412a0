// A channel process: HTTP on the public port (shared by every channel through node:cluster), the
// hot routes' stateless half (JSON, Daraja request validation, token verification), a command to
// the owner for the rest; every other route proxied as it is to the owner's internal socket.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import { callbackUrlPolicyFor } from '../daraja/callback-url.ts';
import { GATEWAY_ERRORS, RETRY_AFTER_SECONDS } from '../daraja/errors.ts';
import { createDarajaIdGenerator } from '../daraja/ids.ts';
import { OAUTH_PATH } from '../daraja/platform/apps.ts';
import { COMMAND_ROUTES_PREFIX, DARAJA_COMMAND_ROUTES } from '../daraja/platform/command-routes.ts';
import {
  type DarajaReply,
  darajaClientErrorHandler,
  darajaScope,
  IdSequence,
  sendError,
} from '../daraja/platform/http.ts';
import { DARAJA_BODY_BYTES_MAX } from '../daraja/platform/model.ts';
import { darajaParseOptions } from '../daraja/platform/platform.ts';
import { createTokenCodec } from '../daraja/platform/tokens.ts';
import type { ParseOptions } from '../daraja/requests.ts';
import { createLogger, logDestination } from '../ops/log.ts';
import { requestIdFrom } from '../ops/request-context.ts';
import { defaultMarketConfig, loadMarketConfig } from '../payments/market-config.ts';
import { persistentSecret } from '../secrets/persistent-secret.ts';
import type { ServerConfig } from '../server/config.ts';
import { registerUssdEndpoint, USSD_PATH } from '../ussd/routes.ts';
import { COMMAND_KIND, darajaReplyFromFrame, REPLY_KIND } from './commands.ts';
import type { Frame } from './framing.ts';
import {
  type HotCommandDeps,
  hasRetryAfter,
  leanEligible,
  runHotCommand,
  serveLean,
} from './hot-http.ts';
import { OwnerLink, OwnerUnavailableError } from './owner-link.ts';
import { createOwnerProxy } from './proxy.ts';

/** Request bodies above this are refused before parsing (as in the single process). */
const BODY_LIMIT_BYTES = 1 << 20;
/** fastify's default, which the single process's server has. */
const FASTIFY_KEEP_ALIVE_TIMEOUT_MS = 72_000;
/** Channel n's Daraja ids use node id CHANNEL_NODE_ID_BASE + n: unique beside the owner's 1. */
export const CHANNEL_NODE_ID_BASE = 100;
/** Which channel answered, for tests and for an operator reading a partner's trace. */
export const CHANNEL_HEADER = 'x-malipo-channel';

export interface ChannelOptions {
  readonly config: ServerConfig;
  readonly index: number;
  readonly commandSocket: string;
  readonly httpSocket: string;
}

export interface RunningChannel {
  readonly app: FastifyInstance;
  readonly link: OwnerLink;
  close(): Promise<void>;
}

export async function startChannel(options: ChannelOptions): Promise<RunningChannel> {
  const { config } = options;
  const link = new OwnerLink(options.commandSocket);
  const proxy = createOwnerProxy(options.httpSocket, String(options.index));
  // The Daraja command routes, served without fastify when the request is plain (hot-http.ts).
  const leanRoutes = new Map(
    DARAJA_COMMAND_ROUTES.map((spec) => [`POST ${COMMAND_ROUTES_PREFIX}${spec.path}`, spec]),
  );
  const hot = new Set<string>([`GET ${OAUTH_PATH}`, `POST ${USSD_PATH}`, ...leanRoutes.keys()]);
  // The owner's log file: pino appends whole lines, so processes do not interleave within one.
  const log = createLogger({
    level: config.logLevel,
    destination: logDestination(config.logFile),
  }).child({ channel: options.index });
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    loggerInstance: log as FastifyBaseLogger,
    // Errors only: the owner's one line per request covers the proxied routes.
    logController: new LogController({ disableRequestLogging: true }),
    clientErrorHandler: darajaClientErrorHandler,
    // Hot routes to fastify here; everything else, unparsed, to the owner.
    serverFactory: (handler) => {
      const server = createServer((request: IncomingMessage, response: ServerResponse) => {
        response.setHeader(CHANNEL_HEADER, String(options.index));
        const path = pathOf(request.url);
        const key = `${request.method} ${path}`;
        const lean = leanRoutes.get(key);
        if (lean === undefined && !hot.has(key)) return proxy(request, response);
        // The owner echoes X-Request-Id on the routes it serves; the channel does on its own.
        response.setHeader('x-request-id', requestIdFrom(request.headers['x-request-id']));
        if (lean !== undefined && leanEligible(request))
          return serveLean(commandDeps, app, lean, path, request, response);
        handler(request, response);
      });
      // What fastify sets on a server it makes itself (not on a factory's): without it node's
      // 5 s keep-alive would close connections a busy client still means to reuse.
      server.keepAliveTimeout = FASTIFY_KEEP_ALIVE_TIMEOUT_MS;
      server.requestTimeout = 0;
      server.setTimeout(0);
      return server;
    },
  });
  const commandDeps: HotCommandDeps = {
    ...channelDeps(config, options.index),
    link,
    onFailed: (message) => log.error({ error: message }, 'owner failed a command'),
  };
  registerHotRoutes(app, commandDeps);
  await link.ready();
  await app.listen({ host: config.host, port: config.port });
  return {
    app,
    link,
    async close() {
      await app.close();
      link.close();
    },
  };
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}

interface ChannelDeps {
  readonly parseOptions: ParseOptions;
  readonly tokens: ReturnType<typeof createTokenCodec>;
  readonly ids: ReturnType<typeof createDarajaIdGenerator>;
  readonly sequence: IdSequence;
}

/** The same keys and parse options the owner's platform uses, from the same data folder. */
function channelDeps(config: ServerConfig, index: number): ChannelDeps {
  const market =
    config.marketFile === null ? defaultMarketConfig() : loadMarketConfig(config.marketFile);
  const environment = config.sandbox ? 'sandbox' : 'production';
  return {
    parseOptions: darajaParseOptions(environment, callbackUrlPolicyFor(environment), market),
    tokens: createTokenCodec(persistentSecret(config.dataDir, 'daraja-token-key')),
    ids: createDarajaIdGenerator({
      seed: persistentSecret(config.dataDir, 'daraja-id-seed'),
      nodeId: CHANNEL_NODE_ID_BASE + index,
      utcOffsetMinutes: market.utcOffsetMinutes,
    }),
    sequence: new IdSequence({ nowMs: () => Date.now() }),
  };
}

function registerHotRoutes(app: FastifyInstance, deps: HotCommandDeps): void {
  const requestId = () => deps.ids.requestId(deps.sequence.next());
  // The routes' fastify half: requests the lean path leaves to fastify's parsing (hot-http.ts).
  darajaScope(app, COMMAND_ROUTES_PREFIX, deps, (scope) => {
    for (const spec of DARAJA_COMMAND_ROUTES) {
      const path = COMMAND_ROUTES_PREFIX + spec.path;
      scope.post(spec.path, { bodyLimit: DARAJA_BODY_BYTES_MAX }, async (request, reply) => {
        const answer = await runHotCommand(
          deps,
          spec,
          path,
          request.headers.authorization,
          request.body,
        );
        return send(reply, answer);
      });
    }
  });
  darajaScope(app, '/oauth', deps, (scope) => {
    scope.get(OAUTH_PATH.slice('/oauth'.length), async (request, reply) => {
      const query = (request.query ?? {}) as Record<string, unknown>;
      const command = { grantType: query.grant_type, authorization: request.headers.authorization };
      return relay(reply, deps, JSON.stringify(command), requestId);
    });
  });
  // USSD's own error handler answers a failed command with its "try again later" screen.
  registerUssdEndpoint(app, async (parsed) => {
    const frame = await deps.link.request(COMMAND_KIND.ussd, JSON.stringify(parsed));
    const text = frame.body.toString('utf8');
    if (frame.kind !== REPLY_KIND.text) throw new Error(`ussd command failed: ${text}`);
    return text;
  });
}

function send(reply: FastifyReply, answer: DarajaReply): FastifyReply {
  if (hasRetryAfter(answer.status)) reply.header('retry-after', RETRY_AFTER_SECONDS);
  return reply.code(answer.status).type('application/json').send(answer.body);
}

/**
 * Sends an OAuth command and the owner's answer on. A command the owner cannot take, or one
 * cut off by the owner's death, is answered with Daraja's 503.
 */
async function relay(
  reply: FastifyReply,
  deps: HotCommandDeps,
  body: string,
  requestId: () => string,
): Promise<FastifyReply> {
  let frame: Frame;
  try {
    frame = await deps.link.request(COMMAND_KIND.oauth, body);
  } catch (error) {
    if (error instanceof OwnerUnavailableError)
      return sendError(reply, GATEWAY_ERRORS.systemBusy, requestId());
    throw error;
  }
  if (frame.kind !== REPLY_KIND.json) {
    deps.onFailed(frame.body.toString('utf8'));
    return sendError(reply, GATEWAY_ERRORS.internalServerError, requestId());
  }
  return send(reply, darajaReplyFromFrame(frame));
}
