// The pure event generator: a deterministic, time-ordered stream of labelled commands for a
// population over a number of simulated days. Same configuration and seed → identical stream.
//
// Discretionary activity arrives minute by minute as a Poisson count whose mean follows the
// forecast module's traffic profile (createTrafficGenerator: three daily peaks, quiet nights,
// weekends, salary days), normalised to the population's own daily activity; each arrival is one
// customer, drawn in proportion to how active they are, doing one thing their persona does.
// Salaries, chamas, rare life events, betting, lending and gig payouts (disbursers.ts) and fraud
// campaigns are scheduled per day.

import {
  createPayCalendar,
  DEFAULT_PAY_CALENDAR,
  kenyaPublicHolidays,
} from '../forecast/calendar.ts';
import { createTrafficGenerator, type TrafficProfile } from '../forecast/synthetic.ts';
import {
  civilDate,
  dayIndexOf,
  dayOfWeek,
  localDayIndex,
  NAIROBI_UTC_OFFSET_MINUTES,
} from '../forecast/time.ts';
import { MinHeap } from '../ledger/min-heap.ts';
import { defaultMarketConfig, type MarketConfig } from '../payments/market-config.ts';
import { scheduleBetting, scheduleLending, schedulePayoutRuns } from './disbursers.ts';
import { DEFAULT_FRAUD_RATES, type FraudRates, scheduleFraud } from './fraud.ts';
import { legitAction, scheduleChamas, scheduleLifeEvents, scheduleSalaries } from './legit.ts';
import type { SimEvent } from './model.ts';
import { createPopulation, DAY_MS, type Population } from './population.ts';
import { createSimRandom, mixSeed } from './random.ts';
import { firstKeyAt, type SimWorld, schedule } from './world.ts';

const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 1_440;
/** One simulated run covers at most this many days. */
export const SIMULATION_DAYS_MAX = 366;

/**
 * Local midnight (Nairobi) of Monday 3 March 2025: the default start, fixed for reproducibility.
 * The default training run (30 days) then covers a mid-month payday in its training days and a
 * month-end payday in its validation days, so the model learns payday traffic and thresholds are
 * chosen on days as busy as the ones they will meet.
 */
export const DEFAULT_START_MS = Date.UTC(2025, 2, 3) - NAIROBI_UTC_OFFSET_MINUTES * MINUTE_MS;

export interface SimulatorConfig {
  readonly seed: number;
  readonly customers: number;
  /** A local midnight; the stream covers [startMs, startMs + days). */
  readonly startMs: number;
  readonly days: number;
  readonly fraudRates?: Partial<FraudRates>;
  readonly market?: MarketConfig;
  readonly trafficProfile?: TrafficProfile;
}

export function populationOf(config: SimulatorConfig): Population {
  return createPopulation({
    seed: config.seed,
    customers: config.customers,
    startMs: config.startMs,
    days: config.days,
  });
}

function checkConfig(config: SimulatorConfig): void {
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed > 0xffffffff)
    throw new RangeError('seed must be a 32-bit unsigned integer');
  if (!Number.isInteger(config.days) || config.days < 1 || config.days > SIMULATION_DAYS_MAX)
    throw new RangeError(`days must be an integer in [1, ${SIMULATION_DAYS_MAX}]`);
  if (!Number.isInteger(config.startMs)) throw new RangeError('startMs must be an integer');
}

/** The stream of events, in time order. Pass the population to reuse one already built. */
export function* generateEvents(
  config: SimulatorConfig,
  population: Population = populationOf(config),
): Generator<SimEvent> {
  checkConfig(config);
  const world = createWorld(config, population);
  const arrivals = createArrivals(config, population);
  const rates = { ...DEFAULT_FRAUD_RATES, ...config.fraudRates };
  const calendar = paydayCalendar(config);
  for (let day = 0; day < config.days; day++) {
    const dayStartMs = config.startMs + day * DAY_MS;
    world.nowMs = dayStartMs;
    scheduleDay(world, dayStartMs, calendar, rates);
    for (let minute = 0; minute < MINUTES_PER_DAY; minute++) {
      const minuteStartMs = dayStartMs + minute * MINUTE_MS;
      arrivals.schedule(world, minuteStartMs);
      const limit = firstKeyAt(world, minuteStartMs + MINUTE_MS);
      while (world.queue.size > 0 && world.queue.peekKey()! < limit) {
        const next = world.queue.pop()!;
        world.nowMs = next.atMs;
        next.step(world, next.atMs);
        yield* world.output;
        world.output.length = 0;
      }
    }
  }
}

