// `malipo simulate`: the population simulator.
//
//   malipo simulate --url http://127.0.0.1:8080 --rate 50 --duration 60 --seed 7 \
//     --labels labels.jsonl --setup          drive a running Malipo through its channels
//   malipo simulate --offline --seed 1 --days 14 --out labelled.jsonl
//                                           write the labelled stream for `malipo train --from`
//
// Live runs register the population first with --setup (admin API; the token is read from the
// data folder's `admin-token`, or --admin-token / MALIPO_ADMIN_TOKEN). Use the same --seed and
// --customers for the set-up and the runs after it: the population is a function of both.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_SANDBOX_BUSINESS } from '../payments/demo.ts';
import { createAdminClient } from '../simulator/channels/admin.ts';
import { runDriver } from '../simulator/driver.ts';
import { scaledFraudRates } from '../simulator/fraud.ts';
import { DEFAULT_START_MS, generateEvents, populationOf } from '../simulator/generator.ts';
import { setupPopulation } from '../simulator/setup.ts';
import { writeLabelledStream } from '../simulator/stream.ts';
import { localMidnightOf } from './train.ts';

export const SIMULATE_USAGE = `usage: malipo simulate [options]
 live (drives a running Malipo through USSD, Daraja and the admin API):
  --url URL              the platform (default http://127.0.0.1:8080)
  --rate N               mean commands per second (default 50)
  --duration S           seconds to run (default 60)
  --setup                register the population first (admin API)
  --labels FILE          write fraud labels here (JSON lines)
  --concurrency N        requests in flight at most (default 32)
  --data DIR             data folder holding admin-token (default ./data)
  --admin-token T        admin bearer token (default: MALIPO_ADMIN_TOKEN, then DIR/admin-token)
  --no-daraja            send salaries and C2B payments through the admin API
  --from-hour H          simulated local hour the run starts at (default 6; earlier hours are
                         generated, not sent)
  --fraud-scale X        fraud campaigns relative to the default rates (default 1)
 offline:
  --offline              write the labelled stream instead of driving a platform
  --days N               simulated days (default 14)
  --out FILE             where to write it (default labelled.jsonl)
 both:
  --seed N               (default 7 live, 1 offline)
  --customers N          population size (default 2000 live, 5000 offline)
  --start YYYY-MM-DD     first simulated local day (default 2025-03-03)`;

export interface SimulateIo {
  log(line: string): void;
  error(line: string): void;
}

const consoleIo: SimulateIo = { log: (l) => console.log(l), error: (l) => console.error(l) };

function whole(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new RangeError(`--${name} must be a positive number`);
  return parsed;
}

function parse(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      customers: { type: 'string' },
      labels: { type: 'string' },
      setup: { type: 'boolean' },
      concurrency: { type: 'string' },
      data: { type: 'string' },
      'admin-token': { type: 'string' },
      'no-daraja': { type: 'boolean' },
      'from-hour': { type: 'string' },
      'fraud-scale': { type: 'string' },
      offline: { type: 'boolean' },
      days: { type: 'string' },
      out: { type: 'string' },
      start: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const offline = values.offline === true;
  return {
    help: values.help === true,
    offline,
    url: values.url ?? 'http://127.0.0.1:8080',
    rate: whole(values.rate, 50, 'rate'),
    duration: whole(values.duration, 60, 'duration'),
    seed: Math.floor(whole(values.seed, offline ? 1 : 7, 'seed')),
    customers: Math.floor(whole(values.customers, offline ? 5_000 : 2_000, 'customers')),
    labels: values.labels,
    setup: values.setup === true,
    concurrency: Math.floor(whole(values.concurrency, 32, 'concurrency')),
    dataDir: values.data ?? process.env.MALIPO_DATA_DIR ?? 'data',
    adminToken: values['admin-token'] ?? process.env.MALIPO_ADMIN_TOKEN,
    daraja: values['no-daraja'] === true ? ('off' as const) : ('auto' as const),
    days: Math.floor(whole(values.days, 14, 'days')),
    fromHour: values['from-hour'] === undefined ? 6 : Number(values['from-hour']),
    fraudScale: values['fraud-scale'] === undefined ? 1 : Number(values['fraud-scale']),
    out: values.out ?? 'labelled.jsonl',
    startMs: values.start === undefined ? DEFAULT_START_MS : localMidnightOf(values.start),
  };
}

type SimulateArgs = ReturnType<typeof parse>;

async function offline(options: SimulateArgs, io: SimulateIo): Promise<number> {
  const config = {
    seed: options.seed,
    customers: options.customers,
    startMs: options.startMs,
    days: options.days,
    fraudRates: scaledFraudRates(options.fraudScale),
  };
  const population = populationOf(config);
  const count = await writeLabelledStream(
    options.out,
    population,
    generateEvents(config, population),
  );
  io.log(
    `wrote ${count} events for ${options.customers} customers over ${options.days} days to ${options.out}`,
  );
  return 0;
}

function adminToken(options: SimulateArgs): string {
  if (options.adminToken !== undefined) return options.adminToken;
  const path = join(options.dataDir, 'admin-token');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    throw new Error(
      `no admin token: pass --admin-token or --data DIR with an admin-token file (${path})`,
    );
  }
}

async function live(options: SimulateArgs, io: SimulateIo): Promise<number> {
  const token = adminToken(options);
  if (options.setup) {
    const population = populationOf({
      seed: options.seed,
      customers: options.customers,
      startMs: options.startMs,
      days: 1,
    });
    const summary = await setupPopulation({
      admin: createAdminClient(options.url, token),
      population,
      concurrency: options.concurrency,
      darajaShortcode: options.daraja === 'off' ? null : DEMO_SANDBOX_BUSINESS.shortcode,
      log: io.log,
    });
    io.log(
      `set-up: ok ${summary.ok}, refused ${summary.refused}, errors ${summary.errors}${summary.firstProblem === null ? '' : `; first problem: ${summary.firstProblem}`}`,
    );
    if (summary.errors > 0) return 1;
  }
  const result = await runDriver({
    url: options.url,
    seed: options.seed,
    customers: options.customers,
    ratePerSecond: options.rate,
    durationSeconds: options.duration,
    concurrency: options.concurrency,
    startMs: options.startMs,
    adminToken: token,
    labelsPath: options.labels,
    daraja: options.daraja,
    skipHours: options.fromHour,
    fraudScale: options.fraudScale,
    progress: process.stderr,
    log: io.log,
  });
  io.log(
    `done: ${result.sent} sent in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.simulatedHours.toFixed(1)} simulated hours): ok ${result.ok}, refused ${result.refused}, errors ${result.errors}, skipped ${result.skipped}; ${result.labelled} labelled${options.labels === undefined ? '' : ` → ${options.labels}`}`,
  );
  for (const [why, count] of result.reasons.slice(0, 5)) io.log(`  ${count} × ${why}`);
  return result.errors > 0 ? 1 : 0;
}

/** `malipo simulate`; returns the process exit code. */
export async function runSimulateCommand(
  args: string[],
  io: SimulateIo = consoleIo,
): Promise<number> {
  let options: SimulateArgs;
  try {
    options = parse(args);
  } catch (error) {
    io.error(`${(error as Error).message}\n${SIMULATE_USAGE}`);
    return 2;
  }
  if (options.help) {
    io.log(SIMULATE_USAGE);
    return 0;
  }
  try {
    return options.offline ? await offline(options, io) : await live(options, io);
  } catch (error) {
    io.error((error as Error).message);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runSimulateCommand(process.argv.slice(2));
}
