// The risk decision: hard rules, then the model's score, then score bands → allow / step-up /
// hold / block (ARCHITECTURE.md §6). Synchronous and allocation-light, because it sits on the
// payment path: features come from the in-memory store, the model is the typed-array tree walk of
// model/gbt.ts, and only a flagged decision pays for the per-feature explanation.
//
// The model can be swapped while running. A new model is parsed, checked against the feature
// schema and compiled completely before one reference is replaced, so every assess sees either
// the old model or the new one, never a mixture; a refused model leaves the old one serving.

import type { FeatureStore, FeatureStoreStats } from './features.ts';
import { DECISION_REASONS_DEFAULT } from './limits.ts';
import type { ModelFileError } from './model/errors.ts';
import { explainMargin, type GbtModel, scoreProbability, topReasons } from './model/gbt.ts';
import { REASONS_MAX } from './model/limits.ts';
import { loadModelFile, type ModelEnvelope, parseModelFile } from './model/model-file.ts';
import type {
  Clock,
  OperatorEvent,
  RiskAction,
  RiskDecision,
  RiskReason,
  RiskTransaction,
} from './model.ts';
import { severityOf } from './model.ts';
import { type CompiledRules, compileRules, type RulesConfig } from './rules.ts';
import { FEATURE_INDEX as F, FEATURE_COUNT, type FeatureName, fromFeatureScale } from './schema.ts';

/** Probability thresholds: a score at or above a band's threshold gets that band's action. */
export interface ScoreBands {
  readonly stepUp: number;
  readonly hold: number;
  readonly block: number;
}

/**
 * Only for a model file without thresholds. Real thresholds come from alert capacity on held-out
 * data (the trainer writes them into the model file), never from 0.5.
 */
export const FALLBACK_BANDS: ScoreBands = { stepUp: 0.5, hold: 0.8, block: 0.98 };

/** Keys of the model file's `thresholds` object. */
export const THRESHOLD_KEYS = { stepUp: 'step_up', hold: 'hold', block: 'block' } as const;

export interface RiskEngineOptions {
  readonly features: FeatureStore;
  /** Compiled rules, or a configuration to compile (an invalid one throws: it is a wiring bug). */
  readonly rules: CompiledRules | RulesConfig;
  /** The model to start with; without one, decisions come from the rules alone. */
  readonly model?: ModelEnvelope | string | null;
  /** Overrides the model file's thresholds, band by band. */
  readonly bands?: Partial<ScoreBands>;
  readonly clock: Clock;
  /** Reasons attached to a flagged decision (default 5). */
  readonly reasonsMax?: number;
}

export type SwapModelResult =
  | { readonly ok: true; readonly version: string }
  | { readonly ok: false; readonly error: ModelFileError };

export interface RiskEngineStats {
  readonly modelVersion: string | null;
  readonly modelSwappedAtMs: number | null;
  readonly bands: ScoreBands;
  readonly decisions: Readonly<Record<RiskAction, number>>;
  readonly ruleHits: number;
  readonly features: FeatureStoreStats;
}

export interface RiskEngine {
  /** Decides on a transaction about to commit. Changes no state. */
  assess(txn: RiskTransaction): RiskDecision;
  /** Learns from a committed transaction (the 'txn' stream). */
  observe(txn: RiskTransaction): void;
  /** Learns one side of a transaction from an imported history (history-import.ts). */
  observeSide(txn: RiskTransaction, side: 'payer' | 'recipient'): void;
  /** Learns from an operator event (SIM swap, device change). False for an invalid MSISDN. */
  recordEvent(event: OperatorEvent): boolean;
  /** Replaces the model (an envelope or a model file's text); the next assess uses it. */
  swapModel(model: ModelEnvelope | string): SwapModelResult;
  /** Reads a model file and swaps it in. */
  loadModel(path: string): Promise<SwapModelResult>;
  stats(): RiskEngineStats;
}

interface ServingModel {
  readonly gbt: GbtModel;
  readonly version: string;
  readonly bands: ScoreBands;
  readonly swappedAtMs: number;
}

interface EngineState {
  readonly features: FeatureStore;
  readonly rules: CompiledRules;
  readonly clock: Clock;
  readonly bandOverrides: Partial<ScoreBands>;
  readonly reasonsMax: number;
  readonly buffer: Float64Array;
  readonly contributions: Float64Array;
  readonly decisions: Record<RiskAction, number>;
  model: ServingModel | null;
  ruleHits: number;
}

