// Synthetic M-Pesa-like traffic: the "world" the forecaster is tested against, and the arrival-rate
// profile the population simulator draws from. Its shape follows what is published about M-Pesa
// (three daily peaks, ~300 TPS at night vs ~4,000 at peak, quieter weekends, month-end salary days)
// and its noise is deliberately richer than the forecaster's model: persistent minute-level
// deviations, day-level shocks, a salary uplift that varies month to month and by time of day,
// spending that lingers for days after payday, and rare spikes. The forecaster never reads these
// parameters; it only sees the counts.

import { createPayCalendar, kenyaPublicHolidays, type PayCalendar } from './calendar.ts';
import type { SlotSeries } from './model.ts';
import { createRandom, type Random } from './random.ts';
import { countsToSlotSeries } from './series.ts';
import {
  civilDate,
  DAY_MS,
  dayIndexOf,
  dayOfWeek,
  localDayIndex,
  MINUTE_MS,
  NAIROBI_UTC_OFFSET_MINUTES,
} from './time.ts';

export interface Peak {
  hour: number;
  widthHours: number;
  tps: number;
}

/** One kind of day: a floor, a daytime plateau and Gaussian peaks, all in TPS. */
export interface DayShape {
  nightTps: number;
  daytimeTps: number;
  peaks: readonly Peak[];
}

export interface TrafficProfile {
  utcOffsetMinutes: number;
  /** Growth is measured from here: at this instant the growth factor is 1. */
  originMs: number;
  growthPerDayFraction: number;
  /** Shapes by day of the week, 0 = Sunday; public holidays use Sunday's. */
  shapes: readonly DayShape[];
  holidayFactor: number;
  holidays: readonly string[];
  /** Mean salary uplift on the month-end payday (0.3 = +30 %), spread over days by weight. */
  salaryUpliftFraction: number;
  /** Month-to-month variation of the salary uplift, as a relative standard deviation. */
  salaryUpliftMonthlySd: number;
  /** Weight of the uplift by calendar-day offset from the payday (last working day). */
  salaryWeightsByOffset: Readonly<Record<number, number>>;
  /** Extra uplift by day of month (rent, school fees, bills). */
  monthDayUplift: Readonly<Record<number, number>>;
  /** Uplift on the mid-month payday (working day on or before the 15th) and the day after. */
  midMonthUplift: readonly number[];
  noise: TrafficNoise;
  spikes: TrafficSpikes;
}

export interface TrafficNoise {
  /** Standard deviation of a log-normal shock shared by a whole local day. */
  daySd: number;
  /** AR(1) log deviation per minute: persistence and stationary standard deviation. */
  minutePersistence: number;
  minuteSd: number;
  /** Independent log noise per minute, on top of Poisson counting noise. */
  minuteWhiteSd: number;
}

export interface TrafficSpikes {
  perDay: number;
  durationMinutesMin: number;
  durationMinutesMax: number;
  factorMin: number;
  factorMax: number;
}

const WEEKDAY: DayShape = {
  nightTps: 270,
  daytimeTps: 1250,
  peaks: [
    { hour: 8.0, widthHours: 1.2, tps: 2000 },
    { hour: 13.0, widthHours: 1.1, tps: 1650 },
    { hour: 18.5, widthHours: 1.5, tps: 2200 },
  ],
};
const FRIDAY: DayShape = {
  ...WEEKDAY,
  peaks: [WEEKDAY.peaks[0], WEEKDAY.peaks[1], { hour: 18.8, widthHours: 1.9, tps: 2550 }],
};
const SATURDAY: DayShape = {
  nightTps: 300,
  daytimeTps: 1050,
  peaks: [
    { hour: 10.0, widthHours: 1.6, tps: 1250 },
    { hour: 13.5, widthHours: 1.5, tps: 1350 },
    { hour: 18.0, widthHours: 1.8, tps: 1450 },
  ],
};
const SUNDAY: DayShape = {
  nightTps: 280,
  daytimeTps: 800,
  peaks: [
    { hour: 11.0, widthHours: 1.8, tps: 1000 },
    { hour: 14.0, widthHours: 1.6, tps: 1050 },
    { hour: 18.0, widthHours: 1.8, tps: 1150 },
  ],
};

export const DEFAULT_TRAFFIC_PROFILE: TrafficProfile = {
  utcOffsetMinutes: NAIROBI_UTC_OFFSET_MINUTES,
  originMs: Date.UTC(2025, 0, 1) - NAIROBI_UTC_OFFSET_MINUTES * MINUTE_MS,
  growthPerDayFraction: 0.002,
  shapes: [SUNDAY, WEEKDAY, WEEKDAY, WEEKDAY, WEEKDAY, FRIDAY, SATURDAY],
  holidayFactor: 0.95,
  holidays: [2024, 2025, 2026, 2027].flatMap(kenyaPublicHolidays),
  salaryUpliftFraction: 0.3,
  salaryUpliftMonthlySd: 0.12,
  salaryWeightsByOffset: { [-1]: 0.12, 0: 1, 1: 0.85, 2: 0.55, 3: 0.3, 4: 0.12 },
  monthDayUplift: { 1: 0.1, 2: 0.05 },
  midMonthUplift: [0.08, 0.04],
  noise: { daySd: 0.02, minutePersistence: 0.93, minuteSd: 0.05, minuteWhiteSd: 0.03 },
  spikes: {
    perDay: 0.1,
    durationMinutesMin: 5,
    durationMinutesMax: 45,
    factorMin: 1.4,
    factorMax: 2.5,
  },
};

