// The seasonal-profile forecaster, on log rates (effects multiply, and log errors are symmetric):
//
//   log rate(day d, slot s) = level(d) + shape(day-of-week(d), s) + calendarShape(d, s) + noise
//   level(d) = intercept + trend·weeks + dayOfWeek(d) + Σ calendar effects(d)
//
// `shape` is a robust average of each weekday's intraday curve over recent plain days (no
// calendar effect), `level` is a robust (Huber) ridge regression of each day's mean log rate, so
// payday and month-start factors are learned from history by comparing flagged days with the
// rest. Calendar days may also bend the intraday curve (salary money is spent by day, not at
// night); that is learned per 4-hour block. Fitting uses only days before the forecast day.

import type { PayCalendar } from './calendar.ts';
import type { SlotSeries } from './model.ts';
import { ridgeRegression, robustSd, trimmedMean } from './stats.ts';
import { localDayIndex, localMidnightMs, MINUTE_MS } from './time.ts';

/** Log rates by local day (rows) and slot (columns); NaN where not observed. */
export interface DayMatrix {
  firstDay: number;
  days: number;
  slotsPerDay: number;
  logRates: Float64Array;
}

export interface ProfileSettings {
  historyDaysMax: number;
  historyDaysMin: number;
  profileWeeks: number;
  levelCorrectionWeight: number;
}

export interface FittedProfile {
  /** First day not used for fitting: the day the model forecasts first. */
  originDay: number;
  historyDays: number;
  slotsPerDay: number;
  /** Intraday log shape per day of the week (0 = Sunday), mean 0 over the day. */
  shapes: Float64Array[];
  featureNames: string[];
  coefficients: Float64Array;
  /** Intraday bend per calendar feature, one value per block. */
  blockShapes: Map<string, Float64Array>;
  /** Log-level error of the last days, already weighted, carried into the forecast. */
  levelCorrection: number;
}

/** Rates at or below this are an outage, not traffic; their log is clamped so it stays finite. */
const RATE_FLOOR_TPS = 0.01;
/** A day with less than this share of its slots observed does not inform the level. */
const DAY_COVERAGE_MIN = 0.5;
/** Trimming drops spikes and short outages from a day's level and from the weekday shapes. */
const LEVEL_TRIM_FRACTION = 0.1;
const SHAPE_TRIM_FRACTION = 0.2;
/** Older days count less in the level regression, so the level follows recent growth. */
const LEVEL_HALF_LIFE_DAYS = 56;
/** Huber's usual tuning constant: 95 % efficiency when the day errors are normal. */
const HUBER_K = 1.345;
const HUBER_ITERATIONS = 4;
/** Calendar days bend the intraday curve per 4-hour block: coarse, as there are few of them. */
const BLOCKS_PER_DAY = 6;
/** Pseudo-days of "no bend" that shrink a calendar feature's learned intraday bend. */
const BLOCK_SHRINK_DAYS = 1;
/** Recent days whose level error feeds the level correction. */
const LEVEL_CORRECTION_DAYS = 3;
const BASE_COLUMNS = 8; // intercept, trend, Monday…Saturday
const CALENDAR_PENALTY = 0.01;
/** In weeks²: keeps the trend near 0 when the history is too short to show one. */
const TREND_PENALTY = 1;

/**
 * Log rates of the slots that end at or before `endMs` (later slots are never read), over at most
 * `lookbackDays` days before the day that contains `endMs`.
 */
export function buildDayMatrix(
  history: SlotSeries,
  endMs: number,
  utcOffsetMinutes: number,
  lookbackDays: number,
): DayMatrix {
  const slotMs = history.slotMinutes * MINUTE_MS;
  const slotsPerDay = (24 * 60) / history.slotMinutes;
  const lastDay = localDayIndex(endMs - 1, utcOffsetMinutes);
  const firstDay = Math.max(
    localDayIndex(history.startMs, utcOffsetMinutes),
    lastDay - lookbackDays,
  );
  const days = Math.max(0, lastDay - firstDay + 1);
  const logRates = new Float64Array(days * slotsPerDay).fill(Number.NaN);
  const firstMs = localMidnightMs(firstDay, utcOffsetMinutes);
  const offset = Math.round((history.startMs - firstMs) / slotMs);
  const usable = Math.min(history.ratesTps.length, Math.floor((endMs - history.startMs) / slotMs));
  for (let i = Math.max(0, -offset); i < usable; i += 1) {
    const cell = offset + i;
    if (cell >= logRates.length) break;
    const rate = history.ratesTps[i];
    if (Number.isFinite(rate)) logRates[cell] = Math.log(Math.max(rate, RATE_FLOOR_TPS));
  }
  return { firstDay, days, slotsPerDay, logRates };
}

