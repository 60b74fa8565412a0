// One step of the like-for-like baseline (bare.ts): the same generator and the same mix as the
// Malipo steps, against a server that only makes the same HTTP exchanges. Callbacks are matched
// at the receiver by the same ids; their lag is measured from the request's answer (the bare
// server has no commit point: it answers, then calls), which charges the baseline's C2B with its
// validation call too, so the baseline is if anything measured a little slow.

import { type BacklogPoint, backlogSeries } from './accounting.ts';
import type { BareCounts } from './bare.ts';
import { percentileOf, runOpenLoop, wallNowMs } from './load.ts';
import type { StepLedger, TrafficMix } from './mix.ts';
import { type Child, processCpu, processCpuMs } from './processes.ts';
import { type Received, round, sustainedFailures, takeReceived } from './step.ts';

export interface BareSetup {
  readonly name: string;
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly drainMaxMs: number;
  readonly port: number;
  readonly mix: TrafficMix;
  readonly bare: Child;
  readonly receiver: Child;
  readonly stepNumber: number;
}

export interface BareStepResult {
  name: string;
  offeredPerSecond: number;
  seconds: number;
  requests: number;
  answerP50Ms: number;
  answerP99Ms: number;
  /** From the request's answer to the callback's arrival (confirmations and results). */
  callbackP99Ms: number;
  callbacksExpected: number;
  callbacksMissing: number;
  validationsReceived: number;
  errors: number;
  errorDetail: Record<string, number>;
  /** Outbound calls the bare server made (validation, confirmation, results). */
  outboundCalls: number;
  passed: boolean;
  failedCriteria: string[];
  /** µs per request: the bare server (all its threads, and its main thread), generator, receiver. */
  cpuUsPerRequest: { bare: number; bareMain: number; generator: number; receiver: number };
  cpuCores: { bare: number; generator: number; receiver: number };
  backlog: { series: BacklogPoint[]; max: number };
}

const DRAIN_POLL_MS = 250;
const BACKLOG_INTERVAL_MS = 500;

export async function runBareStep(setup: BareSetup): Promise<BareStepResult> {
  const received: Received = {
    arrivals: new Map(),
    validations: 0,
    duplicates: 0,
    unreadable: 0,
    failedResults: 0,
  };
  await takeReceived(setup.receiver, received);
  received.arrivals.clear();
  received.validations = 0;
  await setup.bare.ask<{ counts: BareCounts }>({ type: 'take' });
  const pid = setup.bare.process.pid;
  const cpuBefore = cpuOf(setup, pid);
  const traffic = setup.mix.forStep(setup.stepNumber, 5000 + setup.stepNumber);
  const startWallMs = wallNowMs();
  const load = await runOpenLoop({
    host: '127.0.0.1',
    port: setup.port,
    ratePerSecond: setup.ratePerSecond,
    durationMs: setup.seconds * 1000,
    make: traffic.make,
    onAnswer: traffic.onAnswer,
  });
  const cpuAfter = cpuOf(setup, pid);
  await drainBare(setup, received, traffic.ledger);
  const drainedAt = wallNowMs();
  const { counts } = await setup.bare.ask<{ counts: BareCounts }>({ type: 'take' });
  const lags: number[] = [];
  const owed: number[] = [];
  const arrived: (number | undefined)[] = [];
  for (const [key, answeredAt] of traffic.ledger.answeredAtWallMs) {
    const at = received.arrivals.get(key);
    owed.push(answeredAt);
    arrived.push(at);
    if (at !== undefined) lags.push(at - answeredAt);
  }
  const missing = arrived.filter((a) => a === undefined).length;
  const errorDetail: Record<string, number> = {
    ...Object.fromEntries(
      Object.entries(load.statuses)
        .filter(([status]) => status !== '200')
        .map(([status, n]) => [`http${status}`, n]),
    ),
    network: load.networkErrors,
    timeouts: load.timeouts,
    droppedByGenerator: load.dropped,
    outboundFailures: counts.failures,
    validationsMissing: Math.max(0, traffic.ledger.c2bAccepted.size - received.validations),
  };
  const errors = Object.values(errorDetail).reduce((a, b) => a + b, 0);
  const answerP99Ms = percentileOf(load.latenciesMs, 0.99);
  const callbackP99Ms = percentileOf(Float64Array.from(lags), 0.99);
  const failedCriteria = sustainedFailures({
    answerP99Ms,
    callbackP99Ms,
    errors,
    missing,
    keptUp: true, // nothing to commit: answers and callbacks are the whole of its work
  });
  const series = backlogSeries(owed, arrived, startWallMs, drainedAt, BACKLOG_INTERVAL_MS);
  const wallMs = cpuAfter.wallMs - cpuBefore.wallMs;
  const us = (ms: number) => Math.round((ms * 1000) / Math.max(1, load.scheduled));
  const cores = (ms: number) => round(ms / wallMs, 2);
  const bareMs = cpuAfter.bare.totalMs - cpuBefore.bare.totalMs;
  const mainTid = String(pid);
  return {
    name: setup.name,
    offeredPerSecond: setup.ratePerSecond,
    seconds: setup.seconds,
    requests: load.scheduled,
    answerP50Ms: round(percentileOf(load.latenciesMs, 0.5)),
    answerP99Ms: round(answerP99Ms),
    callbackP99Ms: round(callbackP99Ms),
    callbacksExpected: owed.length,
    callbacksMissing: missing,
    validationsReceived: received.validations,
    errors,
    errorDetail: Object.fromEntries(Object.entries(errorDetail).filter(([, n]) => n > 0)),
    outboundCalls: counts.calls,
    passed: failedCriteria.length === 0,
    failedCriteria,
    cpuUsPerRequest: {
      bare: us(bareMs),
      bareMain: us((cpuAfter.bare.byTid[mainTid] ?? 0) - (cpuBefore.bare.byTid[mainTid] ?? 0)),
      generator: us(cpuAfter.generatorMs - cpuBefore.generatorMs),
      receiver: us(cpuAfter.receiverMs - cpuBefore.receiverMs),
    },
    cpuCores: {
      bare: cores(bareMs),
      generator: cores(cpuAfter.generatorMs - cpuBefore.generatorMs),
      receiver: cores(cpuAfter.receiverMs - cpuBefore.receiverMs),
    },
    backlog: { series, max: Math.max(0, ...series.map((p) => p.backlog)) },
  };
}

function cpuOf(setup: BareSetup, pid: number | undefined) {
  const own = process.cpuUsage();
  return {
    wallMs: wallNowMs(),
    bare: processCpu(pid),
    generatorMs: (own.user + own.system) / 1000,
    receiverMs: processCpuMs(setup.receiver.process.pid),
  };
}

/** Until every owed callback (and every validation) has arrived, or the drain time is up. */
async function drainBare(setup: BareSetup, received: Received, ledger: StepLedger): Promise<void> {
  const deadline = performance.now() + setup.drainMaxMs;
  for (;;) {
    await takeReceived(setup.receiver, received);
    let all = received.validations >= ledger.c2bAccepted.size;
    for (const key of ledger.answeredAtWallMs.keys()) {
      if (!all) break;
      all = received.arrivals.has(key);
    }
    if (all || performance.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
}
