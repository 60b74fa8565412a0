// Rolling-origin evaluation: at each local midnight of the test days, a forecaster sees only the
// history before that midnight and forecasts the day's slots; the errors are scored against what
// then happened. Shared by the evaluation script and any forecaster comparison.

import type { SlotSeries } from './model.ts';
import { sliceSeries } from './series.ts';
import { quantile } from './stats.ts';
import { formatIsoDate, localDayIndex, MINUTE_MS, WEEK_MS } from './time.ts';

/** Forecast the `slots` slots from `originMs`, using only history before `originMs`. */
export type DayAheadForecaster = (
  history: SlotSeries,
  originMs: number,
  slots: number,
) => Float64Array;

export interface BacktestDay {
  /** Local date of the forecast day, `YYYY-MM-DD`. */
  date: string;
  originMs: number;
  mape: number;
  /** (forecast peak − actual peak) / actual peak. */
  peakErrorFraction: number;
  elapsedMs: number;
}

export interface BacktestScore {
  /** Mean absolute percentage error over all scored slots, as a fraction. */
  mape: number;
  worstDayMape: number;
  /** p95 of (actual − forecast) / forecast: what capacity must add on top of the forecast. */
  underForecastP95: number;
  meanPeakErrorFraction: number;
  days: BacktestDay[];
  /** Per scored slot: actual / forecast − 1, in order. */
  relativeErrors: number[];
}

export function rollingOriginBacktest(
  series: SlotSeries,
  originsMs: readonly number[],
  forecaster: DayAheadForecaster,
  utcOffsetMinutes: number,
  now: () => number = () => performance.now(),
): BacktestScore {
  const slotsPerDay = 1440 / series.slotMinutes;
  const days: BacktestDay[] = [];
  const absoluteErrors: number[] = [];
  const relativeErrors: number[] = [];
  for (const originMs of originsMs) {
    // The forecaster gets a copy that ends at the origin: it cannot see the day it forecasts.
    const history = sliceSeries(series, series.startMs, originMs);
    const started = now();
    const forecast = forecaster(history, originMs, slotsPerDay);
    const elapsedMs = now() - started;
    const actual = sliceSeries(
      series,
      originMs,
      originMs + slotsPerDay * series.slotMinutes * MINUTE_MS,
    );
    const dayErrors: number[] = [];
    for (let s = 0; s < slotsPerDay; s += 1) {
      const a = actual.ratesTps[s];
      const f = forecast[s];
      if (!(Number.isFinite(a) && a > 0 && Number.isFinite(f) && f > 0)) continue;
      dayErrors.push(Math.abs(a - f) / a);
      relativeErrors.push(a / f - 1);
    }
    absoluteErrors.push(...dayErrors);
    days.push({
      date: formatIsoDate(localDayIndex(originMs, utcOffsetMinutes)),
      originMs,
      mape: average(dayErrors),
      peakErrorFraction: maxOf(forecast) / maxOf(actual.ratesTps) - 1,
      elapsedMs,
    });
  }
  return {
    mape: average(absoluteErrors),
    worstDayMape: Math.max(...days.map((day) => day.mape)),
    underForecastP95: quantile(relativeErrors, 0.95),
    meanPeakErrorFraction: average(days.map((day) => day.peakErrorFraction)),
    days,
    relativeErrors,
  };
}

/** The baseline: each slot repeats the same slot one week earlier. */
export const seasonalNaive: DayAheadForecaster = (history, originMs, slots) => {
  const weekAgo = sliceSeries(
    history,
    originMs - WEEK_MS,
    originMs - WEEK_MS + slots * history.slotMinutes * MINUTE_MS,
  );
  return weekAgo.ratesTps;
};

function average(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

function maxOf(values: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i += 1) if (values[i] > max) max = values[i];
  return max;
}
