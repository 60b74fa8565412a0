import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { bandAt, createAnomalyDetector, detectAnomalies, type RateObservation } from './anomaly.ts';
import type { ForecastSlot } from './model.ts';
import { countsToSlotSeries } from './series.ts';
import { forecastNext24h } from './service.ts';
import { createTrafficGenerator, DEFAULT_TRAFFIC_PROFILE } from './synthetic.ts';
import { DAY_MS, MINUTE_MS } from './time.ts';

/** Tuesday 4 March 2025, local midnight in Nairobi; history starts eight weeks earlier. */
const DAY_START_MS = Date.UTC(2025, 2, 4) - 180 * MINUTE_MS;
const HISTORY_DAYS = 56;
const HISTORY_START_MS = DAY_START_MS - HISTORY_DAYS * DAY_MS;

let slots: ForecastSlot[] = [];
/** The day's real per-minute rates (normal noise, no spikes). */
let normalDay: RateObservation[] = [];

before(() => {
  const generator = createTrafficGenerator({
    ...DEFAULT_TRAFFIC_PROFILE,
    spikes: { ...DEFAULT_TRAFFIC_PROFILE.spikes, perDay: 0 },
  });
  const minutes = (HISTORY_DAYS + 1) * 1440;
  const counts = generator.generateMinuteCounts({ startMs: HISTORY_START_MS, minutes, seed: 11 });
  const history = countsToSlotSeries(HISTORY_START_MS, counts.subarray(0, HISTORY_DAYS * 1440), 15);
  const outcome = forecastNext24h(history, DAY_START_MS);
  assert.ok(outcome.ok);
  slots = outcome.value.slots;
  normalDay = Array.from({ length: 1440 }, (_, m) => ({
    timestampMs: DAY_START_MS + m * MINUTE_MS,
    rateTps: counts[HISTORY_DAYS * 1440 + m] / 60,
  }));
});

/** The normal day with minutes [fromMinute, toMinute) multiplied by `factor`. */
function withIncident(fromMinute: number, toMinute: number, factor: number): RateObservation[] {
  return normalDay.map((observation, m) =>
    m >= fromMinute && m < toMinute
      ? { ...observation, rateTps: observation.rateTps * factor }
      : observation,
  );
}

const minuteMs = (minute: number) => DAY_START_MS + minute * MINUTE_MS;

describe('anomaly detection', () => {
  it('stays silent through a normal day of per-minute noise', () => {
    assert.deepEqual(detectAnomalies(slots, normalDay), []);
    // Without a minimum duration and margin the same minutes do cross the band: the hysteresis
    // is what keeps the detector quiet, not a band too wide to ever trigger.
    const jumpy = detectAnomalies(slots, normalDay, {
      minDurationMs: MINUTE_MS,
      enterMarginFraction: 0,
    });
    assert.ok(jumpy.length > 0);
  });

  it('ignores a single bad minute', () => {
    assert.deepEqual(detectAnomalies(slots, withIncident(600, 601, 0.1)), []);
    assert.deepEqual(detectAnomalies(slots, withIncident(900, 902, 3)), []);
  });

  it('reports an outage when traffic falls far below the band', () => {
    const anomalies = detectAnomalies(slots, withIncident(600, 625, 0.3));
    assert.equal(anomalies.length, 1);
    const [outage] = anomalies;
    assert.equal(outage.kind, 'outage');
    assert.equal(outage.startMs, minuteMs(600));
    assert.equal(outage.endMs, minuteMs(625));
    assert.ok(outage.peakDeviationFraction < -0.6, `${outage.peakDeviationFraction}`);
  });

  it('reports an attack when traffic rises far above the band', () => {
    const anomalies = detectAnomalies(slots, withIncident(1000, 1015, 1.8));
    assert.equal(anomalies.length, 1);
    assert.equal(anomalies[0].kind, 'attack');
    assert.equal(anomalies[0].startMs, minuteMs(1000));
    assert.ok(anomalies[0].peakDeviationFraction > 0.6);
  });

  it('opens after the minimum duration and closes after the rate stays back', () => {
    const detector = createAnomalyDetector(slots);
    const events: { minute: number; type: string }[] = [];
    withIncident(300, 340, 0).forEach((observation, minute) => {
      const event = detector.observe(observation.timestampMs, observation.rateTps);
      if (event !== null) events.push({ minute, type: event.type });
    });
    // Five one-minute observations make the 5-minute minimum; five back in the band clear it.
    assert.deepEqual(events, [
      { minute: 304, type: 'opened' },
      { minute: 344, type: 'closed' },
    ]);
    assert.equal(detector.current(), null);
  });

  it('keeps an anomaly open while the rate is still out, and reports it as ongoing', () => {
    const anomalies = detectAnomalies(slots, withIncident(1300, 1440, 0.2));
    assert.equal(anomalies.length, 1);
    assert.equal(anomalies[0].endMs, null);
  });

  it('accepts per-slot observations', () => {
    const observations = slots.map((slot, i) => ({
      timestampMs: slot.startMs,
      rateTps: i === 40 ? slot.expectedTps * 0.4 : slot.expectedTps,
      intervalMs: 15 * MINUTE_MS,
    }));
    const anomalies = detectAnomalies(slots, observations);
    assert.equal(anomalies.length, 1);
    assert.equal(anomalies[0].startMs, slots[40].startMs);
    assert.equal(anomalies[0].endMs, slots[41].startMs);
  });
});

describe('bandAt', () => {
  const flat = (startMs: number, expectedTps: number): ForecastSlot => ({
    startMs,
    expectedTps,
    lowerTps: expectedTps * 0.9,
    upperTps: expectedTps * 1.1,
    capacityTps: expectedTps * 1.2,
  });
  const band = [flat(0, 100), flat(15 * MINUTE_MS, 200)];

  it('interpolates between slot centres and is null outside the forecast', () => {
    assert.equal(bandAt(band, 7.5 * MINUTE_MS)?.expectedTps, 100);
    assert.equal(bandAt(band, 15 * MINUTE_MS)?.expectedTps, 150);
    assert.equal(bandAt(band, 29 * MINUTE_MS)?.expectedTps, 200);
    assert.equal(bandAt(band, -1), null);
    assert.equal(bandAt(band, 30 * MINUTE_MS), null);
  });
});