export interface TrafficGenerator {
  readonly profile: TrafficProfile;
  /** The noiseless arrival rate at an instant (mean salary uplift, no shocks or spikes). */
  expectedRateTps(timestampMs: number): number;
  /** Observed transactions per minute from `startMs` (minute-aligned), deterministic per seed. */
  generateMinuteCounts(request: GenerateRequest): Float64Array;
  /** The same observations averaged into TPS per slot. */
  generateSlotSeries(request: GenerateRequest & { slotMinutes: number }): SlotSeries;
}

export interface GenerateRequest {
  startMs: number;
  minutes: number;
  seed: number;
}

/** Three years of minutes: a generous bound that still stops a runaway request. */
export const GENERATE_MINUTES_MAX = 3 * 366 * 1440;

export function createTrafficGenerator(
  profile: TrafficProfile = DEFAULT_TRAFFIC_PROFILE,
): TrafficGenerator {
  const calendar = createPayCalendar({
    paydayOffsetsDays: [],
    monthStartDays: [],
    midMonthDay: null,
    midMonthOffsetsDays: [],
    holidays: profile.holidays,
    weekendDays: [0, 6],
    holidayDayOfWeek: 0,
  });
  const world: World = { profile, calendar, dayCache: new Map() };
  const expectedRateTps = (timestampMs: number) =>
    rateAt(world, timestampMs, profile.salaryUpliftFraction);
  const generateMinuteCounts = (request: GenerateRequest) => generateCounts(world, request);
  const generateSlotSeries = (request: GenerateRequest & { slotMinutes: number }) =>
    countsToSlotSeries(request.startMs, generateCounts(world, request), request.slotMinutes);
  return { profile, expectedRateTps, generateMinuteCounts, generateSlotSeries };
}

interface World {
  profile: TrafficProfile;
  calendar: PayCalendar;
  dayCache: Map<number, DayEffects>;
}

function rateAt(world: World, timestampMs: number, salaryUpliftFraction: number): number {
  const { profile } = world;
  const localMs = timestampMs + profile.utcOffsetMinutes * MINUTE_MS;
  const day = Math.floor(localMs / DAY_MS);
  const hour = (localMs - day * DAY_MS) / 3_600_000;
  const growth = Math.exp(
    profile.growthPerDayFraction * ((timestampMs - profile.originMs) / DAY_MS),
  );
  // Late-evening traffic of the previous day spills past midnight, so the curve is continuous.
  const base = dayRate(world, day, hour) + spill(world, day - 1, hour + 24);
  return base * growth * calendarMultiplier(world, day, hour, salaryUpliftFraction);
}

function dayRate(world: World, day: number, hour: number): number {
  const holiday = world.calendar.isHoliday(day);
  const shape = world.profile.shapes[holiday ? 0 : dayOfWeek(day)];
  return shapeRate(shape, hour) * (holiday ? world.profile.holidayFactor : 1);
}

function spill(world: World, day: number, hour: number): number {
  const holiday = world.calendar.isHoliday(day);
  const shape = world.profile.shapes[holiday ? 0 : dayOfWeek(day)];
  return Math.max(0, shapeRate(shape, hour) - shape.nightTps);
}

function shapeRate(shape: DayShape, hour: number): number {
  let rate = shape.nightTps + shape.daytimeTps * daytime(hour);
  for (const peak of shape.peaks) {
    const z = (hour - peak.hour) / peak.widthHours;
    rate += peak.tps * Math.exp(-0.5 * z * z);
  }
  return rate;
}

