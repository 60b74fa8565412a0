// npm run bench:api — the end-to-end benchmark of the partner API. Not a test: it prints a table
// and writes bench/results/api.json.
//
// Malipo runs as a user would start it (bench/api/server.ts: startServer(loadConfig(...)), the
// embedded SQLite journal with durable commits, callbacks through the outbox) in its own process,
// seeded through its admin and Daraja APIs with 100,000 customers and 100 businesses. A callback
// receiver (one port per business) and this process's open-loop load generator run on the same
// machine. The mix — 50 % C2B paybill payments (a fifth to one hot paybill), 40 % B2C, 10 % status
// and balance queries — is offered at fixed arrival rates: a ladder of short search steps, one
// bisection, then a step of at least 30 s at the best rate, which is the one reported. In the same
// run the same generator drives a bare node:http server, the baseline.
//
//   node --import tsx bench/api.ts [--quick] [--profile] [--customers N] [--businesses N]
//       [--search-seconds S] [--final-seconds S] [--budget-minutes M]
//
// --quick: 10,000 customers, 20 businesses, 5 s steps, for a smoke run (its figures are flagged).
// --keep-data: keep the server's data folder (journal, delivery log) for inspection.
// --profile: a further step at the reported rate with the server's threads CPU-profiled; the
// summary is printed and saved, the .cpuprofile files are kept in a temp folder.
//
// What the figures mean:
// - committed tx/s: C2B payments and successful B2C payments whose commit (the ledger timestamp of
//   the batch that carried their callback record) fell inside the step; queries are not counted.
// - answer latency: from each request's scheduled send time to its complete answer.
// - commit → callback: from that commit timestamp to the receiver's arrival time, for every
//   callback the step committed (confirmations, results of payments and of queries).
// - errors: any non-200 answer, network error, time-out, request the generator had to drop, C2B
//   payment accepted but never committed, failure result or queue time-out, and accepted request
//   without a result — except, up to the number the fraud engine stepped up, held or blocked in
//   the step, the payments it stopped (reported as riskFlagged: the engine's decisions on this
//   synthetic population, not failures). callbacksMissing: committed callbacks not received after
//   the drain.
// - a step passes with answer p99 ≤ 100 ms, no errors, no callback missing, and ≥ 95 % of its
//   offered money transactions committed within the step (it kept up).

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { JournalReader } from './api/journal.ts';
import { percentileOf, postMessage, runOpenLoop } from './api/load.ts';
import { MIX, TrafficMix } from './api/mix.ts';
import { Child } from './api/processes.ts';
import type { ThreadSummary } from './api/profile.ts';
import { seedWorld, type World } from './api/seed.ts';
import { round, runStep, type StepResult, TARGETS } from './api/step.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'keep-data': { type: 'boolean', default: false },
    customers: { type: 'string' },
    businesses: { type: 'string' },
    'search-seconds': { type: 'string' },
    'final-seconds': { type: 'string' },
    'budget-minutes': { type: 'string' },
  },
});
const QUICK = args.quick;
const SETTINGS = {
  customers: Number(args.customers ?? (QUICK ? 10_000 : 100_000)),
  businesses: Number(args.businesses ?? (QUICK ? 20 : 100)),
  searchSeconds: Number(args['search-seconds'] ?? (QUICK ? 5 : 10)),
  finalSeconds: Number(args['final-seconds'] ?? (QUICK ? 5 : 30)),
  /** Bounds the measuring phases (seeding excluded); steps not started by then are skipped. */
  budgetMs: Number(args['budget-minutes'] ?? (QUICK ? 3 : 10)) * 60_000,
  // The warm-up also pays each business's first SecurityCredential check (an RSA decryption and
  // a scrypt verification, ~80 ms of CPU each, then cached): at a rate the server absorbs.
  warmup: QUICK ? { rate: 200, seconds: 5 } : { rate: 300, seconds: 15 },
  ladder: QUICK
    ? [250, 500, 1_000, 2_000]
    : [250, 500, 750, 1_000, 1_500, 2_000, 3_000, 4_000, 6_000, 8_000, 10_000, 12_000],
  drainMaxMs: QUICK ? 10_000 : 30_000,
  confirmAttemptsMax: 3,
  profileSeconds: QUICK ? 4 : 10,
  baseline: {
    seconds: QUICK ? 3 : 5,
    warmup: { rate: 1_000, seconds: 2 },
    rates: [2_500, 5_000, 7_500, 10_000, 12_500, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000],
  },
  /** Each Daraja app's allowance: far above any rate offered, so spike arrest never fires. */
  appRatePerSecond: 100_000,
};
/** How long the server may take to send what seeding left (SMS to 100,000 customers). */
const SEED_SETTLE_MAX_MS = 10 * 60_000;
/** Rates tried by the bisection and the step-down are multiples of this. */
const RATE_GRAIN = 50;
/** The profiler's sampling interval: 1 ms, Node's default. */
const PROFILE_SAMPLING_US = 1_000;
const RESULTS_FILE = 'bench/results/api.json';

