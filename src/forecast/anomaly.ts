// Alerts when live traffic leaves the forecast band: far below it is a possible outage (our side
// or a partner's), far above it a possible attack or runaway client. Single noisy minutes must not
// page anyone, so an anomaly opens only after the rate has stayed beyond a widened band for a
// minimum duration, and closes only after it has stayed back inside the band for a while
// (hysteresis: the bar to open is higher than the bar to stay open).

import type { ForecastSlot } from './model.ts';
import { MINUTE_MS } from './time.ts';

export type AnomalyKind = 'outage' | 'attack';

export interface Anomaly {
  kind: AnomalyKind;
  /** Start of the first observation of the departure. */
  startMs: number;
  /** Start of the observation from which the rate stayed back in the band; null while open. */
  endMs: number | null;
  /** Most extreme observed / expected − 1 during the anomaly (−0.7 = 70 % below forecast). */
  peakDeviationFraction: number;
  /** Expected and observed rate at the most extreme observation. */
  expectedTps: number;
  observedTps: number;
}

export type AnomalyEvent =
  | { type: 'opened'; anomaly: Anomaly }
  | { type: 'closed'; anomaly: Anomaly };

export interface AnomalyOptions {
  /** The rate must stay beyond the widened band this long before an anomaly opens. */
  minDurationMs: number;
  /** The rate must stay back inside the band this long before an anomaly closes. */
  clearAfterMs: number;
  /** The band is widened by this fraction to open an anomaly (0.1: 10 % beyond its edge). */
  enterMarginFraction: number;
  /** …and by this fraction to count as back to normal. */
  exitMarginFraction: number;
  /** Observations further apart than this break a run (a gap is not evidence either way). */
  gapMaxMs: number;
}

export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = {
  minDurationMs: 5 * MINUTE_MS,
  clearAfterMs: 5 * MINUTE_MS,
  enterMarginFraction: 0.1,
  exitMarginFraction: 0,
  gapMaxMs: 3 * MINUTE_MS,
};

export interface Band {
  expectedTps: number;
  lowerTps: number;
  upperTps: number;
}

/**
 * The band at an instant, linear between slot centres: a per-minute rate on a steep morning ramp
 * would otherwise look anomalous at the ends of each 15-minute slot. Null outside the forecast.
 */
export function bandAt(slots: readonly ForecastSlot[], timestampMs: number): Band | null {
  if (slots.length === 0) return null;
  const slotMs = slots.length > 1 ? slots[1].startMs - slots[0].startMs : 15 * MINUTE_MS;
  const index = Math.floor((timestampMs - slots[0].startMs) / slotMs);
  if (index < 0 || index >= slots.length) return null;
  const position = (timestampMs - slots[0].startMs) / slotMs - 0.5;
  const below = Math.max(0, Math.min(Math.floor(position), slots.length - 1));
  const above = Math.min(below + 1, slots.length - 1);
  const t = Math.max(0, Math.min(position - below, 1));
  const mix = (a: number, b: number) => a + (b - a) * t;
  const [p, q] = [slots[below], slots[above]];
  return {
    expectedTps: mix(p.expectedTps, q.expectedTps),
    lowerTps: mix(p.lowerTps, q.lowerTps),
    upperTps: mix(p.upperTps, q.upperTps),
  };
}

export interface AnomalyDetector {
  /**
   * Feeds the rate observed over [timestampMs, timestampMs + intervalMs) (one minute by default).
   * Returns the event it caused, if any. Observations outside the forecast are ignored.
   */
  observe(timestampMs: number, rateTps: number, intervalMs?: number): AnomalyEvent | null;
  /** The open anomaly, if any. */
  current(): Anomaly | null;
  /** Replaces the forecast (after each refit); an open anomaly stays open. */
  setForecast(slots: readonly ForecastSlot[]): void;
}

interface Run {
  kind: AnomalyKind;
  startMs: number;
  endMs: number;
}

interface DetectorState {
  slots: readonly ForecastSlot[];
  /** A departure not yet long enough to open an anomaly. */
  candidate: Run | null;
  open: Anomaly | null;
  /** While open: the run of observations back inside the band. */
  recovery: { startMs: number; endMs: number } | null;
}

