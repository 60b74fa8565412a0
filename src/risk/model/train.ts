// Trains fraud models with the real XGBoost and runs its own predictions for the golden test.
//
// XGBoost runs as Debian's python3-xgboost (scripts/train-xgboost.py under /usr/bin/python3)
// rather than Debian's `xgboost` CLI: both are the same 1.7.4 library from apt, but only the Python
// API has early stopping, returns the evaluation history as data, and has XGBoost's own Saabas
// contributions (approx_contribs) to check gbt.ts against. Data travels as CSV (see
// training-data.ts); the model comes back as XGBoost JSON inside a ModelEnvelope.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FEATURES_MAX,
  ROUNDS_MAX,
  XGBOOST_OUTPUT_BYTES_MAX,
  XGBOOST_TIMEOUT_MS_DEFAULT,
} from './limits.ts';
import {
  checkFeatureSpecs,
  createModelEnvelope,
  type FeatureType,
  type ModelEnvelope,
  type TrainingInfo,
} from './model-file.ts';
import {
  checkFeatureRows,
  checkLabelled,
  type FeatureRows,
  type LabelledRows,
  type Labels,
  type Weights,
  writeFeatureCsv,
  writeLabelledCsv,
} from './training-data.ts';

/** Debian's interpreter: python3-xgboost installs into it, not into a pyenv/venv python3 on PATH. */
export const XGBOOST_PYTHON_DEFAULT = '/usr/bin/python3';
/** Fixed rather than all cores: histogram sums, hence trees, can depend on the thread count. */
export const XGBOOST_THREADS = 2;
export const TRAINER_SCRIPT_PATH = fileURLToPath(
  new URL('../../../scripts/train-xgboost.py', import.meta.url),
);

export type EvalMetric = 'auc' | 'aucpr' | 'logloss' | 'error';

export interface XgboostParams {
  /** Boosting rounds (trees). Default 200. */
  readonly numRound?: number;
  readonly eta?: number;
  readonly maxDepth?: number;
  readonly subsample?: number;
  readonly colsampleBytree?: number;
  readonly minChildWeight?: number;
  readonly lambda?: number;
  readonly alpha?: number;
  readonly gamma?: number;
  readonly scalePosWeight?: number;
  readonly maxBin?: number;
  /** Stop after this many rounds without improvement on the validation set. Default 20. */
  readonly earlyStoppingRounds?: number;
  /** Reported metrics; XGBoost early-stops on the last one. Default auc, aucpr, logloss. */
  readonly evalMetrics?: readonly EvalMetric[];
}

export interface TrainModelOptions extends LabelledRows {
  readonly featureNames: readonly string[];
  /** Defaults to 'float' for every feature. Part of the schema hash. */
  readonly featureTypes?: readonly FeatureType[];
  /** Held-out rows for early stopping and metrics; use a later time window than `rows`. */
  readonly validation?: LabelledRows;
  readonly params?: XgboostParams;
  readonly seed: number;
  /** Keeps a frozen copy of the data, the job, the raw model and the metrics. */
  readonly workDir: string;
  readonly version?: string;
  readonly clock?: () => Date;
  readonly pythonPath?: string;
  readonly timeoutMs?: number;
}

export interface XgboostRunOptions {
  readonly pythonPath?: string;
  readonly timeoutMs?: number;
  /** Defaults to a fresh temporary directory, removed afterwards. */
  readonly workDir?: string;
  /** Also return XGBoost's approx (Saabas) contributions. */
  readonly approxContributions?: boolean;
}

export interface XgboostPrediction {
  readonly probabilities: Float64Array;
  readonly margins: Float64Array;
  /** Per row: featureCount contributions then the bias, as XGBoost returns them. */
  readonly contributions?: readonly Float64Array[];
}

interface TrainResult {
  readonly xgboostVersion: string;
  readonly rounds: number;
  readonly bestIteration: number;
  readonly metrics: Record<string, number>;
}

