// The forecasting domain's public surface, for the server, the CLI and the population simulator.

export {
  type Anomaly,
  type AnomalyDetector,
  type AnomalyEvent,
  type AnomalyKind,
  type AnomalyOptions,
  bandAt,
  createAnomalyDetector,
  DEFAULT_ANOMALY_OPTIONS,
  detectAnomalies,
  type RateObservation,
} from './anomaly.ts';
export {
  type BacktestScore,
  type DayAheadForecaster,
  rollingOriginBacktest,
  seasonalNaive,
} from './backtest.ts';
export {
  createPayCalendar,
  DEFAULT_PAY_CALENDAR,
  kenyaPublicHolidays,
  type PayCalendar,
  type PayCalendarConfig,
} from './calendar.ts';
export type { ForecastError, Result } from './errors.ts';
export {
  type Clock,
  DEFAULT_FORECAST_OPTIONS,
  type Forecast,
  type ForecastMargin,
  type ForecastOptions,
  type ForecastSlot,
  type SlotSeries,
} from './model.ts';
export { TrafficRecorder, type TrafficSnapshot } from './recorder.ts';
export { countsToSlotSeries } from './series.ts';
export {
  createForecastService,
  type ForecastOutcome,
  type ForecastService,
  type ForecastServiceDeps,
  forecastNext24h,
  resolveForecastOptions,
  type TrafficSource,
} from './service.ts';
export {
  createTrafficGenerator,
  DEFAULT_TRAFFIC_PROFILE,
  type TrafficGenerator,
  type TrafficProfile,
} from './synthetic.ts';
export { NAIROBI_UTC_OFFSET_MINUTES } from './time.ts';