export function dayRow(matrix: DayMatrix, day: number): Float64Array | null {
  const row = day - matrix.firstDay;
  if (row < 0 || row >= matrix.days) return null;
  return matrix.logRates.subarray(row * matrix.slotsPerDay, (row + 1) * matrix.slotsPerDay);
}

/** Fits on the days before `originDay`; null when fewer than `historyDaysMin` usable days. */
export function fitProfile(
  matrix: DayMatrix,
  originDay: number,
  calendar: PayCalendar,
  settings: ProfileSettings,
): FittedProfile | null {
  const firstDay = Math.max(matrix.firstDay, originDay - settings.historyDaysMax);
  const days: number[] = [];
  for (let day = firstDay; day < originDay; day += 1) {
    const row = dayRow(matrix, day);
    if (row !== null && coverage(row) >= DAY_COVERAGE_MIN) days.push(day);
  }
  if (days.length < settings.historyDaysMin) return null;
  const context: FitContext = { matrix, calendar, days, originDay, settings };
  // Alternate shape and level twice: each needs the other, and two rounds are enough to settle.
  let levels = days.map((day) => trimmedMean(dayRow(matrix, day)!, LEVEL_TRIM_FRACTION));
  let shapes = estimateShapes(context, levels);
  levels = estimateLevels(context, shapes);
  shapes = estimateShapes(context, levels);
  levels = estimateLevels(context, shapes);
  const regression = regressLevels(context, levels);
  return {
    originDay,
    historyDays: days.length,
    slotsPerDay: matrix.slotsPerDay,
    shapes,
    featureNames: regression.featureNames,
    coefficients: regression.coefficients,
    blockShapes: estimateBlockShapes(context, shapes, levels),
    levelCorrection: settings.levelCorrectionWeight * recentError(context, regression.residuals),
  };
}

interface FitContext {
  matrix: DayMatrix;
  calendar: PayCalendar;
  /** Usable days, ascending. */
  days: number[];
  originDay: number;
  settings: ProfileSettings;
}

function coverage(row: Float64Array): number {
  let observed = 0;
  for (const value of row) if (Number.isFinite(value)) observed += 1;
  return observed / row.length;
}

/** Per weekday and slot: trimmed mean over recent plain days of (log rate − day level). */
function estimateShapes(context: FitContext, levels: number[]): Float64Array[] {
  const { matrix, calendar, days, originDay, settings } = context;
  const since = originDay - 7 * settings.profileWeeks;
  const shapes: Float64Array[] = [];
  for (let weekday = 0; weekday < 7; weekday += 1) {
    const recent = days
      .map((day, i) => ({ day, i }))
      .filter(({ day }) => day >= since && calendar.profileDayOfWeek(day) === weekday);
    const plain = recent.filter(({ day }) => calendar.featuresOf(day).length === 0);
    // Calendar days bend the curve; use them only when a weekday has too few plain days.
    const chosen = plain.length >= 2 ? plain : recent;
    shapes.push(averageShape(matrix, chosen, levels));
  }
  // A weekday never seen (very short history) borrows the average of the others.
  const seen = shapes.filter((shape) => shape.some((value) => value !== 0));
  return shapes.map((shape) => (shape.some((v) => v !== 0) ? shape : meanOfShapes(seen)));
}

function averageShape(
  matrix: DayMatrix,
  chosen: { day: number; i: number }[],
  levels: number[],
): Float64Array {
  const shape = new Float64Array(matrix.slotsPerDay);
  if (chosen.length === 0) return shape;
  const column = new Float64Array(chosen.length);
  for (let slot = 0; slot < matrix.slotsPerDay; slot += 1) {
    chosen.forEach(({ day, i }, k) => {
      column[k] = dayRow(matrix, day)![slot] - levels[i];
    });
    const value = trimmedMean(column, SHAPE_TRIM_FRACTION);
    shape[slot] = Number.isFinite(value) ? value : 0;
  }
  return centre(smooth(shape));
}

