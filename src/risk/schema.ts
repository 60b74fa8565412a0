// The fraud model's feature schema: names, types and column order. The order is the whole contract
// between the feature store and the trees, so it lives in one list here; its hash goes into every
// model file, and a model trained for another list is refused at load.
//
// Each feature also names its unit, so rules can be written in natural units (cents, hours, days)
// and compiled once into the feature's own scale (most counts are plain, money and ages are log1p).
// The hour of day is deliberately not a feature either (decision 0012): in simulated training data
// it encodes when the simulator schedules fraud, not anything true of customers, and night
// workers pay at night.
// The channel is deliberately not a feature: it carries nothing the type does not in the data the
// model is trained on, and channel names differ between deployments (an agent app, USSD, the
// admin API), so a split on it would be a trap the first time a new channel name appears.
//
// Changing a name, a type, the order, or how a value is computed needs a retrained model. The hash
// sees only names and types (model-file.ts checks a file's hash against its own feature list), so a
// change of computation under the same meaning renames the feature (amount_z → amount_z2).

import { type FeatureSpec, type FeatureType, featureSchemaHash } from './model/model-file.ts';

/** How a feature's value relates to the natural unit rules are written in. */
export type FeatureUnit =
  /** The value itself (counts, ratios, flags, hour of day, z-scores, codes). */
  | 'plain'
  /** ln(1 + cents / 100): money in shillings on a log scale. Rules give cents. */
  | 'cents_log'
  /** ln(1 + x) of a duration or count given in the feature name's unit (minutes, hours, days). */
  | 'log1p';

interface FeatureDef {
  readonly name: string;
  readonly type: FeatureType;
  readonly unit: FeatureUnit;
}

const f = (name: string, unit: FeatureUnit = 'plain'): FeatureDef => ({
  name,
  type: 'float',
  unit,
});
const i = (name: string, unit: FeatureUnit = 'plain'): FeatureDef => ({ name, type: 'int', unit });
const b = (name: string): FeatureDef => ({ name, type: 'bool', unit: 'plain' });

export const FEATURE_DEFS = [
  // The transaction itself.
  f('amount_log', 'cents_log'),
  i('type_code'),
  // The payer's outgoing velocity, before this transaction.
  i('payer_count_1m'),
  i('payer_count_10m'),
  i('payer_count_1h'),
  i('payer_count_24h'),
  f('payer_amount_1m_log', 'cents_log'),
  f('payer_amount_10m_log', 'cents_log'),
  f('payer_amount_1h_log', 'cents_log'),
  f('payer_amount_24h_log', 'cents_log'),
  i('payer_fan_out_1h'),
  i('payer_fan_out_24h'),
  i('payer_new_recipients_1h'),
  i('payer_same_amount_1h'),
  i('payer_near_band_top_1h'),
  // Payments in the last hour against the payer's own hourly rate (decision 0025): velocity as a
  // departure from the customer's habit, whatever the products used.
  f('payer_rate_ratio_1h'),
  // The amount against the payer's own history. How MANY payments the store has seen is not a
  // feature (decision 0020): it measures the store's memory (its replay window, restarts, a
  // migration without history) and the customer's activity level, not risk; trained on, it made
  // every quiet or freshly imported customer look like a mule. History counts only through the
  // shrinkage of the z-score and the habit shares towards their priors.
  f('amount_z'),
  f('amount_to_mean_ratio'),
  f('amount_to_max_ratio'),
  f('payer_idle_days_log', 'log1p'),
  // The payer's own habits over their remembered payments, shrunk towards a prior while the
  // history is short: what is ordinary for this customer (spending it all, paying the moment
  // money lands, paying people they have not paid before) is not evidence on its own.
  f('payer_new_recipient_share'),
  f('payer_drain_share'),
  f('payer_quick_spend_share'),
  // The payer and this recipient.
  b('new_recipient'),
  i('pair_count_1h'),
  // Payments to this recipient in the last hour just under a band's top: split amounts to one
  // party, not a busy agent's chance near-top amounts to many (decision 0025).
  i('pair_near_band_top_1h'),
  i('pair_count_24h'),
  // Money coming into the payer: mules, pass-through, "send it back" scams.
  i('payer_fan_in_1h'),
  i('payer_fan_in_24h'),
  i('payer_in_count_24h'),
  f('payer_in_amount_24h_log', 'cents_log'),
  f('pass_through_ratio'),
  f('last_in_age_min_log', 'log1p'),
  f('amount_to_last_in_ratio'),
  b('recipient_is_last_sender'),
  // Takeover signals.
  f('sim_swap_age_h_log', 'log1p'),
  f('device_change_age_h_log', 'log1p'),
  f('drain_ratio'),
  // The balance against the payer's typical payment, not in shillings (decision 0025): the
  // training simulator's takeovers pick the richest victims, so an absolute balance learnt
  // "well-off" as risk and stepped up salaried households.
  f('balance_to_typical_ratio'),
  f('payer_age_days_log', 'log1p'),
  // The recipient.
  i('recipient_fan_in_1h'),
  i('recipient_fan_in_24h'),
  i('recipient_in_count_24h'),
  f('recipient_age_days_log', 'log1p'),
  // Agent commission bands: where the amount sits inside its band (1 = just under the next).
  f('band_position'),
] as const satisfies readonly FeatureDef[];

export type FeatureName = (typeof FEATURE_DEFS)[number]['name'];

export const FEATURE_COUNT = FEATURE_DEFS.length;

/** Column of each feature, by name. */
export const FEATURE_INDEX: Readonly<Record<FeatureName, number>> = Object.freeze(
  Object.fromEntries(FEATURE_DEFS.map((def, index) => [def.name, index])) as Record<
    FeatureName,
    number
  >,
);

export const FEATURE_SPECS: readonly FeatureSpec[] = [
  ...FEATURE_DEFS.map(({ name, type }) => ({ name, type })),
];

/** The hash a model file must carry to be served by this feature store. */
export const FEATURE_SCHEMA_HASH = featureSchemaHash(FEATURE_SPECS);

export function isFeatureName(name: string): name is FeatureName {
  return Object.hasOwn(FEATURE_INDEX, name);
}

/** A value in the feature's natural unit (cents, minutes, hours, days, counts) on its own scale. */
export function toFeatureScale(name: FeatureName, natural: number): number {
  const unit = FEATURE_DEFS[FEATURE_INDEX[name]].unit;
  if (unit === 'cents_log') return Math.log1p(natural / 100);
  if (unit === 'log1p') return Math.log1p(natural);
  return natural;
}

/** The inverse of toFeatureScale, for showing a reason in natural units. */
export function fromFeatureScale(name: FeatureName, value: number): number {
  const unit = FEATURE_DEFS[FEATURE_INDEX[name]].unit;
  if (unit === 'cents_log') return Math.expm1(value) * 100;
  if (unit === 'log1p') return Math.expm1(value);
  return value;
}