export function createRiskEngine(options: RiskEngineOptions): RiskEngine {
  const state: EngineState = {
    features: options.features,
    rules: compiledRules(options.rules),
    clock: options.clock,
    bandOverrides: options.bands ?? {},
    reasonsMax: Math.min(REASONS_MAX, options.reasonsMax ?? DECISION_REASONS_DEFAULT),
    buffer: new Float64Array(FEATURE_COUNT),
    contributions: new Float64Array(FEATURE_COUNT),
    decisions: { allow: 0, step_up: 0, hold: 0, block: 0 },
    model: null,
    ruleHits: 0,
  };
  const bandProblem = bandsProblem({ ...FALLBACK_BANDS, ...state.bandOverrides });
  if (bandProblem !== null) throw new RangeError(`risk engine bands: ${bandProblem}`);
  if (options.model !== undefined && options.model !== null) {
    const started = swapModel(state, options.model);
    if (!started.ok) throw new Error(`risk engine model: ${started.error.message}`);
  }
  return {
    assess: (txn) => assess(state, txn),
    observe: (txn) => state.features.observe(txn),
    observeSide: (txn, side) => state.features.observe(txn, side),
    recordEvent: (event) => state.features.recordEvent(event),
    swapModel: (model) => swapModel(state, model),
    async loadModel(path) {
      const loaded = await loadModelFile(path, { featureSchemaHash: state.features.schemaHash });
      if (!loaded.ok) return loaded;
      return install(state, loaded.model.gbt, loaded.model.envelope);
    },
    stats: () => ({
      modelVersion: state.model?.version ?? null,
      modelSwappedAtMs: state.model?.swappedAtMs ?? null,
      bands: state.model?.bands ?? { ...FALLBACK_BANDS, ...state.bandOverrides },
      decisions: { ...state.decisions },
      ruleHits: state.ruleHits,
      features: state.features.stats(),
    }),
  };
}

function compiledRules(rules: CompiledRules | RulesConfig): CompiledRules {
  if ('evaluate' in rules) return rules;
  const compiled = compileRules(rules);
  if (!compiled.ok) throw new Error(`risk rules: ${compiled.problems.join('; ')}`);
  return compiled.rules;
}

export function bandsProblem(bands: ScoreBands): string | null {
  const { stepUp, hold, block } = bands;
  for (const [name, value] of Object.entries(bands)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      return `${name} must be a positive number (above 1 switches the band off)`;
  }
  if (!(stepUp <= hold && hold <= block)) return 'thresholds must rise: stepUp ≤ hold ≤ block';
  return null;
}

function bandFor(bands: ScoreBands, score: number): RiskAction {
  if (score >= bands.block) return 'block';
  if (score >= bands.hold) return 'hold';
  if (score >= bands.stepUp) return 'step_up';
  return 'allow';
}

/** Natural-unit limits of the evidence that corroborates a high score (see `corroboration`). */
const EVIDENCE = {
  takeoverHours: 72,
  recipientFanIn24h: 4,
  payerFanIn24h: 5,
  payerCount10m: 10,
  splitPattern1h: 3,
  pairSplit1h: 2,
} as const;

const hoursLog = (hours: number) => Math.log1p(hours);

/**
 * What, besides the score, says this is fraud: a SIM swap or new device in the last days, a
 * customer collecting from many people (as recipient, or as payer paying it on), a burst, or
 * amounts split just under a band. Returns the feature that corroborates, or null.
 *
 * Fan-in counts only for customers: an agent, a till or a biller collects from many payers a day
 * by trade, so counting theirs made every busy agent's withdrawals "corroborated" (decision 0020).
 */
export function corroboration(
  features: Float64Array,
  txn: Pick<RiskTransaction, 'from' | 'to'>,
): FeatureName | null {
  const limitH = hoursLog(EVIDENCE.takeoverHours);
  if (features[F.sim_swap_age_h_log] <= limitH) return 'sim_swap_age_h_log';
  if (features[F.device_change_age_h_log] <= limitH) return 'device_change_age_h_log';
  if (txn.to.kind === 'customer' && features[F.recipient_fan_in_24h] >= EVIDENCE.recipientFanIn24h)
    return 'recipient_fan_in_24h';
  if (txn.from.kind === 'customer' && features[F.payer_fan_in_24h] >= EVIDENCE.payerFanIn24h)
    return 'payer_fan_in_24h';
  if (features[F.payer_count_10m] >= EVIDENCE.payerCount10m) return 'payer_count_10m';
  // Split amounts to this one recipient: a busy agent's near-top amounts to many customers are
  // chance, not a pattern (decision 0025).
  if (features[F.pair_near_band_top_1h] >= EVIDENCE.pairSplit1h) return 'pair_near_band_top_1h';
  if (features[F.payer_same_amount_1h] >= EVIDENCE.splitPattern1h) return 'payer_same_amount_1h';
  return null;
}

