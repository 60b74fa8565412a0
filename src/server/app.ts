// Builds the Malipo server: one fastify instance with every domain's routes, over explicit
// dependencies. `startServer` wires the real ones; tests call it with a temp data folder.

import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Registry } from 'prom-client';
import { registerDarajaAdminRoutes } from '../admin/daraja-routes.ts';
import { registerLedgerAdminRoutes } from '../admin/ledger-routes.ts';
import {
  CALLBACK_STREAM,
  callbackDeliveryConfig,
  createDarajaPlatform,
  type DarajaPlatformOptions,
  darajaClientErrorHandler,
  type SandboxApp,
  seedSandboxApp,
  stkPromptMenuItem,
} from '../daraja/platform/index.ts';
import { DeliveryService } from '../delivery/client.ts';
import { LiveTraffic } from '../forecast/live.ts';
import { registerForecastRoutes } from '../forecast/routes.ts';
import {
  type InteropConfig,
  interopConfigFromEnv,
  type RunningInterop,
  startInterop,
} from '../interop/index.ts';
import { LedgerClient } from '../journal/client.ts';
import { registerConsoleRoutes } from '../ops/console-routes.ts';
import { registerHealthRoutes } from '../ops/health.ts';
import { instrument } from '../ops/instrument.ts';
import { createLogger, flushLog, type Logger, logDestination } from '../ops/log.ts';
import { createAppMetrics, processRegistry } from '../ops/metrics.ts';
import { registerMetricsRoute } from '../ops/metrics-route.ts';
import { requestIdFrom } from '../ops/request-context.ts';
import { type OpsSources, registerScrapeGauges } from '../ops/sources.ts';
import { createSummary } from '../ops/summary.ts';
import { seedDemo } from '../payments/demo.ts';
import { PaymentsHookSet } from '../payments/hooks.ts';
import {
  defaultMarketConfig,
  loadMarketConfig,
  type MarketConfig,
} from '../payments/market-config.ts';
import { registerPaymentsAdminRoutes } from '../payments/routes.ts';
import { type PaymentsService, startPayments } from '../payments/service.ts';
import { registerPortalApiRoutes } from '../portal/api-routes.ts';
import { registerPortalWebRoutes } from '../portal/routes.ts';
import { riskAssessor } from '../risk/mode.ts';
import { registerRiskRoutes } from '../risk/routes.ts';
import { importedHistorySink, type RiskService, startRiskService } from '../risk/service.ts';
import type { OwnerCommands } from '../runtime/commands.ts';
import { SMS_OUTBOX_STATE_FILE } from '../sms/dispatcher.ts';
import { registerUssdRoutes } from '../ussd/routes.ts';
import type { ServerConfig } from './config.ts';
import { lockDataDir } from './data-lock.ts';

/** How often the server checks whether a new local day has begun (overdraft daily fees). */
const DAILY_JOB_CHECK_MS = 60_000;

/** Request bodies above this are refused before parsing (Daraja bodies are a few hundred bytes). */
const BODY_LIMIT_BYTES = 1 << 20;

export interface RunningServer {
  app: FastifyInstance;
  ledger: LedgerClient;
  payments: PaymentsService;
  url: string;
  seededDemo: boolean;
  /** The ready sandbox app (keys, shortcode, passkey, initiator), when seeding the demo. */
  darajaSandbox: SandboxApp | null;
  risk: RiskService;
  /** The delivery worker (callbacks and SMS). */
  delivery: DeliveryService;
  log: Logger;
  /** The hot routes' owner halves, for channel processes' commands (src/runtime). */
  commands: OwnerCommands;
  close(): Promise<void>;
}

export interface StartOptions {
  /** The payments and risk clock (tests pin the time of day the fraud model sees). */
  clock?: { nowMs(): number };
  /** FSPIOP interoperability; absent: from MALIPO_INTEROP_* (off unless a hub URL is set). */
  interop?: InteropConfig | null;
  /**
   * Listen on this unix socket instead of host:port: the owner process of the multi-process
   * topology, reached only through its channel processes (which set X-Forwarded-For).
   */
  internalSocket?: string;
}