interface Processes {
  server: Child;
  receiver: Child;
  echo: Child;
}

const started: Child[] = [];
let dataDir: string | null = null;

async function startProcesses(dir: string): Promise<{
  processes: Processes;
  url: string;
  adminToken: string;
  receiverPorts: number[];
  echoPort: number;
}> {
  const receiver = await Child.start<{ ports: number[] }>('receiver', 'bench/api/peers.ts', [
    'receiver',
    String(SETTINGS.businesses),
  ]);
  started.push(receiver.child);
  const echo = await Child.start<{ ports: number[] }>('echo', 'bench/api/peers.ts', ['echo']);
  started.push(echo.child);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MALIPO_ADMIN_TOKEN: randomBytes(18).toString('base64url'),
    MALIPO_DARAJA_APP_RATE_PER_SECOND: String(SETTINGS.appRatePerSecond),
    MALIPO_SEED_DEMO: '1',
  };
  for (const name of [
    'MALIPO_DATABASE_URL',
    'MALIPO_MODE',
    'MALIPO_PORT',
    'MALIPO_HOST',
    'MALIPO_DATA_DIR',
  ])
    delete env[name];
  const server = await Child.start<{ url: string; adminToken: string }>(
    'server',
    'bench/api/server.ts',
    ['--port', '0', '--data', dir],
    { env },
  );
  started.push(server.child);
  return {
    processes: { server: server.child, receiver: receiver.child, echo: echo.child },
    url: server.ready.url,
    adminToken: server.ready.adminToken,
    receiverPorts: receiver.ready.ports,
    echoPort: echo.ready.ports[0],
  };
}

// ---- baseline ----------------------------------------------------------------------------------

interface BaselineStep {
  offeredPerSecond: number;
  answeredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  sendLagP99Ms: number;
  passed: boolean;
}

/** The same generator against a bare node:http server: the highest rate with p99 ≤ 100 ms. */
async function measureBaseline(port: number): Promise<BaselineStep[]> {
  const host = `127.0.0.1:${port}`;
  // The size of a typical Daraja request body here (a C2B simulate is ~150 bytes, a B2C ~700).
  const body = JSON.stringify({
    ShortCode: '700001',
    CommandID: 'CustomerPayBillOnline',
    Amount: 100,
    Msisdn: '254720000001',
    BillRefNumber: 'S1R1',
    Remarks: 'x'.repeat(180),
  });
  const message = postMessage(
    host,
    '/echo',
    body,
    'Authorization: Bearer 0123456789abcdefghijklmnopqr\r\n',
  );
  const steps: BaselineStep[] = [];
  const make = () => ({ kind: 0, message });
  const { warmup } = SETTINGS.baseline;
  await runOpenLoop({
    host: '127.0.0.1',
    port,
    ratePerSecond: warmup.rate,
    durationMs: warmup.seconds * 1000,
    make,
  });
  for (const rate of SETTINGS.baseline.rates) {
    const load = await runOpenLoop({
      host: '127.0.0.1',
      port,
      ratePerSecond: rate,
      durationMs: SETTINGS.baseline.seconds * 1000,
      make,
    });
    const errors = load.scheduled - (load.statuses[200] ?? 0);
    const p99Ms = percentileOf(load.latenciesMs, 0.99);
    const step = {
      offeredPerSecond: rate,
      answeredPerSecond: round(load.answered / (load.elapsedMs / 1000), 0),
      p50Ms: round(percentileOf(load.latenciesMs, 0.5)),
      p99Ms: round(p99Ms),
      errors,
      sendLagP99Ms: round(load.sendLagP99Ms),
      passed: errors === 0 && p99Ms <= TARGETS.answerP99Ms,
    };
    steps.push(step);
    console.log(
      `  baseline ${String(rate).padStart(6)}/s: p50 ${step.p50Ms} ms, p99 ${step.p99Ms} ms, errors ${errors}${step.passed ? '' : '  (fails)'}`,
    );
    if (!step.passed) break;
  }
  return steps;
}

