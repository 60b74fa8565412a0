// The risk domain's public surface, for the payments path, the server and the CLI.

export type { Dataset, StreamItem } from './dataset.ts';
export {
  bandsProblem,
  createRiskEngine,
  FALLBACK_BANDS,
  type RiskEngine,
  type RiskEngineOptions,
  type RiskEngineStats,
  type ScoreBands,
  type SwapModelResult,
} from './engine.ts';
export {
  type AmountBand,
  createFeatureStore,
  type FeatureStore,
  type FeatureStoreOptions,
  type FeatureStoreStats,
} from './features.ts';
export {
  type Clock,
  OPERATOR_EVENT_TYPES,
  type OperatorEvent,
  type OperatorEventType,
  type PartyRef,
  RISK_ACTIONS,
  type RiskAction,
  type RiskDecision,
  type RiskReason,
  type RiskTransaction,
} from './model.ts';
export {
  type ReplayOptions,
  type ReplayResult,
  replayFromJournal,
  replayTransactions,
  type TransactionRecordSource,
} from './replay.ts';
export {
  type CompiledRules,
  compileRules,
  DEFAULT_RULES,
  type RuleConfig,
  type RulesConfig,
} from './rules.ts';
export { FEATURE_SCHEMA_HASH, FEATURE_SPECS } from './schema.ts';

/** The committed model the server loads at start (trained by `malipo train`). */
export const DEFAULT_MODEL_PATH = new URL('../../models/fraud-model.json', import.meta.url);
