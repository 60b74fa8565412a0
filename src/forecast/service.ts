// The forecasting service: fit the seasonal-profile model on recorded traffic, forecast the next
// 24 h per slot, and turn the forecast into a band and a capacity to provision. The margin comes
// from re-forecasting the last days inside the history (rolling origin), so it measures how wrong
// this model has actually been lately, not how wrong it hopes to be.

import { createPayCalendar, type PayCalendar } from './calendar.ts';
import type { ForecastError, Result } from './errors.ts';
import {
  type Clock,
  DEFAULT_FORECAST_OPTIONS,
  FORECAST_LIMITS,
  type Forecast,
  type ForecastMargin,
  type ForecastOptions,
  type ForecastSlot,
  type SlotSeries,
} from './model.ts';
import {
  buildDayMatrix,
  calendarFactors,
  type DayMatrix,
  dayRow,
  type FittedProfile,
  fitProfile,
  predictDayLog,
  trendPerWeekFraction,
} from './profile.ts';
import { quantile, trimmedMean } from './stats.ts';
import {
  isValidSlotMinutes,
  localDayIndex,
  localMidnightMs,
  MINUTE_MS,
  slotStartMs,
} from './time.ts';

export type ForecastOutcome = Result<Forecast, ForecastError>;

/** Observed slots of today it takes for today's error to count half (two hours of 15 min). */
const SAME_DAY_HALF_WEIGHT_SLOTS = 8;
/** Fewer back-test residuals than a day's worth and the quantiles mean little: use the fallback. */
const BACKTEST_SLOTS_MIN = 96;

export function resolveForecastOptions(overrides: Partial<ForecastOptions> = {}): ForecastOptions {
  const options = { ...DEFAULT_FORECAST_OPTIONS, ...overrides };
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new RangeError(`forecast options: ${message}`);
  };
  check(isValidSlotMinutes(options.slotMinutes), 'slotMinutes must divide a day');
  check(
    Number.isInteger(options.horizonSlots) &&
      options.horizonSlots > 0 &&
      options.horizonSlots <= FORECAST_LIMITS.horizonSlotsMax,
    'horizonSlots out of range',
  );
  check(
    options.historyDaysMin >= 7 &&
      options.historyDaysMin <= options.historyDaysMax &&
      options.historyDaysMax <= FORECAST_LIMITS.historyDaysMax,
    'need 7 ≤ historyDaysMin ≤ historyDaysMax ≤ 366',
  );
  check(options.profileWeeks >= 1, 'profileWeeks must be at least 1');
  check(
    Number.isInteger(options.marginBacktestDays) &&
      options.marginBacktestDays >= 0 &&
      options.marginBacktestDays <= FORECAST_LIMITS.marginBacktestDaysMax,
    'marginBacktestDays out of range',
  );
  const quantiles = [options.marginQuantile, options.bandLowerQuantile, options.bandUpperQuantile];
  check(
    quantiles.every((q) => q > 0 && q < 1),
    'quantiles must be in (0, 1)',
  );
  check(options.levelCorrectionWeight >= 0 && options.levelCorrectionWeight <= 1, 'bad weight');
  return options;
}

/**
 * Forecasts `horizonSlots` slots from the slot that contains `nowMs`. Only history slots that end
 * at or before that slot's start are read, so passing a longer series cannot leak the future.
 */
export function forecastNext24h(
  history: SlotSeries,
  nowMs: number,
  overrides: Partial<ForecastOptions> = {},
): ForecastOutcome {
  const options = resolveForecastOptions(overrides);
  return forecastWith(history, nowMs, options, createPayCalendar(options.calendar));
}