// ---- Malipo ------------------------------------------------------------------------------------

interface Search {
  steps: StepResult[];
  reported: StepResult | null;
  lastConfirm: StepResult | null;
}

async function searchRates(
  run: (name: string, rate: number, seconds: number) => Promise<StepResult>,
  deadline: number,
): Promise<Search> {
  const steps: StepResult[] = [];
  const record = async (name: string, rate: number, seconds: number) => {
    const step = await run(name, rate, seconds);
    steps.push(step);
    printStep(step);
    return step;
  };
  await record('warm-up', SETTINGS.warmup.rate, SETTINGS.warmup.seconds);
  let best = 0;
  let firstFail: number | null = null;
  for (const rate of SETTINGS.ladder) {
    if (Date.now() > deadline) break;
    const step = await record('search', rate, SETTINGS.searchSeconds);
    if (!step.passed) {
      firstFail = rate;
      break;
    }
    best = rate;
  }
  if (
    firstFail !== null &&
    best > 0 &&
    firstFail - best >= 2 * RATE_GRAIN &&
    Date.now() < deadline
  ) {
    const mid = Math.round((best + firstFail) / 2 / RATE_GRAIN) * RATE_GRAIN;
    if ((await record('bisect', mid, SETTINGS.searchSeconds)).passed) best = mid;
  }
  // The reported figure comes from a step of the final length at the best rate found; if it
  // fails there, step down.
  let rate = best > 0 ? best : SETTINGS.ladder[0] / 2;
  let reported: StepResult | null = null;
  let lastConfirm: StepResult | null = null;
  for (let attempt = 0; attempt < SETTINGS.confirmAttemptsMax; attempt++) {
    if (attempt > 0 && Date.now() > deadline) break;
    lastConfirm = await record('final', rate, SETTINGS.finalSeconds);
    if (lastConfirm.passed) {
      reported = lastConfirm;
      break;
    }
    rate = Math.max(RATE_GRAIN, Math.round((rate * 0.8) / RATE_GRAIN) * RATE_GRAIN);
  }
  return { steps, reported, lastConfirm };
}

async function profileAt(
  run: (name: string, rate: number, seconds: number, settle?: boolean) => Promise<StepResult>,
  server: Child,
  rate: number,
): Promise<{ step: StepResult; summaries: ThreadSummary[]; files: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'malipo-api-profile-'));
  await untilIdle(server);
  await server.ask({ type: 'profile-start', samplingIntervalUs: PROFILE_SAMPLING_US });
  // Settled before the profiler starts: its own thread would keep the server from looking idle.
  const step = await run('profile', rate, SETTINGS.profileSeconds, false);
  const profile = await server.ask<{ summaries: ThreadSummary[]; files: string[] }>({
    type: 'profile-stop',
    root: resolve('.'),
    dir,
  });
  printStep(step);
  return { step, summaries: profile.summaries, files: profile.files };
}

/**
 * Waits until the server has finished the work left behind by seeding or by the step before
 * (SMS and callbacks still going out), so the next step does not share the CPU with it.
 */
async function untilIdle(server: Child, maxMs = SETTINGS.drainMaxMs * 4): Promise<void> {
  const quietCores = 0.1;
  const deadline = Date.now() + maxMs;
  let last = server.cpuMs();
  let quietSeconds = 0;
  while (quietSeconds < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = server.cpuMs();
    quietSeconds = (now - last) / 1_000 < quietCores ? quietSeconds + 1 : 0;
    last = now;
  }
}

// ---- output ------------------------------------------------------------------------------------

const HEADER =
  'step      offered/s  s   committed tx/s  answer p50  p99 ms  cb p99 ms  missing  errors  cores: server gen rcv other  pass';