/** [1, 2, 1] smoothing: the true daily curve is smooth, the per-slot average is noisy. */
function smooth(shape: Float64Array): Float64Array {
  const out = new Float64Array(shape.length);
  const last = shape.length - 1;
  for (let s = 0; s <= last; s += 1) {
    const before = shape[Math.max(s - 1, 0)];
    const after = shape[Math.min(s + 1, last)];
    out[s] = (before + 2 * shape[s] + after) / 4;
  }
  return out;
}

function centre(shape: Float64Array): Float64Array {
  let sum = 0;
  for (const value of shape) sum += value;
  const offset = sum / shape.length;
  return shape.map((value) => value - offset);
}

function meanOfShapes(shapes: Float64Array[]): Float64Array {
  const out = new Float64Array(shapes[0]?.length ?? 0);
  for (const shape of shapes) for (let s = 0; s < out.length; s += 1) out[s] += shape[s];
  return out.map((value) => value / Math.max(shapes.length, 1));
}

/** Each day's level: trimmed mean of its log rates minus its weekday's shape. */
function estimateLevels(context: FitContext, shapes: Float64Array[]): number[] {
  const { matrix, calendar, days } = context;
  const residual = new Float64Array(matrix.slotsPerDay);
  return days.map((day) => {
    const row = dayRow(matrix, day)!;
    const shape = shapes[calendar.profileDayOfWeek(day)];
    for (let s = 0; s < row.length; s += 1) residual[s] = row[s] - shape[s];
    return trimmedMean(residual, LEVEL_TRIM_FRACTION);
  });
}

interface LevelRegression {
  featureNames: string[];
  coefficients: Float64Array;
  residuals: Float64Array;
}

/** Huber-weighted ridge regression of day levels on trend, weekday and calendar effects. */
function regressLevels(context: FitContext, levels: number[]): LevelRegression {
  const { calendar, days, originDay } = context;
  const featureNames = [...new Set(days.flatMap((day) => calendar.featuresOf(day)))].sort();
  const rows = days.map((day) => levelFeatures(calendar, featureNames, day, originDay));
  const width = BASE_COLUMNS + featureNames.length;
  // Weekday columns are not penalised: with Sunday as the reference, a penalty would pull
  // Sunday's level towards the weekdays'. Calendar penalties keep a feature without data at 0
  // and split an effect between features that always coincide; they are small next to a day's
  // weight (up to 1), so a feature seen twice keeps almost all of its effect.
  const penalties = new Float64Array(width).fill(CALENDAR_PENALTY);
  for (let column = 0; column < BASE_COLUMNS; column += 1) penalties[column] = 0;
  penalties[1] = TREND_PENALTY;
  const recency = days.map((day) => 0.5 ** ((originDay - 1 - day) / LEVEL_HALF_LIFE_DAYS));
  let weights = Float64Array.from(recency);
  let coefficients: Float64Array = new Float64Array(width);
  const residuals = new Float64Array(days.length);
  for (let iteration = 0; iteration < HUBER_ITERATIONS; iteration += 1) {
    coefficients = ridgeRegression({ rows, targets: levels, weights, penalties });
    rows.forEach((row, i) => {
      residuals[i] = levels[i] - dot(row, coefficients);
    });
    // Outage or attack days are down-weighted rather than allowed to drag the level.
    const scale = Math.max(robustSd(residuals), 0.005);
    weights = Float64Array.from(recency, (r, i) =>
      Math.abs(residuals[i]) <= HUBER_K * scale
        ? r
        : (r * HUBER_K * scale) / Math.abs(residuals[i]),
    );
  }
  return { featureNames, coefficients, residuals };
}

function levelFeatures(
  calendar: PayCalendar,
  featureNames: string[],
  day: number,
  originDay: number,
): Float64Array {
  const row = new Float64Array(BASE_COLUMNS + featureNames.length);
  row[0] = 1;
  row[1] = (day - originDay) / 7;
  const weekday = calendar.profileDayOfWeek(day);
  if (weekday >= 1) row[1 + weekday] = 1;
  for (const feature of calendar.featuresOf(day)) {
    const index = featureNames.indexOf(feature);
    if (index >= 0) row[BASE_COLUMNS + index] = 1;
  }
  return row;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i] * b[i];
  return sum;
}

