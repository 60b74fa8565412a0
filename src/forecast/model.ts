// The forecasting domain's data model: traffic series, forecasts with their band and the capacity
// to provision, the options and their limits. Rates are transactions per second (TPS), averaged
// over a slot; slots and days are in local time (a fixed UTC offset, Nairobi by default).

import { DEFAULT_PAY_CALENDAR, type PayCalendarConfig } from './calendar.ts';
import { NAIROBI_UTC_OFFSET_MINUTES } from './time.ts';

/** Time is always passed in; nothing in this domain reads the system clock by itself. */
export interface Clock {
  nowMs(): number;
}

/** Equally spaced rates; `ratesTps[i]` covers [startMs + i·slot, startMs + (i+1)·slot). */
export interface SlotSeries {
  readonly startMs: number;
  readonly slotMinutes: number;
  /** Mean transactions per second over each slot; NaN where the slot was not observed. */
  readonly ratesTps: Float64Array;
}

export interface ForecastSlot {
  startMs: number;
  /** Point forecast (the model's median). */
  expectedTps: number;
  /** Band from the empirical residual quantiles of recent day-ahead forecasts. */
  lowerTps: number;
  upperTps: number;
  /** What to provision: expected × (1 + under-forecast margin). */
  capacityTps: number;
}

export interface ForecastMargin {
  /** Provisioning margin: the `marginQuantile` of past relative under-forecasts, at least 0. */
  underForecastFraction: number;
  /** Band edges relative to the expected rate (e.g. −0.12 and +0.14). */
  lowerFraction: number;
  upperFraction: number;
  marginQuantile: number;
  /** Days and slots of the in-history back-test the margin comes from (0 for the fallback). */
  backtestDays: number;
  backtestSlots: number;
  source: 'backtest' | 'fallback';
}

export interface ForecastDiagnostics {
  /** Complete local days of history the model was fitted on. */
  historyDays: number;
  /** Learned multiplicative calendar factors, e.g. { "payday+0": 1.31 }. */
  calendarFactors: Record<string, number>;
  /** Fitted growth per week as a fraction (0.014 = +1.4 %/week). */
  trendPerWeekFraction: number;
  /** Level correction applied to today's remaining slots from today's observed slots. */
  sameDayCorrectionFraction: number;
}

export interface Forecast {
  generatedAtMs: number;
  slotMinutes: number;
  utcOffsetMinutes: number;
  slots: ForecastSlot[];
  margin: ForecastMargin;
  diagnostics: ForecastDiagnostics;
}

export interface ForecastOptions {
  utcOffsetMinutes: number;
  slotMinutes: number;
  /** Slots forecast ahead: 96 fifteen-minute slots are the next 24 h. */
  horizonSlots: number;
  /** The model looks back at most this many complete days. */
  historyDaysMax: number;
  /** Fewer complete days than this and there is no forecast (weekly seasonality needs two weeks). */
  historyDaysMin: number;
  /** Weeks of history averaged into the day-of-week × slot profile. */
  profileWeeks: number;
  calendar: PayCalendarConfig;
  /** Quantile of past relative under-forecasts used as the provisioning margin. */
  marginQuantile: number;
  bandLowerQuantile: number;
  bandUpperQuantile: number;
  /** Recent days re-forecast (rolling origin, inside the history) to measure the residuals. */
  marginBacktestDays: number;
  /** Used when the history is too short for a back-test. */
  fallbackMarginFraction: number;
  fallbackBandFraction: number;
  /** Share of the last days' level error carried into the forecast (0 = none, 1 = all). */
  levelCorrectionWeight: number;
}

export const FORECAST_LIMITS = {
  /** One week of 1-minute slots is the longest horizon a caller may ask for. */
  horizonSlotsMax: 7 * 1440,
  /** A year of history is far more than the seasonal model uses; refuse to fit more. */
  historyDaysMax: 366,
  marginBacktestDaysMax: 60,
} as const;

export const DEFAULT_FORECAST_OPTIONS: ForecastOptions = {
  utcOffsetMinutes: NAIROBI_UTC_OFFSET_MINUTES,
  slotMinutes: 15,
  horizonSlots: 96,
  historyDaysMax: 56,
  historyDaysMin: 14,
  profileWeeks: 8,
  calendar: DEFAULT_PAY_CALENDAR,
  marginQuantile: 0.95,
  bandLowerQuantile: 0.01,
  bandUpperQuantile: 0.99,
  marginBacktestDays: 14,
  fallbackMarginFraction: 0.15,
  fallbackBandFraction: 0.3,
  levelCorrectionWeight: 0.2,
};
