// The Daraja-compatible partner API, assembled: state replayed from the journal, the credential
// key pair from the data folder, the routes, the payments hooks (C2B validation and
// confirmation), the STK prompt service and the callback outbox.
//
// Wiring (README.md in this folder lists the endpoints and files):
//   const hooks = new PaymentsHookSet();            // given to startPayments({ hooks, ... })
//   const platform = await createDarajaPlatform({ payments, hooks, ledger, dataDir, ... });
//                                                   // adds its own hooks (C2B, results) to `hooks`
//   platform.registerRoutes(app);
//   await platform.start();                         // restores prompts/requests, starts delivery
//   ... await platform.close();                     // before ledger.close()

import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { CallbackDeliveryConfig } from '../../delivery/protocol.ts';
import type { LedgerClient } from '../../journal/client.ts';
import type { Outbox, OutboxOptions } from '../../outbox/index.ts';
import type { PaymentsApi, PaymentsHooks } from '../../payments/commands.ts';
import type { PaymentsHookSet } from '../../payments/hooks.ts';
import type { MarketConfig } from '../../payments/market-config.ts';
import { persistentSecret } from '../../secrets/persistent-secret.ts';
import {
  type ApiEnvironment,
  type CallbackUrlPolicy,
  callbackUrlPolicyFor,
  type HostCheckOptions,
  rememberingCallbackUrlChecker,
} from '../callback-url.ts';
import { createDarajaIdGenerator } from '../ids.ts';
import { DEFAULT_INITIATOR_POLICY, type InitiatorPolicy } from '../initiator.ts';
import { KRA_SHORTCODE, type ParseOptions } from '../requests.ts';
import { SecurityCredentialCache } from '../security-credential.ts';
import type { StkPasswordOptions } from '../stk-password.ts';
import { oauthReply, registerOAuthRoutes } from './apps.ts';
import { C2bService, registerC2bRoutes } from './c2b.ts';
import { loadOrCreateCredentials } from './credentials.ts';
import {
  type DarajaCommand,
  darajaNotFound,
  darajaScope,
  type HttpDeps,
  IdSequence,
  runDarajaCommand,
} from './http.ts';
import { InitiatorApis } from './initiator-apis.ts';
import { registerInitiatorRoutes } from './initiator-routes.ts';
import {
  APP_RATE_BURST_DEFAULT,
  APP_RATE_PER_SECOND_DEFAULT,
  C2B_VALIDATION_TIMEOUT_MS_DEFAULT,
  CERTIFICATE_PATH,
  type Clock,
  QUEUE_TIMEOUT_MS_DEFAULT,
  REQUEST_EVENTS_RELOAD_MAX,
  STK_PROMPT_LIFETIME_MS_DEFAULT,
} from './model.ts';
import type { OtherNetworksB2c } from './other-networks.ts';
import { registerPullRoutes, registerQrRoutes } from './pull-qr.ts';
import { AppRateLimiter, type RateLimitPolicy } from './rate-limit.ts';
import { loadRecentRequestEvents, PlatformState } from './state.ts';
import { type PromptAnswer, StkPrompts } from './stk.ts';
import { registerStkRoutes } from './stk-routes.ts';
import { BackgroundTasks } from './tasks.ts';
import { createTokenCodec } from './tokens.ts';

/** Where the callback outbox keeps its delivery state, in the data folder. */
export const CALLBACK_OUTBOX_STATE_FILE = 'callback-outbox.db';

/**
 * What the delivery worker (src/delivery/) needs to send this platform's callbacks under the same
 * URL policy the platform checks them against at registration. Plain data: it crosses a thread.
 */
export function callbackDeliveryConfig(args: {
  dataDir: string;
  sandbox: boolean;
  utcOffsetMinutes: number;
  options?: DarajaPlatformOptions;
}): CallbackDeliveryConfig {
  const options = args.options ?? {};
  if (options.hostCheck?.resolver !== undefined)
    throw new Error('a custom DNS resolver cannot be used by the delivery worker');
  return {
    stateFile: join(args.dataDir, CALLBACK_OUTBOX_STATE_FILE),
    policy:
      options.callbackUrlPolicy ?? callbackUrlPolicyFor(args.sandbox ? 'sandbox' : 'production'),
    utcOffsetMinutes: args.utcOffsetMinutes,
    timeoutMs: options.deliveryTimeoutMs,
    dnsTimeoutMs: options.hostCheck?.timeoutMs,
    options: options.outbox,
  };
}
/** This API node's number inside CheckoutRequestIDs (one node until the API scales out). */
const NODE_ID_DEFAULT = 1;