function printStep(s: StepResult): void {
  const c = s.cpuCores;
  console.log(
    `${s.name.padEnd(9)} ${String(s.offeredPerSecond).padStart(9)} ${String(s.seconds).padStart(3)} ${String(s.committedTps).padStart(16)} ${String(s.answerP50Ms).padStart(11)} ${String(s.answerP99Ms).padStart(7)} ${String(s.callbackP99Ms).padStart(10)} ${String(s.callbacksMissing).padStart(8)} ${String(s.errors).padStart(7)}  ${[
      c.server,
      c.generator,
      c.receiver,
      c.other,
    ]
      .map((v) => v.toFixed(2))
      .join('  ')
      .padStart(25)}  ${s.passed ? 'yes' : 'no'}`,
  );
  if (s.errors > 0) console.log(`          errors: ${JSON.stringify(s.errorDetail)}`);
  console.log(`          server cores by thread: ${JSON.stringify(s.serverThreadCores)}`);
  const flagged = Object.entries(s.riskDecisions).filter(([key]) => !key.includes(' allow '));
  if (flagged.length > 0)
    console.log(`          fraud engine flagged: ${JSON.stringify(Object.fromEntries(flagged))}`);
}

function printProfile(summaries: ThreadSummary[]): void {
  for (const t of summaries) {
    console.log(
      `\nCPU profile, server thread '${t.thread}': busy ${(t.busyShare * 100).toFixed(0)} % of ${t.seconds} s`,
    );
    console.log(
      `  by area: ${t.areas.map((a) => `${a.name} ${(a.selfShare * 100).toFixed(1)}%`).join(', ')}`,
    );
    console.log(
      `  by file: ${t.topFiles
        .slice(0, 8)
        .map((f) => `${f.name} ${(f.selfShare * 100).toFixed(1)}%`)
        .join(', ')}`,
    );
    console.log('  top self time (share of busy samples):');
    for (const f of t.topFunctions.slice(0, 12))
      console.log(`    ${(f.selfShare * 100).toFixed(1).padStart(5)} %  ${f.name}`);
  }
}

function verdict(value: number, target: number, higherIsBetter: boolean): string {
  const met = higherIsBetter ? value >= target : value <= target;
  return `${value} (target ${higherIsBetter ? '≥' : '≤'} ${target}: ${met ? 'met' : 'NOT met'})`;
}