/** Weighted mean of the last days' level errors: a shift that the trend has not caught yet. */
function recentError(context: FitContext, residuals: Float64Array): number {
  const { days, originDay } = context;
  let sum = 0;
  let count = 0;
  for (let i = days.length - 1; i >= 0 && days[i] >= originDay - LEVEL_CORRECTION_DAYS; i -= 1) {
    sum += residuals[i];
    count += 1;
  }
  return count === 0 ? 0 : sum / count;
}

/** Per calendar feature: its days' mean deviation from the plain shape, by block, shrunk. */
function estimateBlockShapes(
  context: FitContext,
  shapes: Float64Array[],
  levels: number[],
): Map<string, Float64Array> {
  const { matrix, calendar, days } = context;
  const slotsPerBlock = matrix.slotsPerDay / BLOCKS_PER_DAY;
  const sums = new Map<string, { total: Float64Array; count: number }>();
  days.forEach((day, i) => {
    const features = calendar.featuresOf(day);
    if (features.length === 0) return;
    const row = dayRow(matrix, day)!;
    const shape = shapes[calendar.profileDayOfWeek(day)];
    const blocks = new Float64Array(BLOCKS_PER_DAY);
    for (let b = 0; b < BLOCKS_PER_DAY; b += 1) {
      const part = new Float64Array(slotsPerBlock);
      for (let k = 0; k < slotsPerBlock; k += 1) {
        const s = b * slotsPerBlock + k;
        part[k] = row[s] - shape[s] - levels[i];
      }
      blocks[b] = trimmedMean(part, LEVEL_TRIM_FRACTION) || 0;
    }
    for (const feature of features) {
      const entry = sums.get(feature) ?? { total: new Float64Array(BLOCKS_PER_DAY), count: 0 };
      for (let b = 0; b < BLOCKS_PER_DAY; b += 1) entry.total[b] += blocks[b];
      entry.count += 1;
      sums.set(feature, entry);
    }
  });
  const result = new Map<string, Float64Array>();
  for (const [feature, { total, count }] of sums) {
    result.set(
      feature,
      total.map((value) => value / (count + BLOCK_SHRINK_DAYS)),
    );
  }
  return result;
}

/** Forecast log rates for every slot of `day` (which should be at or after the origin). */
export function predictDayLog(model: FittedProfile, day: number, calendar: PayCalendar) {
  const row = levelFeatures(calendar, model.featureNames, day, model.originDay);
  // The carried level error fades for days further ahead.
  const level =
    dot(row, model.coefficients) + model.levelCorrection * 0.7 ** (day - model.originDay);
  const shape = model.shapes[calendar.profileDayOfWeek(day)];
  const out = new Float64Array(model.slotsPerDay);
  const bends = calendar
    .featuresOf(day)
    .map((feature) => model.blockShapes.get(feature))
    .filter((bend) => bend !== undefined);
  for (let s = 0; s < model.slotsPerDay; s += 1) {
    let value = level + shape[s];
    for (const bend of bends) value += interpolateBlock(bend, s, model.slotsPerDay);
    out[s] = value;
  }
  return out;
}

/** Piecewise-linear between block centres, so a bend has no steps at block edges. */
function interpolateBlock(blocks: Float64Array, slot: number, slotsPerDay: number): number {
  const position = ((slot + 0.5) / slotsPerDay) * blocks.length - 0.5;
  if (position <= 0) return blocks[0];
  if (position >= blocks.length - 1) return blocks[blocks.length - 1];
  const below = Math.floor(position);
  return blocks[below] + (blocks[below + 1] - blocks[below]) * (position - below);
}

/** Calendar factors as multipliers, for display: exp of each learned log effect. */
export function calendarFactors(model: FittedProfile): Record<string, number> {
  const factors: Record<string, number> = {};
  model.featureNames.forEach((name, i) => {
    factors[name] = Math.exp(model.coefficients[BASE_COLUMNS + i]);
  });
  return factors;
}

export function trendPerWeekFraction(model: FittedProfile): number {
  return Math.exp(model.coefficients[1]) - 1;
}