export function createAnomalyDetector(
  slots: readonly ForecastSlot[],
  overrides: Partial<AnomalyOptions> = {},
): AnomalyDetector {
  const options = { ...DEFAULT_ANOMALY_OPTIONS, ...overrides };
  if (options.minDurationMs <= 0 || options.clearAfterMs <= 0 || options.gapMaxMs <= 0) {
    throw new RangeError('anomaly durations must be positive');
  }
  const state: DetectorState = { slots, candidate: null, open: null, recovery: null };
  return {
    observe: (timestampMs, rateTps, intervalMs = MINUTE_MS) => {
      const band = bandAt(state.slots, timestampMs + intervalMs / 2);
      if (band === null || !Number.isFinite(rateTps)) return null;
      const observation = { startMs: timestampMs, endMs: timestampMs + intervalMs, rateTps, band };
      return state.open === null
        ? watchForDeparture(state, observation, options)
        : watchForRecovery(state, state.open, observation, options);
    },
    current: () => (state.open === null ? null : { ...state.open }),
    setForecast: (next) => {
      state.slots = next;
    },
  };
}

interface Observation {
  startMs: number;
  endMs: number;
  rateTps: number;
  band: Band;
}

function classify(observation: Observation, marginFraction: number): AnomalyKind | null {
  const { rateTps, band } = observation;
  if (rateTps < band.lowerTps * (1 - marginFraction)) return 'outage';
  if (rateTps > band.upperTps * (1 + marginFraction)) return 'attack';
  return null;
}

function watchForDeparture(
  state: DetectorState,
  observation: Observation,
  options: AnomalyOptions,
): AnomalyEvent | null {
  const kind = classify(observation, options.enterMarginFraction);
  const previous = state.candidate;
  if (kind === null) {
    state.candidate = null;
    return null;
  }
  const continues =
    previous !== null &&
    previous.kind === kind &&
    observation.startMs - previous.endMs <= options.gapMaxMs;
  const run: Run = continues
    ? { kind, startMs: previous.startMs, endMs: observation.endMs }
    : { kind, startMs: observation.startMs, endMs: observation.endMs };
  state.candidate = run;
  if (run.endMs - run.startMs < options.minDurationMs) return null;
  state.candidate = null;
  state.open = {
    kind,
    startMs: run.startMs,
    endMs: null,
    peakDeviationFraction: observation.rateTps / observation.band.expectedTps - 1,
    expectedTps: observation.band.expectedTps,
    observedTps: observation.rateTps,
  };
  return { type: 'opened', anomaly: { ...state.open } };
}

function watchForRecovery(
  state: DetectorState,
  open: Anomaly,
  observation: Observation,
  options: AnomalyOptions,
): AnomalyEvent | null {
  const { rateTps, band } = observation;
  const stillOut =
    open.kind === 'outage'
      ? rateTps < band.lowerTps * (1 - options.exitMarginFraction)
      : rateTps > band.upperTps * (1 + options.exitMarginFraction);
  if (stillOut) {
    state.recovery = null;
    const deviation = rateTps / band.expectedTps - 1;
    if (Math.abs(deviation) > Math.abs(open.peakDeviationFraction)) {
      open.peakDeviationFraction = deviation;
      open.expectedTps = band.expectedTps;
      open.observedTps = rateTps;
    }
    return null;
  }
  const recovery = state.recovery;
  const continues = recovery !== null && observation.startMs - recovery.endMs <= options.gapMaxMs;
  state.recovery = continues
    ? { startMs: recovery.startMs, endMs: observation.endMs }
    : { startMs: observation.startMs, endMs: observation.endMs };
  if (state.recovery.endMs - state.recovery.startMs < options.clearAfterMs) return null;
  const closed = { ...open, endMs: state.recovery.startMs };
  state.open = null;
  state.recovery = null;
  return { type: 'closed', anomaly: closed };
}

export interface RateObservation {
  timestampMs: number;
  rateTps: number;
  /** How long the observation covers; one minute when omitted. */
  intervalMs?: number;
}

/** Batch form: every anomaly in the observations (in time order); the last may still be open. */
export function detectAnomalies(
  slots: readonly ForecastSlot[],
  observations: readonly RateObservation[],
  options: Partial<AnomalyOptions> = {},
): Anomaly[] {
  const detector = createAnomalyDetector(slots, options);
  const anomalies: Anomaly[] = [];
  for (const { timestampMs, rateTps, intervalMs } of observations) {
    const event = detector.observe(timestampMs, rateTps, intervalMs);
    if (event?.type === 'closed') anomalies.push(event.anomaly);
  }
  const open = detector.current();
  if (open !== null) anomalies.push(open);
  return anomalies;
}