/** Smooth 0→1→0 plateau for waking hours (about 06:30 to 21:30). */
function daytime(hour: number): number {
  return sigmoid((hour - 6.5) / 0.6) * sigmoid((21.5 - hour) / 0.8);
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function calendarMultiplier(world: World, day: number, hour: number, salaryUplift: number) {
  const effects = dayEffects(world, day);
  // Salary money is spent while people are awake: the uplift is smaller at night.
  const awake = 0.55 + 0.45 * daytime(hour);
  return (
    (1 + salaryUplift * effects.salaryWeight * awake) *
    (1 + effects.monthDayUplift * awake) *
    (1 + effects.midMonthUplift * awake)
  );
}

interface DayEffects {
  salaryWeight: number;
  monthDayUplift: number;
  midMonthUplift: number;
}

/** Bounds the per-generator cache of day effects; a simulation touches a few hundred days. */
const DAY_CACHE_MAX = 4096;

/** Calendar effects of a day, cached: the population simulator asks for rates very often. */
function dayEffects(world: World, day: number): DayEffects {
  const cached = world.dayCache.get(day);
  if (cached !== undefined) return cached;
  const { profile, calendar } = world;
  const { year, month, day: dayOfMonth } = civilDate(day);
  let salaryWeight = 0;
  for (const delta of [-1, 0, 1]) {
    const shifted = shiftMonth(year, month, delta);
    const offset = day - calendar.monthEndPayday(shifted.year, shifted.month);
    salaryWeight += profile.salaryWeightsByOffset[offset] ?? 0;
  }
  const midOffset = day - midMonthPayday(calendar, year, month);
  const effects: DayEffects = {
    salaryWeight,
    monthDayUplift: profile.monthDayUplift[dayOfMonth] ?? 0,
    midMonthUplift: midOffset >= 0 ? (profile.midMonthUplift[midOffset] ?? 0) : 0,
  };
  if (world.dayCache.size >= DAY_CACHE_MAX) world.dayCache.clear();
  world.dayCache.set(day, effects);
  return effects;
}

function midMonthPayday(calendar: PayCalendar, year: number, month: number): number {
  let day = dayIndexOf(year, month, 15);
  for (let step = 0; step < 14 && !calendar.isWorkingDay(day); step += 1) day -= 1;
  return day;
}

function shiftMonth(year: number, month: number, delta: number) {
  const zeroBased = year * 12 + (month - 1) + delta;
  return { year: Math.floor(zeroBased / 12), month: (zeroBased % 12) + 1 };
}

function generateCounts(world: World, request: GenerateRequest): Float64Array {
  const { startMs, minutes, seed } = request;
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > GENERATE_MINUTES_MAX) {
    throw new RangeError(`minutes must be an integer in [0, ${GENERATE_MINUTES_MAX}]`);
  }
  if (startMs % MINUTE_MS !== 0) throw new RangeError('startMs must be minute-aligned');
  const random = createRandom(seed);
  const noise = createNoiseState(world.profile, random, seed);
  const counts = new Float64Array(minutes);
  for (let i = 0; i < minutes; i += 1) {
    const minuteStartMs = startMs + i * MINUTE_MS;
    const day = localDayIndex(minuteStartMs, world.profile.utcOffsetMinutes);
    const salaryUplift = noise.salaryUpliftFor(day);
    const rateTps = rateAt(world, minuteStartMs + MINUTE_MS / 2, salaryUplift);
    counts[i] = random.poisson(rateTps * 60 * noise.step(day));
  }
  return counts;
}

interface NoiseState {
  /** Multiplicative noise for the next minute (mean ≈ 1). */
  step(day: number): number;
  salaryUpliftFor(day: number): number;
}

function createNoiseState(profile: TrafficProfile, random: Random, seed: number): NoiseState {
  const { noise, spikes } = profile;
  const innovationSd = noise.minuteSd * Math.sqrt(1 - noise.minutePersistence ** 2);
  // Subtracting half the variance makes the log-normal factors average to 1.
  const varianceTotal = noise.daySd ** 2 + noise.minuteSd ** 2 + noise.minuteWhiteSd ** 2;
  let ar = noise.minuteSd * random.normal();
  let currentDay = Number.NaN;
  let dayShock = 0;
  let spikeMinutesLeft = 0;
  let spikeFactor = 1;
  let upliftMonth = Number.NaN;
  let uplift = profile.salaryUpliftFraction;
  const step = (day: number) => {
    if (day !== currentDay) {
      currentDay = day;
      dayShock = noise.daySd * random.normal();
    }
    ar = noise.minutePersistence * ar + innovationSd * random.normal();
    if (spikeMinutesLeft > 0) spikeMinutesLeft -= 1;
    else if (random.next() < spikes.perDay / 1440) {
      spikeMinutesLeft = Math.round(
        random.uniform(spikes.durationMinutesMin, spikes.durationMinutesMax),
      );
      spikeFactor = random.uniform(spikes.factorMin, spikes.factorMax);
    }
    const logNoise = dayShock + ar + noise.minuteWhiteSd * random.normal() - varianceTotal / 2;
    return Math.exp(logNoise) * (spikeMinutesLeft > 0 ? spikeFactor : 1);
  };
  const salaryUpliftFor = (day: number) => {
    // One draw per calendar month and seed, whatever the start of the series: some months'
    // paydays are bigger (bonuses) or smaller.
    const { year, month } = civilDate(day);
    const monthKey = year * 12 + month;
    if (monthKey !== upliftMonth) {
      upliftMonth = monthKey;
      const monthRandom = createRandom(hashSeed(seed, monthKey));
      const relative = 1 + profile.salaryUpliftMonthlySd * monthRandom.normal();
      uplift = profile.salaryUpliftFraction * Math.max(0, relative);
    }
    return uplift;
  };
  return { step, salaryUpliftFor };
}

function hashSeed(seed: number, key: number): number {
  return ((seed >>> 0) ^ Math.imul(key, 0x9e3779b1)) >>> 0;
}