function forecastWith(
  history: SlotSeries,
  nowMs: number,
  options: ForecastOptions,
  calendar: PayCalendar,
): ForecastOutcome {
  if (history.slotMinutes !== options.slotMinutes) {
    const error: ForecastError = {
      code: 'slot_mismatch',
      historySlotMinutes: history.slotMinutes,
      forecastSlotMinutes: options.slotMinutes,
    };
    return { ok: false, error };
  }
  if (
    slotStartMs(history.startMs, options.slotMinutes, options.utcOffsetMinutes) !== history.startMs
  ) {
    throw new RangeError('history must start on a local slot boundary');
  }
  const firstSlotMs = slotStartMs(nowMs, options.slotMinutes, options.utcOffsetMinutes);
  // Enough days for the fit before the earliest back-test day; older history is ignored.
  const lookbackDays = options.historyDaysMax + options.marginBacktestDays + 1;
  const matrix = buildDayMatrix(history, firstSlotMs, options.utcOffsetMinutes, lookbackDays);
  const today = localDayIndex(firstSlotMs, options.utcOffsetMinutes);
  const model = fitProfile(matrix, today, calendar, options);
  if (model === null) {
    const historyDays = countUsableDays(matrix, today);
    const error: ForecastError = {
      code: 'insufficient_history',
      historyDays,
      requiredDays: options.historyDaysMin,
    };
    return { ok: false, error };
  }
  const margin = estimateMargin(matrix, today, calendar, options);
  const sameDay = sameDayCorrection(model, matrix, calendar, firstSlotMs, options);
  const slots = buildSlots(model, calendar, firstSlotMs, sameDay, margin, options);
  return {
    ok: true,
    value: {
      generatedAtMs: nowMs,
      slotMinutes: options.slotMinutes,
      utcOffsetMinutes: options.utcOffsetMinutes,
      slots,
      margin,
      diagnostics: {
        historyDays: model.historyDays,
        calendarFactors: calendarFactors(model),
        trendPerWeekFraction: trendPerWeekFraction(model),
        sameDayCorrectionFraction: Math.exp(sameDay) - 1,
      },
    },
  };
}

function countUsableDays(matrix: DayMatrix, today: number): number {
  let count = 0;
  for (let day = matrix.firstDay; day < today; day += 1) {
    const row = dayRow(matrix, day);
    if (row !== null && row.filter(Number.isFinite).length >= row.length / 2) count += 1;
  }
  return count;
}

function buildSlots(
  model: FittedProfile,
  calendar: PayCalendar,
  firstSlotMs: number,
  sameDayLog: number,
  margin: ForecastMargin,
  options: ForecastOptions,
): ForecastSlot[] {
  const slotMs = options.slotMinutes * MINUTE_MS;
  const today = model.originDay;
  const predictions = new Map<number, Float64Array>();
  const slots: ForecastSlot[] = [];
  for (let i = 0; i < options.horizonSlots; i += 1) {
    const startMs = firstSlotMs + i * slotMs;
    const day = localDayIndex(startMs, options.utcOffsetMinutes);
    let logRates = predictions.get(day);
    if (logRates === undefined) {
      logRates = predictDayLog(model, day, calendar);
      predictions.set(day, logRates);
    }
    const slot = Math.round((startMs - localMidnightMs(day, options.utcOffsetMinutes)) / slotMs);
    // Today's observed error says most about the rest of today, less about tomorrow.
    const correction = day === today ? sameDayLog : day === today + 1 ? sameDayLog / 2 : 0;
    const expectedTps = Math.exp(logRates[slot] + correction);
    slots.push({
      startMs,
      expectedTps,
      lowerTps: expectedTps * (1 + margin.lowerFraction),
      upperTps: expectedTps * (1 + margin.upperFraction),
      capacityTps: expectedTps * (1 + margin.underForecastFraction),
    });
  }
  return slots;
}