export type PlatformLog = (event: string, fields: Record<string, unknown>) => void;

export interface DarajaPlatformOptions {
  readonly promptLifetimeMs?: number;
  readonly c2bValidationTimeoutMs?: number;
  readonly queueTimeoutMs?: number;
  readonly rateLimit?: RateLimitPolicy;
  /** Overrides the environment's callback URL policy (a hosted sandbox turns loopback off). */
  readonly callbackUrlPolicy?: CallbackUrlPolicy;
  readonly hostCheck?: HostCheckOptions;
  readonly stkPassword?: StkPasswordOptions;
  readonly initiatorPolicy?: InitiatorPolicy;
  readonly outbox?: OutboxOptions;
  /** Per-POST time-out of a callback delivery. */
  readonly deliveryTimeoutMs?: number;
  /** How often held transactions past their bound are voided with their time-out result. */
  readonly holdSweepIntervalMs?: number;
}

/** Holds are checked this often: a held request's time-out result is late by at most this. */
export const HOLD_SWEEP_INTERVAL_MS_DEFAULT = 5_000;

export interface DarajaPlatformDeps {
  readonly payments: PaymentsApi;
  /** The hook set `payments` was built with; the platform adds its own hooks to it. */
  readonly hooks: PaymentsHookSet;
  readonly ledger: LedgerClient;
  readonly dataDir: string;
  readonly sandbox: boolean;
  readonly adminToken: string;
  readonly clock?: Clock;
  readonly nodeId?: number;
  /**
   * The 'callback' stream's delivery: the delivery worker's (src/delivery), which the caller
   * starts before and stops after the platform (callbackDeliveryConfig says what it needs).
   */
  readonly outbox: Outbox;
  readonly options?: DarajaPlatformOptions;
  readonly log?: PlatformLog;
}

export type DarajaPlatform = Awaited<ReturnType<typeof createDarajaPlatform>>;

/** What every part shares: settings, the replayed state, ids, tokens and the credential key. */
async function loadCore(deps: DarajaPlatformDeps) {
  const options = deps.options ?? {};
  const clock = deps.clock ?? { nowMs: () => Date.now() };
  const log: PlatformLog = deps.log ?? (() => {});
  const market = deps.payments.market;
  const environment: ApiEnvironment = deps.sandbox ? 'sandbox' : 'production';
  const policy = options.callbackUrlPolicy ?? callbackUrlPolicyFor(environment);
  const state = new PlatformState();
  await state.load(deps.ledger);
  const credentials = await loadOrCreateCredentials(deps.dataDir, deps.sandbox);
  const http: HttpDeps = {
    state,
    tokens: createTokenCodec(persistentSecret(deps.dataDir, 'daraja-token-key')),
    limiter: new AppRateLimiter(
      options.rateLimit ?? {
        perSecond: APP_RATE_PER_SECOND_DEFAULT,
        burst: APP_RATE_BURST_DEFAULT,
      },
    ),
    ids: createDarajaIdGenerator({
      seed: persistentSecret(deps.dataDir, 'daraja-id-seed'),
      nodeId: deps.nodeId ?? NODE_ID_DEFAULT,
      utcOffsetMinutes: market.utcOffsetMinutes,
    }),
    sequence: new IdSequence(clock),
    clock,
    commands: new Map(),
  };
  const parseOptions = darajaParseOptions(environment, policy, market);
  return {
    options,
    clock,
    log,
    market,
    environment,
    policy,
    state,
    credentials,
    http,
    parseOptions,
  };
}

type Core = Awaited<ReturnType<typeof loadCore>>;

