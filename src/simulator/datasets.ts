// Simulated training and evaluation data: the generator's stream replayed through the feature
// store (risk/dataset.ts), with the population's account-opening dates as the account-age
// dependency and the market's commission bands, exactly as the server would wire them.

import type { MarketConfig } from '../payments/market-config.ts';
import { defaultMarketConfig } from '../payments/market-config.ts';
import { buildDataset, type Dataset, type StreamItem } from '../risk/dataset.ts';
import type { PartyRef } from '../risk/model.ts';
import { generateEvents, populationOf, type SimulatorConfig } from './generator.ts';
import { DAY_MS, openedAtLookup } from './population.ts';
import { labelledItems } from './stream.ts';

/** Rows in one simulated data set: a year of a large population still fits. */
export const DATASET_ROWS_MAX = 20_000_000;

export interface DatasetSource {
  readonly items: Iterable<StreamItem>;
  readonly openedAtMs: (party: PartyRef) => number | undefined;
}

/** A generated stream and its account ages, ready for buildDataset. */
export function simulatedSource(config: SimulatorConfig): DatasetSource {
  const population = populationOf(config);
  return {
    items: labelledItems(generateEvents(config, population)),
    openedAtMs: openedAtLookup(population),
  };
}

/** Rows from `rowsFromMs` on; earlier transactions only warm the features. */
export function datasetFrom(
  source: DatasetSource,
  rowsFromMs: number,
  market: MarketConfig = defaultMarketConfig(),
): Dataset {
  return buildDataset(source.items, {
    openedAtMs: source.openedAtMs,
    commissionBands: market.commissions,
    rowsFromMs,
    rowsMax: DATASET_ROWS_MAX,
  });
}

/** A simulated period whose first `warmupDays` only warm the features. */
export function simulatedDataset(config: SimulatorConfig, warmupDays: number): Dataset {
  return datasetFrom(simulatedSource(config), config.startMs + warmupDays * DAY_MS, config.market);
}