function runScript(
  args: readonly string[],
  pythonPath: string,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      pythonPath,
      [TRAINER_SCRIPT_PATH, ...args],
      {
        timeout: timeoutMs,
        maxBuffer: XGBOOST_OUTPUT_BYTES_MAX,
        // OpenMP threads spin while waiting by default; on a busy 2-core CI machine that made
        // training 3–5× slower (measured: 14 s against 3–5 s). Passive waiting yields the core.
        env: {
          ...process.env,
          OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
          PYTHONDONTWRITEBYTECODE: '1',
        },
      },
      // execFile's error message already carries the script's stderr (the Python traceback).
      (error, stdout) => {
        if (error) reject(new Error(`train-xgboost.py ${args.join(' ')} failed: ${error.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** The installed XGBoost version, or undefined when python3-xgboost is not installed. */
export async function xgboostVersion(
  pythonPath = XGBOOST_PYTHON_DEFAULT,
): Promise<string | undefined> {
  try {
    const stdout = await runScript(['version'], pythonPath, 60_000);
    const parsed = JSON.parse(stdout) as { xgboost?: unknown };
    return typeof parsed.xgboost === 'string' ? parsed.xgboost : undefined;
  } catch {
    return undefined;
  }
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!(Number.isFinite(value) && value >= min && value <= max))
    throw new RangeError(`${name} ${value} outside [${min}, ${max}]`);
  return value;
}

/** Maps our typed parameters to XGBoost's names; objective, tree method and threads are fixed. */
export function xgboostParams(
  params: XgboostParams,
  seed: number,
): Record<string, string | number | string[]> {
  return {
    // gbt.ts serves exactly this objective; allowing others would make the golden test meaningless.
    objective: 'binary:logistic',
    tree_method: 'hist',
    nthread: XGBOOST_THREADS,
    seed: checkRange('seed', seed, 0, 2 ** 31 - 1),
    eta: checkRange('eta', params.eta ?? 0.1, 1e-6, 1),
    max_depth: checkRange('maxDepth', params.maxDepth ?? 6, 1, 16),
    subsample: checkRange('subsample', params.subsample ?? 0.8, 1e-3, 1),
    colsample_bytree: checkRange('colsampleBytree', params.colsampleBytree ?? 0.8, 1e-3, 1),
    min_child_weight: checkRange('minChildWeight', params.minChildWeight ?? 1, 0, 1e9),
    lambda: checkRange('lambda', params.lambda ?? 1, 0, 1e9),
    alpha: checkRange('alpha', params.alpha ?? 0, 0, 1e9),
    gamma: checkRange('gamma', params.gamma ?? 0, 0, 1e9),
    scale_pos_weight: checkRange('scalePosWeight', params.scalePosWeight ?? 1, 1e-9, 1e9),
    max_bin: checkRange('maxBin', params.maxBin ?? 256, 2, 65_536),
    eval_metric: evalMetrics(params.evalMetrics),
  };
}

function evalMetrics(metrics: readonly EvalMetric[] = ['auc', 'aucpr', 'logloss']): string[] {
  // With no metric XGBoost would pick its own and early stopping would watch something unnamed.
  if (metrics.length === 0) throw new RangeError('evalMetrics must name at least one metric');
  return [...metrics];
}

function checkTrainResult(value: unknown): TrainResult {
  const result = value as Partial<TrainResult>;
  if (
    typeof result?.xgboostVersion !== 'string' ||
    !Number.isInteger(result.rounds) ||
    !Number.isInteger(result.bestIteration) ||
    typeof result.metrics !== 'object'
  ) {
    throw new Error(
      `train-xgboost.py returned an unexpected result: ${JSON.stringify(value).slice(0, 200)}`,
    );
  }
  return result as TrainResult;
}

function featureTypesOf(options: TrainModelOptions): readonly FeatureType[] {
  const types = options.featureTypes ?? options.featureNames.map((): FeatureType => 'float');
  if (types.length !== options.featureNames.length)
    throw new RangeError('featureTypes and featureNames differ in length');
  if (types.length === 0 || types.length > FEATURES_MAX)
    throw new RangeError(`feature count ${types.length} outside [1, ${FEATURES_MAX}]`);
  return types;
}

/** XGBoost's own names for our feature types ('i' = indicator). They affect only dumps in 1.7. */
const XGBOOST_FEATURE_TYPE: Record<FeatureType, string> = { float: 'float', int: 'int', bool: 'i' };

interface TrainingJob {
  readonly jobPath: string;
  readonly modelPath: string;
  readonly resultPath: string;
  readonly dataSha256: string;
}

/** Writes the data (a frozen copy, hashed as written) and the job file into the work directory. */
async function writeTrainingJob(
  options: TrainModelOptions,
  featureTypes: readonly FeatureType[],
  params: Record<string, unknown>,
  rounds: { numRound: number; earlyStoppingRounds: number },
): Promise<TrainingJob> {
  await mkdir(options.workDir, { recursive: true });
  const paths = {
    trainPath: join(options.workDir, 'train.csv'),
    validationPath:
      options.validation === undefined ? null : join(options.workDir, 'validation.csv'),
    modelPath: join(options.workDir, 'model.xgboost.json'),
    resultPath: join(options.workDir, 'train-result.json'),
  };
  const dataHash = createHash('sha256');
  await writeLabelledCsv(paths.trainPath, options, dataHash);
  if (options.validation !== undefined && paths.validationPath !== null) {
    await writeLabelledCsv(paths.validationPath, options.validation, dataHash);
  }
  const job = {
    ...paths,
    ...rounds,
    params,
    featureNames: options.featureNames,
    featureTypes: featureTypes.map((type) => XGBOOST_FEATURE_TYPE[type]),
  };
  const jobPath = join(options.workDir, 'train-job.json');
  await writeFile(jobPath, JSON.stringify(job, null, 2));
  return {
    jobPath,
    modelPath: paths.modelPath,
    resultPath: paths.resultPath,
    dataSha256: dataHash.digest('hex'),
  };
}

/**
 * Trains a binary:logistic model with the real XGBoost (fixed seed, 2 threads) and returns the
 * model envelope; save it with saveModelFile. Throws when XGBoost is missing or fails.
 */
export async function trainModel(options: TrainModelOptions): Promise<ModelEnvelope> {
  const featureTypes = featureTypesOf(options);
  // Fail before training, not after: names XGBoost or the envelope would refuse.
  checkFeatureSpecs(options.featureNames.map((name, i) => ({ name, type: featureTypes[i] })));
  const featureCount = options.featureNames.length;
  const positives = checkLabelled(options, featureCount, 'training rows');
  if (positives === 0 || positives === options.rows.length)
    throw new RangeError('training rows need both labels');
  if (options.validation !== undefined)
    checkLabelled(options.validation, featureCount, 'validation rows');
  const params = xgboostParams(options.params ?? {}, options.seed);
  const numRound = checkRange('numRound', options.params?.numRound ?? 200, 1, ROUNDS_MAX);
  const earlyStoppingRounds = checkRange(
    'earlyStoppingRounds',
    options.params?.earlyStoppingRounds ?? 20,
    1,
    ROUNDS_MAX,
  );

  const job = await writeTrainingJob(options, featureTypes, params, {
    numRound,
    earlyStoppingRounds,
  });
  await runScript(
    ['train', job.jobPath],
    options.pythonPath ?? XGBOOST_PYTHON_DEFAULT,
    options.timeoutMs ?? XGBOOST_TIMEOUT_MS_DEFAULT,
  );
  const result = checkTrainResult(JSON.parse(await readFile(job.resultPath, 'utf8')));
  const training: TrainingInfo = {
    trainer: 'python3-xgboost (Debian) via scripts/train-xgboost.py',
    xgboostVersion: result.xgboostVersion,
    rows: options.rows.length,
    positives,
    validationRows: options.validation?.rows.length ?? 0,
    seed: options.seed,
    params: {
      ...params,
      eval_metric: (params.eval_metric as string[]).join(','),
      num_round: numRound,
    },
    rounds: result.rounds,
    bestIteration: result.bestIteration,
    metrics: result.metrics,
    dataSha256: job.dataSha256,
  };
  return createModelEnvelope({
    features: options.featureNames.map((name, i) => ({ name, type: featureTypes[i] })),
    xgboost: JSON.parse(await readFile(job.modelPath, 'utf8')),
    training,
    createdAt: (options.clock ?? (() => new Date()))(),
    ...(options.version === undefined ? {} : { version: options.version }),
  });
}

function numberArray(value: unknown, length: number, what: string): Float64Array {
  if (!Array.isArray(value) || value.length !== length)
    throw new Error(`train-xgboost.py: ${what} has the wrong length`);
  return Float64Array.from(value as number[]);
}

/**
 * XGBoost's own predictions for `rows` with the model in `envelope`: the reference the in-process
 * scorer (gbt.ts) is tested against. Writes the model JSON exactly as the envelope holds it.
 */
export async function predictWithXgboost(
  envelope: ModelEnvelope,
  rows: FeatureRows,
  options: XgboostRunOptions = {},
): Promise<XgboostPrediction> {
  const featureCount = envelope.featureNames.length;
  checkFeatureRows(rows, featureCount, 'prediction rows');
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'malipo-xgboost-')));
  try {
    await mkdir(workDir, { recursive: true });
    const job = {
      modelPath: join(workDir, 'predict-model.xgboost.json'),
      rowsPath: join(workDir, 'predict-rows.csv'),
      resultPath: join(workDir, 'predict-result.json'),
      featureCount,
      nthread: XGBOOST_THREADS,
      approxContributions: options.approxContributions === true,
    };
    await writeFile(job.modelPath, JSON.stringify(envelope.xgboost));
    await writeFeatureCsv(job.rowsPath, rows);
    const jobPath = join(workDir, 'predict-job.json');
    await writeFile(jobPath, JSON.stringify(job));
    await runScript(
      ['predict', jobPath],
      options.pythonPath ?? XGBOOST_PYTHON_DEFAULT,
      options.timeoutMs ?? XGBOOST_TIMEOUT_MS_DEFAULT,
    );
    const result = JSON.parse(await readFile(job.resultPath, 'utf8')) as Record<string, unknown>;
    const contributions = result.contributions;
    return {
      probabilities: numberArray(result.probabilities, rows.length, 'probabilities'),
      margins: numberArray(result.margins, rows.length, 'margins'),
      ...(Array.isArray(contributions)
        ? {
            contributions: contributions.map((row) =>
              numberArray(row, featureCount + 1, 'contributions'),
            ),
          }
        : {}),
    };
  } finally {
    if (options.workDir === undefined) await rm(workDir, { recursive: true, force: true });
  }
}

export type { FeatureRows, LabelledRows, Labels, Weights };
