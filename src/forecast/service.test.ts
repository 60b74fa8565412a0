import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPayCalendar, DEFAULT_PAY_CALENDAR } from './calendar.ts';
import type { Forecast, SlotSeries } from './model.ts';
import { createRandom } from './random.ts';
import { TrafficRecorder } from './recorder.ts';
import { sliceSeries } from './series.ts';
import { createForecastService, forecastNext24h } from './service.ts';
import { DAY_MS, dayOfWeek, HOUR_MS, localDayIndex, MINUTE_MS } from './time.ts';

const OFFSET_MS = 180 * MINUTE_MS;
/** Monday 6 January 2025, local midnight. */
const START_MS = Date.UTC(2025, 0, 6) - OFFSET_MS;
const SLOT_MS = 15 * MINUTE_MS;
const calendar = createPayCalendar(DEFAULT_PAY_CALENDAR);

/** A known daily curve with three peaks, in TPS. */
function curveTps(slot: number): number {
  const hour = (slot + 0.5) / 4;
  const bump = (centre: number, width: number) => Math.exp(-0.5 * ((hour - centre) / width) ** 2);
  return 300 + 3000 * bump(8, 1.3) + 2500 * bump(13, 1.2) + 3200 * bump(18.5, 1.6);
}

const WEEKDAY_FACTORS = [0.7, 1, 1, 1, 1, 1.08, 0.85];

interface World {
  paydayFactor?: number;
  noiseSd?: number;
  seed?: number;
}

function trueRate(world: World, dayIndex: number, slot: number): number {
  const growth = 1.002 ** (dayIndex - localDayIndex(START_MS, 180));
  const payday = calendar.featuresOf(dayIndex).includes('payday+0') ? (world.paydayFactor ?? 1) : 1;
  return curveTps(slot) * WEEKDAY_FACTORS[dayOfWeek(dayIndex)] * growth * payday;
}

function buildSeries(world: World, days: number): SlotSeries {
  const random = createRandom(world.seed ?? 1);
  const firstDay = localDayIndex(START_MS, 180);
  const ratesTps = new Float64Array(days * 96);
  for (let i = 0; i < ratesTps.length; i += 1) {
    const noise = Math.exp((world.noiseSd ?? 0) * random.normal());
    ratesTps[i] = trueRate(world, firstDay + Math.floor(i / 96), i % 96) * noise;
  }
  return { startMs: START_MS, slotMinutes: 15, ratesTps };
}

function forecastOrFail(history: SlotSeries, nowMs: number): Forecast {
  const outcome = forecastNext24h(history, nowMs);
  assert.ok(outcome.ok, JSON.stringify(outcome.ok ? null : outcome.error));
  return outcome.value;
}

function mapeAgainstTruth(forecast: Forecast, world: World): number {
  let sum = 0;
  for (const slot of forecast.slots) {
    const day = localDayIndex(slot.startMs, 180);
    const index = Math.round((slot.startMs - (day * DAY_MS - OFFSET_MS)) / SLOT_MS);
    const truth = trueRate(world, day, index);
    sum += Math.abs(slot.expectedTps - truth) / truth;
  }
  return sum / forecast.slots.length;
}

