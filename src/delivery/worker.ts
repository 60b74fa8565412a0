// The delivery worker's thread: the callback and SMS outbox engines, off the HTTP thread. Records
// arrive pushed by the ledger writer's thread over the commit feed (journal/feed.ts); the engines
// keep their state in memory and write it in batches (outbox/store.ts). The main thread talks to
// it over the worker port (protocol.ts): stats, the delivery log, replays, metrics, stop.

import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { callbackEndpointOf, createCallbackDeliverer } from '../daraja/platform/deliver.ts';
import { CALLBACK_STREAM } from '../daraja/platform/model.ts';
import type { StoredRecord } from '../journal/journal.ts';
import { createOutbox, type LocalOutbox, type OutboxLog } from '../outbox/service.ts';
import { createSmsDispatcher } from '../sms/dispatcher.ts';
import { FileSmsGateway, HttpSmsGateway, type SmsGateway } from '../sms/gateway.ts';
import { FeedSource } from './feed-source.ts';
import { createDeliveryMetrics, type DeliveryMetrics } from './metrics.ts';
import type {
  AttemptEvent,
  CallbackDeliveryConfig,
  DeliveryWorkerData,
  FromDelivery,
  OutboxCall,
  SmsDeliveryConfig,
  SmsGatewayConfig,
  ToDelivery,
} from './protocol.ts';

/** Finished attempts are reported to the main thread at most this often, in one message. */
const ATTEMPT_REPORT_INTERVAL_MS = 100;

interface Running {
  engines: Map<string, LocalOutbox>;
  gateway: SmsGateway | null;
  source: FeedSource;
}

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('delivery worker: must run in a worker thread');
  const config = workerData as DeliveryWorkerData;
  const send = (message: FromDelivery) => port.postMessage(message);
  const metrics = config.metrics === true ? createDeliveryMetrics() : null;
  const events: AttemptEvent[] = [];
  const running = build(config, send, events, metrics);
  const reporter = setInterval(() => {
    if (events.length > 0) send({ type: 'attempts', events: events.splice(0) });
  }, ATTEMPT_REPORT_INTERVAL_MS);
  port.on('message', (message: ToDelivery) => {
    if (message.type === 'call') {
      call(running, message.stream, message.call).then(
        (value) => send({ type: 'answer', id: message.id, value }),
        (error: Error) => send({ type: 'error', id: message.id, message: error.message }),
      );
    } else if (message.type === 'metrics') {
      (metrics === null ? Promise.resolve([]) : metrics.json()).then((value) =>
        send({ type: 'answer', id: message.id, value }),
      );
    } else {
      clearInterval(reporter);
      stop(running).then(
        () => {
          if (events.length > 0) send({ type: 'attempts', events: events.splice(0) });
          send({ type: 'answer', id: message.id, value: null });
          port.close();
        },
        (error: Error) => send({ type: 'fatal', message: error.message }),
      );
    }
  });
  Promise.all([...running.engines.values()].map((engine) => engine.start())).then(
    () => send({ type: 'ready', osThreadId: linuxThreadId() }),
    (error: Error) => send({ type: 'fatal', message: `delivery start failed: ${error.message}` }),
  );
}

/** The engines of this thread, fed by one commit feed, their attempts reported to the main thread. */
function build(
  config: DeliveryWorkerData,
  send: (message: FromDelivery) => void,
  events: AttemptEvent[],
  metrics: DeliveryMetrics | null,
): Running {
  const engines = new Map<string, LocalOutbox>();
  const source = new FeedSource(config.feed, (records) => offerToEngines(engines, records));
  const log: OutboxLog = (event, fields) => send({ type: 'log', event, fields });
  if (config.callback !== undefined)
    engines.set(CALLBACK_STREAM, callbackEngine(config.callback, source, log));
  let gateway: SmsGateway | null = null;
  if (config.sms !== undefined) {
    gateway = gatewayOf(config.sms.gateway);
    const engine = smsEngine(config.sms, gateway, source, log);
    engines.set(engine.stream, engine);
  }
  for (const [stream, engine] of engines) reportAttempts(stream, engine, events, metrics);
  return { engines, gateway, source };
}

/** Pushed records go to the engine of their stream; each engine ignores what it has taken. */
function offerToEngines(engines: ReadonlyMap<string, LocalOutbox>, records: StoredRecord[]): void {
  if (engines.size === 1) {
    // One engine: no copy per batch; offer() itself skips records of other streams.
    for (const engine of engines.values()) engine.offer(records);
    return;
  }
  for (const [stream, engine] of engines) {
    const own = records.filter((r) => r.stream === stream);
    if (own.length > 0) engine.offer(own);
  }
}

function callbackEngine(
  c: CallbackDeliveryConfig,
  source: FeedSource,
  log: OutboxLog,
): LocalOutbox {
  const deliver = createCallbackDeliverer({
    policy: c.policy,
    utcOffsetMinutes: c.utcOffsetMinutes,
    timeoutMs: c.timeoutMs,
    hostCheck: c.dnsTimeoutMs === undefined ? undefined : { timeoutMs: c.dnsTimeoutMs },
  });
  return createOutbox(
    {
      stream: CALLBACK_STREAM,
      source,
      stateFile: c.stateFile,
      deliver,
      endpointOf: callbackEndpointOf,
      log,
      fed: true,
    },
    c.options,
  );
}

function smsEngine(
  s: SmsDeliveryConfig,
  gateway: SmsGateway,
  source: FeedSource,
  log: OutboxLog,
): LocalOutbox {
  return createSmsDispatcher({
    ledger: source,
    market: s.market,
    gateway,
    stateFile: s.stateFile,
    senderId: s.senderId,
    log,
    options: s.options,
    fed: true,
  });
}

/** Each finished attempt goes to the metrics and the next report to the main thread. */
function reportAttempts(
  stream: string,
  engine: LocalOutbox,
  events: AttemptEvent[],
  metrics: DeliveryMetrics | null,
): void {
  engine.onAttempt((message, result, status) => {
    // Only what the main thread's log line needs crosses back: not the receiver's answer.
    const event: AttemptEvent = {
      stream,
      seq: message?.seq ?? 0,
      key: message?.key ?? '',
      result: {
        ok: result.ok,
        status: result.status,
        latencyMs: result.latencyMs,
        retryable: result.retryable,
      },
      status,
    };
    metrics?.attempt(event);
    events.push(event);
  });
}

function gatewayOf(config: SmsGatewayConfig): SmsGateway {
  if (config.kind === 'http') return new HttpSmsGateway(config.options);
  return new FileSmsGateway({
    path: config.path,
    echo: config.echo ? (line) => console.log(`sms ${line}`) : undefined,
  });
}

function call(running: Running, stream: string, request: OutboxCall): Promise<unknown> {
  const engine = running.engines.get(stream);
  if (engine === undefined) return Promise.reject(new Error(`no outbox for stream '${stream}'`));
  switch (request.method) {
    case 'stats':
      return engine.stats();
    case 'deliveries':
      return engine.deliveries(request.query);
    case 'replay':
      return engine.replay(request.seq);
    case 'replayDead':
      return engine.replayDead(request.limit);
  }
}

async function stop(running: Running): Promise<void> {
  await Promise.all([...running.engines.values()].map((engine) => engine.stop()));
  await running.gateway?.close();
  running.source.close();
}

/** This thread's Linux TID, for per-thread CPU figures (bench:api); undefined elsewhere. */
function linuxThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}

main();