// ---- main --------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = Date.now();
  console.log(
    `bench:api${QUICK ? ' --quick' : ''}: ${SETTINGS.customers} customers, ${SETTINGS.businesses} businesses, ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  dataDir = mkdtempSync(join(tmpdir(), 'malipo-bench-api-'));
  const { processes, url, adminToken, receiverPorts, echoPort } = await startProcesses(dataDir);
  // The baseline first, while the Malipo server is idle: seeding leaves it minutes of SMS to send.
  console.log(
    `\nbaseline: the same generator against a bare node:http server (${SETTINGS.baseline.seconds} s steps)`,
  );
  const baselineSteps = await measureBaseline(echoPort);
  const baselineEchoRps = Math.max(
    0,
    ...baselineSteps.filter((s) => s.passed).map((s) => s.offeredPerSecond),
  );
  console.log(`\nserver ${url}, data ${dataDir}; seeding through the admin and Daraja APIs:`);
  const seedStartedAt = Date.now();
  const world: World = await seedWorld({
    url,
    adminToken,
    customers: SETTINGS.customers,
    businesses: SETTINGS.businesses,
    receiverPorts,
    log: (line) => console.log(line),
  });
  const settleStartedAt = Date.now();
  await untilIdle(processes.server, SEED_SETTLE_MAX_MS);
  console.log(
    `  the server sent what seeding left (SMS) in ${round((Date.now() - settleStartedAt) / 1000, 1)} s`,
  );
  const seedSeconds = round((Date.now() - seedStartedAt) / 1000, 1);
  const deadline = Date.now() + SETTINGS.budgetMs;
  const serverUrl = new URL(url);
  const journal = new JournalReader(join(dataDir, 'journal.db'));
  const mix = new TrafficMix(world, serverUrl.host);
  let stepNumber = 0;
  // Each step starts on a quiet server: a step past the limit leaves work behind (SMS and
  // callbacks still going out) that would otherwise be charged to the next one.
  const run = async (name: string, rate: number, seconds: number, settle = true) => {
    if (settle) await untilIdle(processes.server);
    return runStep({
      name,
      ratePerSecond: rate,
      seconds,
      drainMaxMs: SETTINGS.drainMaxMs,
      host: serverUrl.hostname,
      port: Number(serverUrl.port),
      mix,
      server: processes.server,
      receiver: processes.receiver,
      journal,
      stepNumber: ++stepNumber,
    });
  };
  console.log(
    `\nMalipo: open-loop mix (${MIX.c2bShare * 100} % C2B, ${MIX.b2cShare * 100} % B2C, the rest queries)\n${HEADER}`,
  );
  const search = await searchRates(run, deadline);
  const reported = search.reported ?? search.lastConfirm!;
  const profile = args.profile
    ? await profileAt(run, processes.server, reported.offeredPerSecond)
    : null;
  journal.close();
  if (profile !== null) printProfile(profile.summaries);
  const maxSustainedTps = search.reported === null ? 0 : search.reported.committedTps;
  const ratio =
    baselineEchoRps > 0 && search.reported !== null
      ? round(search.reported.offeredPerSecond / baselineEchoRps, 3)
      : null;
  console.log(
    `\nreported step: ${reported.name} at ${reported.offeredPerSecond} requests/s for ${reported.seconds} s${search.reported === null ? ' (did NOT pass)' : ''}`,
  );
  console.log(
    `  committed transactions/s (max sustained)  ${verdict(maxSustainedTps, TARGETS.committedTps, true)}; stretch ${TARGETS.stretchCommittedTps}`,
  );
  console.log(
    `  answer p50 / p99 ms                       ${reported.answerP50Ms} / ${verdict(reported.answerP99Ms, TARGETS.answerP99Ms, false)}`,
  );
  console.log(
    `  answer p99 ms by kind                     ${JSON.stringify(reported.answerP99MsByKind)}`,
  );
  console.log(
    `  commit → callback p50 / p99 ms            ${reported.callbackP50Ms} / ${verdict(reported.callbackP99Ms, TARGETS.callbackP99Ms, false)}`,
  );
  console.log(
    `  callbacks committed / missing             ${reported.callbacksCommitted} / ${verdict(reported.callbacksMissing, 0, false)}`,
  );
  console.log(
    `  errors                                    ${reported.errors} ${reported.errors > 0 ? JSON.stringify(reported.errorDetail) : ''}`,
  );
  console.log(
    `  flagged by the fraud engine (not errors)  ${reported.riskFlagged} ${JSON.stringify(reported.riskDecisions)}`,
  );
  console.log(
    `  baseline (bare node:http, same generator) ${baselineEchoRps} requests/s; Malipo / baseline = ${ratio ?? '-'}`,
  );
  console.log(
    `  CPU cores used: server ${reported.cpuCores.server}, generator ${reported.cpuCores.generator}, receiver ${reported.cpuCores.receiver}, other work on the machine ${reported.cpuCores.other}`,
  );
  const result = {
    maxSustainedTps,
    answerP50Ms: reported.answerP50Ms,
    answerP99Ms: reported.answerP99Ms,
    callbackP99Ms: reported.callbackP99Ms,
    errors: reported.errors,
    callbacksMissing: reported.callbacksMissing,
    baselineEchoRps,
    quick: QUICK,
    maxSustainedRequestsPerSecond: search.reported?.offeredPerSecond ?? 0,
    malipoToBaselineRatio: ratio,
    targets: TARGETS,
    reportedStep: reported,
    steps: search.steps,
    baselineSteps,
    profile:
      profile === null
        ? null
        : {
            rate: profile.step.offeredPerSecond,
            step: profile.step,
            threads: profile.summaries,
            files: profile.files,
          },
    settings: { ...SETTINGS, mix: MIX },
    commitPoint:
      "the ledger's engine timestamp of the batch carrying the callback record (just before its durable commit)",
    seedSeconds,
    wallSeconds: round((Date.now() - startedAt) / 1000, 1),
    machine: { cpus: cpus().length, loadAverageAtEnd: loadavg().map((l) => round(l)) },
    node: process.version,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `\nwrote ${RESULTS_FILE}${profile === null ? '' : `; CPU profiles in ${profile.files[0]?.replace(/\/[^/]*$/, '')}`}`,
  );
}

async function cleanUp(): Promise<void> {
  // Our own children only, by PID; the server first, so it closes its journal cleanly.
  for (const child of [...started].reverse()) await child.stop().catch(() => child.kill());
  if (dataDir !== null && args['keep-data']) console.log(`kept the server's data in ${dataDir}`);
  else if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
}

let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  console.error('\ninterrupted: stopping the server, receiver and echo server');
  cleanUp().finally(() => process.exit(130));
});

main()
  .then(() => cleanUp())
  .catch(async (error) => {
    console.error(error);
    await cleanUp();
    process.exitCode = 1;
  })
  .finally(() => {
    if (!interrupted) process.exit();
  });