describe('forecastNext24h', () => {
  it('forecasts a noiseless seasonal series almost exactly', () => {
    const world = {};
    const originMs = START_MS + 70 * DAY_MS;
    const forecast = forecastOrFail(buildSeries(world, 70), originMs);
    assert.equal(forecast.slots.length, 96);
    assert.equal(forecast.slots[0].startMs, originMs);
    assert.equal(forecast.slots[95].startMs, originMs + 95 * SLOT_MS);
    const mape = mapeAgainstTruth(forecast, world);
    assert.ok(mape < 0.01, `MAPE ${mape}`);
    assert.ok(Math.abs(forecast.diagnostics.trendPerWeekFraction - (1.002 ** 7 - 1)) < 0.003);
  });

  it('learns the payday factor from history and applies it on the next payday', () => {
    const world = { paydayFactor: 1.3, noiseSd: 0.03, seed: 3 };
    // History from 6 January holds the 31 January and 28 February paydays; 31 March is one too.
    const originMs = START_MS + 84 * DAY_MS;
    assert.deepEqual(calendar.featuresOf(localDayIndex(originMs, 180)), ['payday+0']);
    const forecast = forecastOrFail(buildSeries(world, 84), originMs);
    const factor = forecast.diagnostics.calendarFactors['payday+0'];
    assert.ok(factor > 1.22 && factor < 1.38, `payday factor ${factor}`);
    const mape = mapeAgainstTruth(forecast, world);
    assert.ok(mape < 0.04, `payday MAPE ${mape}`);
  });

  it('never reads history at or after the forecast start', () => {
    const originMs = START_MS + 50 * DAY_MS + 7 * HOUR_MS;
    const full = buildSeries({ noiseSd: 0.05 }, 60);
    const tampered = { ...full, ratesTps: full.ratesTps.slice() };
    const firstFuture = (originMs - START_MS) / SLOT_MS;
    tampered.ratesTps.fill(1e6, firstFuture);
    const truncated = sliceSeries(full, START_MS, originMs);
    assert.deepEqual(forecastOrFail(tampered, originMs), forecastOrFail(truncated, originMs));
  });

  it('gives a band around the forecast and capacity above it from its own back-test', () => {
    const forecast = forecastOrFail(buildSeries({ noiseSd: 0.05 }, 70), START_MS + 70 * DAY_MS);
    const { margin } = forecast;
    assert.equal(margin.source, 'backtest');
    assert.equal(margin.backtestDays, 14);
    // With 5 % noise the p95 under-forecast is about 1.645 × 5 %.
    assert.ok(margin.underForecastFraction > 0.05 && margin.underForecastFraction < 0.15);
    assert.ok(margin.lowerFraction < -0.05 && margin.upperFraction > 0.05);
    for (const slot of forecast.slots) {
      assert.ok(slot.lowerTps < slot.expectedTps && slot.expectedTps < slot.upperTps);
      assert.ok(slot.capacityTps > slot.expectedTps);
    }
  });

  it("raises the rest of today's forecast when today runs above it", () => {
    const world = {};
    const series = buildSeries(world, 71);
    const todayStart = (70 * DAY_MS) / SLOT_MS;
    for (let i = todayStart; i < series.ratesTps.length; i += 1) series.ratesTps[i] *= 1.25;
    const noonMs = START_MS + 70 * DAY_MS + 12 * HOUR_MS;
    const atMidnight = forecastOrFail(series, START_MS + 70 * DAY_MS);
    const atNoon = forecastOrFail(series, noonMs);
    assert.equal(atNoon.slots[0].startMs, noonMs);
    assert.ok(atNoon.diagnostics.sameDayCorrectionFraction > 0.08);
    const ratio = atNoon.slots[8].expectedTps / atMidnight.slots[48 + 8].expectedTps;
    assert.ok(ratio > 1.08, `ratio ${ratio}`);
  });

  it('reports too short a history and a slot-length mismatch as errors', () => {
    const short = forecastNext24h(buildSeries({}, 10), START_MS + 10 * DAY_MS);
    assert.deepEqual(short, {
      ok: false,
      error: { code: 'insufficient_history', historyDays: 10, requiredDays: 14 },
    });
    const hourly = { startMs: START_MS, slotMinutes: 60, ratesTps: new Float64Array(24 * 30) };
    const mismatch = forecastNext24h(hourly, START_MS + 30 * DAY_MS);
    assert.equal(mismatch.ok ? null : mismatch.error.code, 'slot_mismatch');
    assert.throws(() => forecastNext24h(hourly, START_MS, { slotMinutes: 7 }), RangeError);
  });
});

describe('createForecastService', () => {
  it('forecasts from recorded traffic at the clock time', () => {
    const recorder = new TrafficRecorder({ weeksMax: 10 });
    const series = buildSeries({ noiseSd: 0.03 }, 63);
    series.ratesTps.forEach((rateTps, slot) => {
      for (let m = 0; m < 15; m += 1) {
        recorder.record(START_MS + (slot * 15 + m) * MINUTE_MS, Math.round(rateTps * 60));
      }
    });
    const nowMs = START_MS + 63 * DAY_MS - 10 * MINUTE_MS;
    const service = createForecastService({ traffic: recorder, clock: { nowMs: () => nowMs } });
    const outcome = service.forecast();
    assert.ok(outcome.ok);
    assert.equal(outcome.value.slots[0].startMs, START_MS + 63 * DAY_MS - 15 * MINUTE_MS);
    assert.equal(outcome.value.margin.source, 'backtest');
    const direct = forecastNext24h(recorder.series(START_MS, nowMs - 5 * MINUTE_MS, 15), nowMs);
    assert.ok(direct.ok);
    assert.deepEqual(outcome.value.slots, direct.value.slots);
  });
});
