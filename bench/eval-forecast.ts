// Back-test of the traffic forecaster on simulated M-Pesa-like traffic, against a seasonal-naive
// baseline (same slot last week) in the same run.
//
//   node --import tsx bench/eval-forecast.ts [--seed 42] [--test-days 42] [--warmup-days 56]
//
// The simulator produces per-minute counts; they reach the forecaster only through the
// TrafficRecorder, one day at a time, as in production. At each local midnight of the test days
// (rolling origin) the model refits on what was recorded before that midnight and forecasts the
// next 96 fifteen-minute slots, which are then scored against what happened. The model never
// reads the simulator's parameters; the pay calendar and public holidays are what an operator
// would configure. Writes bench/results/forecast.json (fractions: 0.05 = 5 %).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type BacktestScore,
  type DayAheadForecaster,
  rollingOriginBacktest,
  seasonalNaive,
} from '../src/forecast/backtest.ts';
import { DEFAULT_PAY_CALENDAR, kenyaPublicHolidays } from '../src/forecast/calendar.ts';
import { DEFAULT_FORECAST_OPTIONS, type ForecastOptions } from '../src/forecast/model.ts';
import { TrafficRecorder } from '../src/forecast/recorder.ts';
import { countsToSlotSeries } from '../src/forecast/series.ts';
import { forecastNext24h } from '../src/forecast/service.ts';
import { quantile } from '../src/forecast/stats.ts';
import { createTrafficGenerator } from '../src/forecast/synthetic.ts';
import { DAY_MS, MINUTE_MS, NAIROBI_UTC_OFFSET_MINUTES } from '../src/forecast/time.ts';

const TARGET_MAPE = 0.06;
const TARGET_WORST_DAY_MAPE = 0.1;
/** Monday 27 January 2025, local midnight: the test weeks then cover the March and April
 * month-ends, mid-month paydays, Easter and Labour Day. */
const HISTORY_START_MS = Date.UTC(2025, 0, 27) - NAIROBI_UTC_OFFSET_MINUTES * MINUTE_MS;

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '42' },
    'test-days': { type: 'string', default: '42' },
    'warmup-days': { type: 'string', default: '56' },
  },
});
const seed = Number(args.seed);
const testDays = Number(args['test-days']);
const warmupDays = Number(args['warmup-days']);
if (warmupDays < 56) throw new RangeError('the issue asks for at least 8 weeks of history');

const options: ForecastOptions = {
  ...DEFAULT_FORECAST_OPTIONS,
  calendar: { ...DEFAULT_PAY_CALENDAR, holidays: [2025, 2026].flatMap(kenyaPublicHolidays) },
};

interface ModelRun {
  score: BacktestScore;
  margins: number[];
  capacityCovered: number;
  capacityScored: number;
  /** forecastNext24h alone: fit, predict and the 14-day margin back-test (15 fits). */
  elapsedMs: number[];
  /** The same without the margin back-test: one fit and one prediction. */
  pointElapsedMs: number[];
}

function runModel(counts: Float64Array): ModelRun {
  const recorder = new TrafficRecorder({ weeksMax: 10 });
  let recordedMinutes = 0;
  const margins: number[] = [];
  const elapsedMs: number[] = [];
  const pointElapsedMs: number[] = [];
  let capacityCovered = 0;
  let capacityScored = 0;
  const forecaster: DayAheadForecaster = (_history, originMs, slots) => {
    // Feed the recorder up to the origin only: the day being forecast is not recorded yet.
    const originMinute = (originMs - HISTORY_START_MS) / MINUTE_MS;
    for (; recordedMinutes < originMinute; recordedMinutes += 1) {
      recorder.record(HISTORY_START_MS + recordedMinutes * MINUTE_MS, counts[recordedMinutes]);
    }
    const lookbackDays = options.historyDaysMax + options.marginBacktestDays;
    const fromMs = Math.max(recorder.coverage()!.fromMs, originMs - lookbackDays * DAY_MS);
    const history = recorder.series(fromMs, originMs, options.slotMinutes);
    let started = performance.now();
    const outcome = forecastNext24h(history, originMs, options);
    elapsedMs.push(performance.now() - started);
    if (!outcome.ok) throw new Error(`no forecast: ${JSON.stringify(outcome.error)}`);
    started = performance.now();
    forecastNext24h(history, originMs, { ...options, marginBacktestDays: 0 });
    pointElapsedMs.push(performance.now() - started);
    margins.push(outcome.value.margin.underForecastFraction);
    const actual = countsToSlotSeries(originMs, counts.subarray(originMinute), options.slotMinutes);
    outcome.value.slots.slice(0, slots).forEach((slot, i) => {
      capacityScored += 1;
      if (actual.ratesTps[i] <= slot.capacityTps) capacityCovered += 1;
    });
    return Float64Array.from(outcome.value.slots.slice(0, slots), (slot) => slot.expectedTps);
  };
  const series = countsToSlotSeries(HISTORY_START_MS, counts, options.slotMinutes);
  const score = rollingOriginBacktest(series, origins(), forecaster, options.utcOffsetMinutes);
  return { score, margins, capacityCovered, capacityScored, elapsedMs, pointElapsedMs };
}