function createWorld(config: SimulatorConfig, population: Population): SimWorld {
  return {
    population,
    market: config.market ?? defaultMarketConfig(),
    random: createSimRandom(mixSeed(config.seed, 2)),
    fraudRandom: createSimRandom(mixSeed(config.seed, 3)),
    businessRandom: createSimRandom(mixSeed(config.seed, 5)),
    seed: config.seed,
    balances: Float64Array.from(population.customers, (c) => c.initialBalanceCents),
    startMs: config.startMs,
    queue: new MinHeap(),
    output: [],
    nowMs: config.startMs,
    scheduled: 0,
    emitted: 0,
    campaigns: 0,
  };
}

interface PaydayCalendar {
  monthEnd(dayIndex: number): boolean;
  midMonth(dayIndex: number): boolean;
}

function paydayCalendar(config: SimulatorConfig): PaydayCalendar {
  const first = civilDate(localDayIndex(config.startMs, NAIROBI_UTC_OFFSET_MINUTES)).year;
  const years = [first - 1, first, first + 1, first + 2];
  const calendar = createPayCalendar({
    ...DEFAULT_PAY_CALENDAR,
    holidays: years.flatMap(kenyaPublicHolidays),
  });
  return {
    monthEnd(dayIndex) {
      const { year, month } = civilDate(dayIndex);
      return calendar.monthEndPayday(year, month) === dayIndex;
    },
    midMonth(dayIndex) {
      const { year, month } = civilDate(dayIndex);
      let payday = dayIndexOf(year, month, 15);
      for (let step = 0; step < 14 && !calendar.isWorkingDay(payday); step++) payday -= 1;
      return payday === dayIndex;
    },
  };
}

function scheduleDay(
  world: SimWorld,
  dayStartMs: number,
  calendar: PaydayCalendar,
  rates: FraudRates,
): void {
  const dayIndex = localDayIndex(dayStartMs, NAIROBI_UTC_OFFSET_MINUTES);
  if (calendar.monthEnd(dayIndex)) {
    scheduleSalaries(world, dayStartMs, false);
    scheduleChamas(world, dayStartMs + DAY_MS);
  } else if (calendar.midMonth(dayIndex)) {
    scheduleSalaries(world, dayStartMs, true);
  }
  scheduleLifeEvents(world, dayStartMs);
  const weekday = dayOfWeek(dayIndex);
  scheduleBetting(world, dayStartMs, weekday === 0 || weekday === 6);
  scheduleLending(world, dayStartMs);
  schedulePayoutRuns(world, dayStartMs);
  scheduleFraud(world, dayStartMs, rates);
}

interface Arrivals {
  schedule(world: SimWorld, minuteStartMs: number): void;
  /** Expected discretionary transactions per simulated second at an instant. */
  ratePerSecond(atMs: number): number;
}

/** Minute-by-minute discretionary arrivals shaped by the forecast module's traffic profile. */
export function createArrivals(config: SimulatorConfig, population: Population): Arrivals {
  const traffic = createTrafficGenerator(config.trafficProfile);
  const weekMs = 7 * DAY_MS;
  let meanTps = 0;
  const samples = 7 * 96;
  for (let k = 0; k < samples; k++)
    meanTps += traffic.expectedRateTps(config.startMs + (k * weekMs) / samples) / samples;
  const cumulative = new Float64Array(population.customers.length);
  let total = 0;
  population.customers.forEach((c, i) => {
    total += c.activityPerDay;
    cumulative[i] = total;
  });
  const ratePerSecond = (atMs: number) =>
    (total / 86_400) * (traffic.expectedRateTps(atMs) / meanTps);
  return {
    ratePerSecond,
    schedule(world, minuteStartMs) {
      const { random } = world;
      const count = random.poisson(ratePerSecond(minuteStartMs + MINUTE_MS / 2) * 60);
      for (let k = 0; k < count; k++) {
        const actor = lowerBound(cumulative, random.next() * total);
        const at = minuteStartMs + Math.floor(random.next() * MINUTE_MS);
        schedule(world, at, (w, when) => legitAction(w, actor, when));
      }
    },
  };
}

function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
