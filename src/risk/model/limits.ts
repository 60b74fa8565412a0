// Named maxima for the fraud-model layer. Every model file, training set and benchmark is bounded,
// so a corrupt or hostile file fails fast instead of exhausting memory on the scoring hosts.

/** Trees in one model. 200–1,000 is the useful range for fraud; 10,000 leaves headroom. */
export const TREES_MAX = 10_000;
/** Nodes in one tree: a depth-16 complete tree. */
export const NODES_PER_TREE_MAX = 1 << 17;
/** Nodes across all trees (~24 bytes each once flattened, so at most ~100 MB). */
export const NODES_TOTAL_MAX = 4_000_000;
/** Depth of any tree; XGBoost's own max_depth is far below this in practice. */
export const TREE_DEPTH_MAX = 64;
/** Features in the schema. Also keeps `featureIndex << 1` in an Int32. */
export const FEATURES_MAX = 1_024;
/** Length of a feature name, to keep the envelope and reason records small. */
export const FEATURE_NAME_LENGTH_MAX = 128;
/** Size of a model file on disk. */
export const MODEL_FILE_BYTES_MAX = 256 * 1024 * 1024;
/** Reasons returned per decision. */
export const REASONS_MAX = 32;
/** Rows in one training or prediction call. */
export const TRAINING_ROWS_MAX = 10_000_000;
/** Boosting rounds in one training run (one tree per round for binary:logistic). */
export const ROUNDS_MAX = TREES_MAX;
/** Wall time for one XGBoost process before it is killed. */
export const XGBOOST_TIMEOUT_MS_DEFAULT = 30 * 60 * 1000;
/** Output captured from one XGBoost process (its logs; results travel through files). */
export const XGBOOST_OUTPUT_BYTES_MAX = 16 * 1024 * 1024;
/** Calls in one latency measurement. */
export const BENCH_ITERATIONS_MAX = 10_000_000;