function origins(): number[] {
  return Array.from({ length: testDays }, (_, i) => HISTORY_START_MS + (warmupDays + i) * DAY_MS);
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}`;
}

function printTable(model: ModelRun, baseline: BacktestScore): void {
  const elapsed = model.elapsedMs;
  const rows = [
    ['method', 'MAPE %', 'worst day %', 'p95 under %', 'peak err %', 'fit+predict ms p50/p95'],
    [
      'profile × calendar (ours)',
      percent(model.score.mape),
      percent(model.score.worstDayMape),
      percent(model.score.underForecastP95),
      percent(model.score.meanPeakErrorFraction),
      `${quantile(elapsed, 0.5).toFixed(1)} / ${quantile(elapsed, 0.95).toFixed(1)}`,
    ],
    [
      'seasonal naive (last week)',
      percent(baseline.mape),
      percent(baseline.worstDayMape),
      percent(baseline.underForecastP95),
      percent(baseline.meanPeakErrorFraction),
      '0',
    ],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
}

function main(): void {
  const generator = createTrafficGenerator();
  const minutes = (warmupDays + testDays) * 1440;
  const counts = generator.generateMinuteCounts({ startMs: HISTORY_START_MS, minutes, seed });
  const model = runModel(counts);
  const series = countsToSlotSeries(HISTORY_START_MS, counts, options.slotMinutes);
  const baseline = rollingOriginBacktest(
    series,
    origins(),
    seasonalNaive,
    options.utcOffsetMinutes,
  );
  const { score } = model;
  const first = score.days[0].date;
  const last = score.days[score.days.length - 1].date;
  console.log(
    `traffic forecast back-test: seed ${seed}, ${warmupDays} days of warm-up history, ` +
      `${testDays} test days ${first} … ${last}, rolling origin at each local midnight\n`,
  );
  printTable(model, baseline);
  const coverage = model.capacityCovered / model.capacityScored;
  const marginMean = model.margins.reduce((sum, m) => sum + m, 0) / model.margins.length;
  console.log(
    `\ncapacity = forecast × (1 + margin from the model's own 14-day back-test): ` +
      `mean margin ${percent(marginMean)} %, actual ≤ capacity in ${percent(coverage)} % of slots`,
  );
  const worst = [...score.days].sort((a, b) => b.mape - a.mape).slice(0, 5);
  console.log(`worst days: ${worst.map((d) => `${d.date} ${percent(d.mape)} %`).join(', ')}`);
  const pass = score.mape <= TARGET_MAPE && score.worstDayMape <= TARGET_WORST_DAY_MAPE;
  console.log(
    `targets: MAPE ≤ ${percent(TARGET_MAPE)} %, worst day ≤ ${percent(TARGET_WORST_DAY_MAPE)} %: ` +
      (pass ? 'PASS' : 'FAIL'),
  );
  writeResults(model, baseline, { pass, coverage, marginMean, first, last });
  if (!pass) process.exitCode = 1;
}

function writeResults(
  model: ModelRun,
  baseline: BacktestScore,
  summary: { pass: boolean; coverage: number; marginMean: number; first: string; last: string },
): void {
  const { score, elapsedMs } = model;
  const result = {
    mape: score.mape,
    worstDayMape: score.worstDayMape,
    /** Realised p95 of (actual − forecast) / forecast over the test slots. */
    underForecastMargin: score.underForecastP95,
    baselineMape: baseline.mape,
    baselineWorstDayMape: baseline.worstDayMape,
    baselineUnderForecastMargin: baseline.underForecastP95,
    peakErrorFraction: score.meanPeakErrorFraction,
    modelMarginMean: summary.marginMean,
    capacityCoverage: summary.coverage,
    fitPredictMsMedian: quantile(elapsedMs, 0.5),
    fitPredictMsP95: quantile(elapsedMs, 0.95),
    pointFitPredictMsMedian: quantile(model.pointElapsedMs, 0.5),
    targets: { mape: TARGET_MAPE, worstDayMape: TARGET_WORST_DAY_MAPE },
    pass: summary.pass,
    seed,
    warmupDays,
    testDays,
    testFrom: summary.first,
    testTo: summary.last,
    days: score.days.map((day, i) => ({
      date: day.date,
      mape: day.mape,
      baselineMape: baseline.days[i].mape,
      fitPredictMs: elapsedMs[i],
    })),
  };
  const benchDir = dirname(fileURLToPath(import.meta.url));
  const path = join(benchDir, 'results', 'forecast.json');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${path}`);
}

main();