/**
 * The score's band, moderated (decision 0012): without corroborating evidence a score alone is
 * ambiguous, so a block-band score holds and a hold-band score steps up, one step down the
 * ladder. Step-up (the customer proves it is them) is the cheapest friction; a block is kept for
 * rules and for high scores the evidence backs.
 */
function moderated(banded: RiskAction, evidence: FeatureName | null): RiskAction {
  if (evidence !== null || banded === 'allow' || banded === 'step_up') return banded;
  return banded === 'block' ? 'hold' : 'step_up';
}

function assess(state: EngineState, txn: RiskTransaction): RiskDecision {
  const features = state.features.vector(txn, state.buffer);
  const hit = state.rules.evaluate(txn, features);
  // One read of the reference: a swap during this call cannot mix two models.
  const model = state.model;
  const score = model === null ? 0 : scoreProbability(model.gbt, features);
  const scored = model === null ? 'allow' : bandFor(model.bands, score);
  const evidence = scored === 'hold' || scored === 'block' ? corroboration(features, txn) : null;
  const banded = moderated(scored, evidence);
  const version = model === null ? {} : { modelVersion: model.version };
  if (hit !== null && severityOf(hit.action) >= severityOf(banded)) {
    state.ruleHits += 1;
    state.decisions[hit.action] += 1;
    return { action: hit.action, score, reasons: hit.reasons, rule: hit.name, ...version };
  }
  state.decisions[banded] += 1;
  if (model === null || banded === 'allow')
    return { action: banded, score, reasons: [], ...version };
  const reasons = explain(state, model.gbt, features);
  if (banded !== scored)
    reasons.push({ name: 'uncorroborated_score', value: score, contribution: 0 });
  else if (evidence !== null)
    reasons.push({
      name: evidence,
      value: fromFeatureScale(evidence, features[F[evidence]]),
      contribution: 0,
    });
  return { action: banded, score, reasons, ...version };
}

/** The top features behind a flagged score, in natural units, largest contribution first. */
function explain(state: EngineState, gbt: GbtModel, features: Float64Array): RiskReason[] {
  explainMargin(gbt, features, state.contributions);
  return topReasons(gbt, features, state.contributions, state.reasonsMax)
    .filter((reason) => reason.contribution > 0)
    .map((reason) => ({
      name: reason.featureName,
      value: fromFeatureScale(reason.featureName as FeatureName, reason.value),
      contribution: reason.contribution,
    }));
}

function swapModel(state: EngineState, model: ModelEnvelope | string): SwapModelResult {
  const text = typeof model === 'string' ? model : JSON.stringify(model);
  const parsed = parseModelFile(text, { featureSchemaHash: state.features.schemaHash });
  if (!parsed.ok) return parsed;
  return install(state, parsed.model.gbt, parsed.model.envelope);
}

/** Bands from the model file's thresholds, then the engine's overrides. */
function bandsOf(state: EngineState, envelope: ModelEnvelope): ScoreBands {
  const thresholds = envelope.thresholds ?? {};
  const fromFile: Partial<Record<keyof ScoreBands, number>> = {};
  for (const [band, key] of Object.entries(THRESHOLD_KEYS) as [keyof ScoreBands, string][]) {
    if (thresholds[key] !== undefined) fromFile[band] = thresholds[key];
  }
  return { ...FALLBACK_BANDS, ...fromFile, ...state.bandOverrides };
}

function install(state: EngineState, gbt: GbtModel, envelope: ModelEnvelope): SwapModelResult {
  const bands = bandsOf(state, envelope);
  const problem = bandsProblem(bands);
  if (problem !== null) {
    return {
      ok: false,
      error: { code: 'malformed-model', message: `model ${envelope.version}: ${problem}` },
    };
  }
  state.model = { gbt, version: envelope.version, bands, swappedAtMs: state.clock.nowMs() };
  return { ok: true, version: envelope.version };
}