/** Log-level error of today's slots observed so far, shrunk towards 0 while they are few. */
function sameDayCorrection(
  model: FittedProfile,
  matrix: DayMatrix,
  calendar: PayCalendar,
  firstSlotMs: number,
  options: ForecastOptions,
): number {
  const row = dayRow(matrix, model.originDay);
  if (row === null) return 0;
  const predicted = predictDayLog(model, model.originDay, calendar);
  const slotMs = options.slotMinutes * MINUTE_MS;
  const observedSlots = Math.round(
    (firstSlotMs - localMidnightMs(model.originDay, options.utcOffsetMinutes)) / slotMs,
  );
  const errors: number[] = [];
  for (let s = 0; s < observedSlots; s += 1) {
    if (Number.isFinite(row[s])) errors.push(row[s] - predicted[s]);
  }
  if (errors.length === 0) return 0;
  const shrink = errors.length / (errors.length + SAME_DAY_HALF_WEIGHT_SLOTS);
  return trimmedMean(errors, 0.1) * shrink;
}

/** Relative errors (actual / forecast − 1) of day-ahead forecasts for the last days. */
export function backtestRelativeErrors(
  matrix: DayMatrix,
  today: number,
  calendar: PayCalendar,
  options: ForecastOptions,
): { errors: number[]; days: number } {
  const errors: number[] = [];
  let days = 0;
  for (let day = today - options.marginBacktestDays; day < today; day += 1) {
    const row = dayRow(matrix, day);
    if (row === null) continue;
    const model = fitProfile(matrix, day, calendar, options);
    if (model === null) continue;
    const predicted = predictDayLog(model, day, calendar);
    let used = false;
    for (let s = 0; s < row.length; s += 1) {
      if (!Number.isFinite(row[s])) continue;
      errors.push(Math.exp(row[s] - predicted[s]) - 1);
      used = true;
    }
    if (used) days += 1;
  }
  return { errors, days };
}

function estimateMargin(
  matrix: DayMatrix,
  today: number,
  calendar: PayCalendar,
  options: ForecastOptions,
): ForecastMargin {
  const { errors, days } = backtestRelativeErrors(matrix, today, calendar, options);
  if (errors.length < BACKTEST_SLOTS_MIN) {
    return {
      underForecastFraction: options.fallbackMarginFraction,
      lowerFraction: -options.fallbackBandFraction,
      upperFraction: options.fallbackBandFraction,
      marginQuantile: options.marginQuantile,
      backtestDays: 0,
      backtestSlots: 0,
      source: 'fallback',
    };
  }
  return {
    underForecastFraction: Math.max(0, quantile(errors, options.marginQuantile)),
    // A band that excludes the forecast itself would make every slot anomalous.
    lowerFraction: Math.min(0, quantile(errors, options.bandLowerQuantile)),
    upperFraction: Math.max(0, quantile(errors, options.bandUpperQuantile)),
    marginQuantile: options.marginQuantile,
    backtestDays: days,
    backtestSlots: errors.length,
    source: 'backtest',
  };
}

/** Anything that can hand back recorded traffic as a slot series (the TrafficRecorder does). */
export interface TrafficSource {
  series(fromMs: number, toMs: number, slotMinutes: number): SlotSeries;
}

export interface ForecastServiceDeps {
  traffic: TrafficSource;
  clock: Clock;
  options?: Partial<ForecastOptions>;
}

export interface ForecastService {
  readonly options: ForecastOptions;
  /** Forecast from the clock's now over the recorded traffic. */
  forecast(): ForecastOutcome;
}

export function createForecastService(deps: ForecastServiceDeps): ForecastService {
  const options = resolveForecastOptions(deps.options);
  const calendar = createPayCalendar(options.calendar);
  const forecast = () => {
    const nowMs = deps.clock.nowMs();
    const toMs = slotStartMs(nowMs, options.slotMinutes, options.utcOffsetMinutes);
    const today = localDayIndex(toMs, options.utcOffsetMinutes);
    // History needed: the fitting window before the earliest back-test day, then today so far.
    const firstDay = today - options.marginBacktestDays - options.historyDaysMax;
    const fromMs = localMidnightMs(firstDay, options.utcOffsetMinutes);
    const history = deps.traffic.series(fromMs, toMs, options.slotMinutes);
    return forecastWith(history, nowMs, options, calendar);
  };
  return { options, forecast };
}