/** How requests are parsed; a channel process (src/runtime) builds the same from the config. */
export function darajaParseOptions(
  environment: ApiEnvironment,
  policy: CallbackUrlPolicy,
  market: MarketConfig,
): ParseOptions {
  return {
    environment,
    callbackUrlPolicy: policy,
    // Accepted URLs are remembered per policy: the same ResultURL arrives on every request.
    callbackUrls: rememberingCallbackUrlChecker(policy),
    msisdn: market.msisdn,
    utcOffsetMinutes: market.utcOffsetMinutes,
    taxAuthorityShortcode: KRA_SHORTCODE,
  };
}

/** The services behind the routes: prompts, C2B, the initiator APIs, background work. */
function makeServices(deps: DarajaPlatformDeps, core: Core, onCommitted: () => void) {
  const { options, clock, log, market, state, policy } = core;
  const tasks = new BackgroundTasks(log);
  const lifetimeMs = options.promptLifetimeMs ?? STK_PROMPT_LIFETIME_MS_DEFAULT;
  const prompts = new StkPrompts({
    payments: deps.payments,
    ledger: deps.ledger,
    state,
    clock,
    sandbox: deps.sandbox,
    lifetimeMs,
    onCommitted,
    log,
  });
  const c2b = new C2bService({
    state,
    clock,
    policy,
    hostCheck: options.hostCheck,
    validationTimeoutMs: options.c2bValidationTimeoutMs ?? C2B_VALIDATION_TIMEOUT_MS_DEFAULT,
    utcOffsetMinutes: market.utcOffsetMinutes,
    log,
  });
  // A sandbox's shared test initiator must not expire after 90 days, as Safaricom's does not.
  const initiatorPolicy =
    options.initiatorPolicy ??
    (deps.sandbox
      ? { ...DEFAULT_INITIATOR_POLICY, passwordLifetimeMs: null }
      : DEFAULT_INITIATOR_POLICY);
  const apis = new InitiatorApis({
    payments: deps.payments,
    ledger: deps.ledger,
    state,
    ids: core.http.ids,
    sequence: core.http.sequence,
    clock,
    decryptor: core.credentials.decryptor,
    credentialCache: new SecurityCredentialCache(),
    initiatorPolicy,
    tasks,
    queueTimeoutMs: options.queueTimeoutMs ?? QUEUE_TIMEOUT_MS_DEFAULT,
    currency: market.currency.code,
    taxAuthorityShortcode: KRA_SHORTCODE,
    onCommitted,
    log,
  });
  return { tasks, lifetimeMs, prompts, c2b, apis };
}

/** The Daraja API itself: OAuth, /mpesa/... and /pulltransactions/..., in Daraja's error shape. */
function registerDarajaRoutes(
  app: FastifyInstance,
  deps: DarajaPlatformDeps,
  core: Core,
  services: ReturnType<typeof makeServices>,
  outbox: Outbox,
): void {
  const { options, http, parseOptions, policy, log } = core;
  const { payments, sandbox, ledger } = deps;
  const { tasks, prompts, apis, lifetimeMs } = services;
  const passwordOptions = options.stkPassword ?? {};
  const onCommitted = () => outbox.wake();
  registerOAuthRoutes(app, http);
  darajaScope(app, '/mpesa', http, (scope) => {
    registerStkRoutes(scope, {
      ...http,
      payments,
      prompts,
      parseOptions,
      passwordOptions,
      lifetimeMs,
    });
    registerC2bRoutes(scope, {
      ...http,
      payments,
      ledger,
      parseOptions,
      sandbox,
      policy,
      hostCheck: options.hostCheck,
      tasks,
      onCommitted,
      log,
    });
    registerInitiatorRoutes(scope, { ...http, apis, parseOptions });
    registerQrRoutes(scope, { ...http, payments, ledger, parseOptions });
  });
  darajaScope(app, '/pulltransactions', http, (scope) =>
    registerPullRoutes(scope, { ...http, payments, ledger, parseOptions }),
  );
}