/**
 * Starts everything on the data folder, which it holds locked until close: a second server on the
 * same folder is refused with a message naming the folder, before it touches the journal.
 */
export async function startServer(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<RunningServer> {
  const lock = lockDataDir(config.dataDir);
  try {
    const server = await startServices(config, options);
    return {
      ...server,
      async close() {
        try {
          await server.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** SQLite's words for a file that is not (or no longer) a database. */
const DAMAGED_SQLITE = /not a database|malformed|corrupt/i;

/** Opens the journal; a damaged SQLite journal is named, with what to do about it. */
async function openLedger(config: ServerConfig): Promise<LedgerClient> {
  try {
    return await LedgerClient.open({ journal: config.journal, metrics: config.metrics });
  } catch (error) {
    const { journal } = config;
    if (journal.kind !== 'sqlite' || !DAMAGED_SQLITE.test(String(error))) throw error;
    throw new Error(
      `the journal ${journal.path} is damaged or not a Malipo journal (${(error as Error).message}): restore it from a backup, or move it aside (mv ${journal.path} ${journal.path}.damaged) to start with an empty ledger`,
      { cause: error },
    );
  }
}

async function startServices(config: ServerConfig, options: StartOptions): Promise<RunningServer> {
  const { log, reopenLog } = openLog(config);
  const registry = config.metrics ? processRegistry('main') : null;
  const domains = await startDomains(config, options, log);
  const { ledger, payments, daraja, risk, delivery, live } = domains;
  const app = createFastify(options, log);
  const ops = instrument(app, log, registry === null ? null : createAppMetrics(registry));
  installRiskHooks(config, domains, ops);
  const seededDemo = config.seedDemo ? await seedDemo(payments) : false;
  const darajaSandbox = config.sandbox && config.seedDemo ? await seedSandboxApp(daraja) : null;
  const { interop, ussd } = await registerDomainRoutes(app, config, options, domains);
  live.start();
  const summary = startOps(app, config, registry, ops, domains, interop);
  await daraja.start();
  const daily = startDailyJobs(payments);
  exitOnFatal(log, domains);
  const address = await listen(app, config, options.internalSocket);
  return {
    app,
    ledger,
    payments,
    url: address,
    seededDemo,
    darajaSandbox,
    risk,
    delivery,
    log,
    commands: { daraja: daraja.execute, oauth: daraja.oauth, ussd },
    async close() {
      clearInterval(daily);
      summary.close();
      live.close();
      await app.close();
      await interop?.close();
      await daraja.close();
      await delivery.stop();
      await ledger.close();
      process.off('SIGHUP', reopenLog);
      await flushLog(log);
    },
  };
}

/** The JSON log; logrotate moves the file, then SIGHUP: a new file of the same name from then on. */
function openLog(config: ServerConfig): { log: Logger; reopenLog: () => void } {
  const logFile = logDestination(config.logFile);
  const log = createLogger({ level: config.logLevel, destination: logFile });
  const reopenLog = () => logFile.reopen();
  if (config.logFile !== '-') process.on('SIGHUP', reopenLog);
  return { log, reopenLog };
}

/** The domains, each built whole from what it depends on: ledger, payments, delivery, Daraja, risk. */
async function startDomains(config: ServerConfig, options: StartOptions, log: Logger) {
  const ledger = await openLedger(config);
  const market =
    config.marketFile === null ? defaultMarketConfig() : loadMarketConfig(config.marketFile);
  const live = new LiveTraffic({
    clock: { nowMs: () => Date.now() },
    snapshotPath: join(config.dataDir, 'traffic.json'),
    utcOffsetMinutes: market.utcOffsetMinutes,
    onAlert: (anomaly, state) =>
      log.warn(
        { kind: anomaly.kind, state, deviation: anomaly.peakDeviationFraction },
        `traffic ${anomaly.kind} ${state} (${Math.round(anomaly.peakDeviationFraction * 100)} % from forecast)`,
      ),
  });
  // Payments holds this set from construction; each domain below adds its own hooks as it is built.
  const hooks = new PaymentsHookSet({ committed: (txn) => live.record(txn.timestampMs) });
  const payments = await startPayments({
    ledger,
    market,
    receiptKey: config.receiptKey,
    defaultOverdraftLimitCents: 500_000,
    hooks,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(config.holdTimeoutMs === null ? {} : { holdTimeoutMs: config.holdTimeoutMs }),
  });
  const platformOptions = config.darajaAppRate === null ? {} : { rateLimit: config.darajaAppRate };
  const delivery = await startDelivery(config, ledger, market, log, platformOptions);
  const daraja = await createDarajaPlatform({
    payments,
    hooks,
    ledger,
    dataDir: config.dataDir,
    sandbox: config.sandbox,
    adminToken: config.adminToken,
    outbox: delivery.outbox(CALLBACK_STREAM),
    options: platformOptions,
  });
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const risk = await startRiskService({
    ledger,
    parties: payments,
    market,
    clock,
    modelPath: config.riskModel,
  });
  return { ledger, market, live, hooks, payments, delivery, daraja, risk, clock };
}

type Domains = Awaited<ReturnType<typeof startDomains>>;

function createFastify(options: StartOptions, log: Logger): FastifyInstance {
  return Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    // Behind channel processes the client's address arrives in X-Forwarded-For (audit records).
    trustProxy: options.internalSocket !== undefined,
    loggerInstance: log as FastifyBaseLogger,
    // One line per request from ops/instrument.ts instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (request) => requestIdFrom(request.headers['x-request-id']),
    // Headers too large and malformed requests, in Daraja's error shape (node answers them first).
    clientErrorHandler: darajaClientErrorHandler,
  });
}

/**
 * Every money movement is scored by the one risk engine before it commits, as the risk mode says
 * (enforced, recorded in shadow, or not at all); features learn in every mode, so switching to
 * enforce later starts from warm features.
 */
function installRiskHooks(
  config: ServerConfig,
  { hooks, risk }: Domains,
  ops: ReturnType<typeof instrument>,
): void {
  const assess = riskAssessor(risk.engine, {
    mode: config.riskMode,
    sandboxTriggers: config.sandbox,
  });
  hooks.add({
    ...(assess === null ? {} : { assess: ops.assess(assess) }),
    committed: risk.engine.observe,
  });
  hooks.add(ops.hooks);
}

/** Each domain's routes; interop (in a scheme) and the USSD menu, which shows its item. */
async function registerDomainRoutes(
  app: FastifyInstance,
  config: ServerConfig,
  options: StartOptions,
  { ledger, payments, risk, live, daraja, clock }: Domains,
) {
  const adminToken = config.adminToken;
  registerHealthRoutes(app, { ledger, journalKind: config.journal.kind });
  registerLedgerAdminRoutes(app, { ledger, adminToken });
  registerPaymentsAdminRoutes(app, { payments, adminToken, history: importedHistorySink(risk) });
  registerForecastRoutes(app, { live, adminToken });
  registerRiskRoutes(app, { risk, adminToken, clock, mode: config.riskMode });
  daraja.registerRoutes(app);
  registerDarajaAdminRoutes(app, { platform: daraja, adminToken });
  registerPortalApiRoutes(app, daraja);
  registerPortalWebRoutes(app);
  const interopConfig = options.interop ?? interopConfigFromEnv(process.env, config.dataDir);
  const interop =
    interopConfig === null
      ? null
      : await startInterop({
          app,
          payments,
          ledger,
          adminToken,
          config: interopConfig,
          dataDir: config.dataDir,
        });
  // A pending STK push shows as an extra item at the top of the customer's menu; in a scheme,
  // "Send to other networks" is always there.
  const stkItem = stkPromptMenuItem(daraja);
  const interopItems = interop === null ? [] : [interop.menuItem];
  if (interop !== null) daraja.connectOtherNetworks(interop.otherNetworksB2c);
  const ussd = registerUssdRoutes(app, {
    payments,
    extraItems: (dialler) => [
      ...(daraja.pendingPromptFor(dialler.msisdn) === null ? [] : [stkItem]),
      ...interopItems,
    ],
  });
  return { interop, ussd };
}

/** Metrics, the console and its sources; returns the console summary (closed at shutdown). */
function startOps(
  app: FastifyInstance,
  config: ServerConfig,
  registry: Registry | null,
  ops: ReturnType<typeof instrument>,
  { ledger, payments, live, delivery, clock }: Domains,
  interop: RunningInterop | null,
) {
  // The delivery worker's outboxes (callbacks, SMS) and, in a scheme, the FSPIOP courier's,
  // which runs on this thread (src/interop/courier.ts): one console, one set of backlog gauges.
  const outboxes = [...delivery.outboxes, ...(interop === null ? [] : [interop.outbox])];
  for (const outbox of outboxes) ops.watchOutbox(outbox);
  const sources: OpsSources = {
    ledger,
    payments,
    live,
    outboxes,
    journalKind: config.journal.kind,
    capacityTps: config.capacityTps,
    clock,
  };
  if (registry !== null) registerScrapeGauges(registry, sources);
  registerMetricsRoute(app, {
    registry,
    ledger,
    delivery,
    tokens: [config.metricsToken, config.adminToken],
  });
  const summary = createSummary(registry, sources);
  registerConsoleRoutes(app, { sources, summary, adminToken: config.adminToken });
  return summary;
}

/**
 * The writer stopped (memory may be ahead of the journal), or delivery keeps failing to run:
 * exit so a supervisor restarts us; recovery rebuilds exactly the committed state, and nothing is
 * lost (the journal holds every callback and SMS, the state files say what was delivered).
 */
function exitOnFatal(log: Logger, { ledger, delivery }: Domains): void {
  const exit = (what: string) => (error: Error) => {
    log.fatal({ error: error.message }, `${what} stopped; exiting`);
    log.flush();
    console.error(`malipo: ${error.message}; exiting`);
    process.exit(70);
  };
  ledger.on('fatal', exit('ledger writer'));
  delivery.on('fatal', exit('delivery worker'));
}

/** The public host:port, or the owner's internal socket (a stale file from a killed owner goes). */
async function listen(
  app: FastifyInstance,
  config: ServerConfig,
  internalSocket: string | undefined,
): Promise<string> {
  if (internalSocket === undefined) return app.listen({ host: config.host, port: config.port });
  rmSync(internalSocket, { force: true });
  const address = await app.listen({ path: internalSocket });
  chmodSync(internalSocket, 0o600);
  return address;
}

/** Callback and SMS delivery in their own worker thread, fed by the ledger writer's commits. */
function startDelivery(
  config: ServerConfig,
  ledger: LedgerClient,
  market: MarketConfig,
  log: Logger,
  platformOptions: DarajaPlatformOptions,
): Promise<DeliveryService> {
  const dataDir = config.dataDir;
  return DeliveryService.start({
    ledger,
    metrics: config.metrics,
    callback: callbackDeliveryConfig({
      dataDir,
      sandbox: config.sandbox,
      utcOffsetMinutes: market.utcOffsetMinutes,
      options: platformOptions,
    }),
    sms: {
      stateFile: join(dataDir, SMS_OUTBOX_STATE_FILE),
      market,
      gateway:
        config.smsApi === null
          ? { kind: 'file', path: join(dataDir, 'sms.jsonl'), echo: config.smsEcho }
          : { kind: 'http', options: config.smsApi },
      senderId: market.sms.senderId,
    },
    log: (event, fields) => log.info(fields, event),
  });
}

/** Charges overdraft maintenance fees once per local day, including a day missed while down. */
function startDailyJobs(payments: PaymentsService): NodeJS.Timeout {
  let lastDay = payments.localDay(payments.nowMs());
  const timer = setInterval(() => {
    const today = payments.localDay(payments.nowMs());
    if (today === lastDay) return;
    lastDay = today;
    payments
      .chargeDailyOverdraftFees(payments.nowMs())
      .catch((error) => console.error(`malipo: daily overdraft fees: ${error.message}`));
  }, DAILY_JOB_CHECK_MS);
  timer.unref();
  return timer;
}