/** The payments hooks the platform adds: C2B validation and confirmation, held results. */
function platformHooks({ prompts, c2b, apis }: ReturnType<typeof makeServices>): PaymentsHooks {
  return {
    recordsFor: (txn) => c2b.confirmationRecords(txn),
    validateBusinessPayment: (payment) => c2b.validate(payment),
    // A held payment's partner hears once: the success result commits with the release, the
    // failure result with the rejection or the void at the hold bound (decision 0009).
    recordsForRejected: (txn, how) => [
      ...apis.recordsForRejected(txn, how),
      ...prompts.recordsForRejected(txn, how),
    ],
    committed: (txn) => {
      apis.committed(txn);
      prompts.committed(txn);
    },
  };
}

/** Voids held payments past their bound (their time-out results commit with the void). */
class HoldSweeper {
  private timer: NodeJS.Timeout | null = null;
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly payments: PaymentsApi,
    private readonly onClosed: () => void,
    private readonly log: PlatformLog,
  ) {}

  /** Sweeps once now (holds that passed their bound while we were down), then every interval. */
  async start(intervalMs: number): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.last;
  }

  private sweep(): Promise<void> {
    this.last = this.payments
      .expireHolds()
      .then((closed) => {
        if (closed > 0) this.onClosed();
      })
      .catch((error: Error) => this.log('daraja.hold_sweep_failed', { error: error.message }));
    return this.last;
  }
}

export async function createDarajaPlatform(deps: DarajaPlatformDeps) {
  const core = await loadCore(deps);
  const outbox = deps.outbox;
  const services = makeServices(deps, core, () => outbox.wake());
  const { tasks, prompts, apis } = services;
  deps.hooks.add(platformHooks(services));
  let started = false;
  const holds = new HoldSweeper(deps.payments, () => outbox.wake(), core.log);
  const platform = {
    environment: core.environment,
    state: core.state,
    outbox,
    payments: deps.payments,
    ledger: deps.ledger,
    dataDir: deps.dataDir,
    certificatePem: core.credentials.certificatePem,
    clock: core.clock,
    /** The allowance an app has now: the operator's for it, or the platform default. */
    rateLimitOf: (appId: string) => core.state.rateLimits.get(appId) ?? core.http.limiter.policy,
    pendingPromptFor: (msisdn: string) => prompts.pendingPromptFor(msisdn),
    /** B2C to other networks through the interop payer, once it runs (decision 0027). */
    connectOtherNetworks: (port: OtherNetworksB2c) => apis.connectOtherNetworks(port),
    answerPrompt: (checkoutRequestId: string, answer: PromptAnswer) =>
      prompts.answerPrompt(checkoutRequestId, answer),

    registerRoutes(app: FastifyInstance): void {
      registerDarajaRoutes(app, deps, core, services, outbox);
      // The certificate partners encrypt initiator passwords with (a Daraja download, no token).
      app.get(CERTIFICATE_PATH, async (_request, reply) =>
        reply
          .code(200)
          .type('application/x-pem-file')
          .header('content-disposition', 'attachment; filename="MalipoCertificate.cer"')
          .send(core.credentials.certificatePem),
      );
      darajaNotFound(app, core.http);
    },

    /** What the operator's Daraja admin API and the portal API share with the partner API. */
    http: core.http,

    /** A command from a channel process (src/runtime), once registerRoutes has run. */
    execute: (command: DarajaCommand) => runDarajaCommand(core.http, command),
    /** OAuth for a channel process: the app state (hashed secrets) lives here. */
    oauth: (grantType: unknown, authorization: unknown) =>
      oauthReply(core.http, grantType, authorization),

    /** Resolves when no acknowledged request is still being processed (tests, shutdown). */
    idle: () => tasks.idle(),

    /** Restores prompts and unfinished requests, then starts expiry and the hold sweep. */
    async start(): Promise<void> {
      if (started) return;
      started = true;
      const events = await loadRecentRequestEvents(deps.ledger, REQUEST_EVENTS_RELOAD_MAX);
      prompts.restore(events);
      apis.restore(events);
      prompts.start();
      await prompts.sweep();
      // Holds past their bound while we were down are answered now, then every interval.
      await holds.start(core.options.holdSweepIntervalMs ?? HOLD_SWEEP_INTERVAL_MS_DEFAULT);
    },

    /** Stops taking work and finishes what is running. Call before ledger.close(). */
    async close(): Promise<void> {
      await holds.stop();
      await prompts.stop();
      await tasks.close();
    },
  };
  return platform;
}
