// Reads the JSON that XGBoost's `save_model('x.json')` writes and checks it field by field.
//
// Checked against Debian's XGBoost 1.7.4, which writes `base_score` as a probability string
// ("5E-1"); XGBoost 2.x writes an array string ("[5E-1]"), which is accepted too. The layout has
// changed across XGBoost majors, so the golden test (train.test.ts) must be re-run on every upgrade.
// Only what the evaluator in gbt.ts understands is accepted: gbtree, binary:logistic, one output,
// numerical splits, scalar leaves. Anything else is refused rather than scored wrongly.

import { ModelFormatError } from './errors.ts';
import { FEATURES_MAX, NODES_PER_TREE_MAX, NODES_TOTAL_MAX, TREES_MAX } from './limits.ts';

export interface XgboostTree {
  readonly nodeCount: number;
  readonly deletedCount: number;
  readonly leftChildren: readonly number[];
  readonly rightChildren: readonly number[];
  readonly splitIndices: readonly number[];
  /** Split threshold for internal nodes, leaf value for leaves. */
  readonly splitConditions: readonly number[];
  readonly defaultLeft: readonly number[];
  /** Sum of hessians (cover) per node: the weights of XGBoost's Saabas node means. */
  readonly sumHessian: readonly number[];
}

export interface XgboostModel {
  /** base_score as XGBoost stores it: a probability for binary:logistic. */
  readonly baseScore: number;
  readonly featureCount: number;
  /** The names XGBoost was trained with, when the trainer passed them. */
  readonly featureNames: readonly string[] | undefined;
  readonly trees: readonly XgboostTree[];
}

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new ModelFormatError(`xgboost model ${path}: ${message}`);
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(path, 'not an object');
  return value as Json;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'not a string');
  return value;
}

/** XGBoost stores integer parameters as decimal strings ("200"). */
function integerParam(value: unknown, path: string, min: number, max: number): number {
  const raw = text(value, path);
  if (!/^-?\d+$/.test(raw)) fail(path, `not an integer: ${JSON.stringify(raw)}`);
  const parsed = Number(raw);
  if (parsed < min || parsed > max) fail(path, `${parsed} outside [${min}, ${max}]`);
  return parsed;
}

function numbers(value: unknown, path: string, length: number, integral: boolean): number[] {
  if (!Array.isArray(value)) fail(path, 'not an array');
  if (value.length !== length) fail(path, `length ${value.length}, expected ${length}`);
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}[${i}]`, 'not a finite number');
    if (integral && !Number.isInteger(v)) fail(`${path}[${i}]`, 'not an integer');
  }
  return value as number[];
}

/** "5E-1" (XGBoost ≤ 1.7) or "[5E-1]" (XGBoost 2.x, one entry per target). */
export function parseBaseScore(value: unknown, path: string): number {
  const raw = text(value, path).trim();
  const inner = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1).trim() : raw;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(inner)) {
    fail(path, `not a single number: ${JSON.stringify(raw)}`);
  }
  const score = Number(inner);
  // binary:logistic serves logit(base_score), which exists only strictly inside (0, 1).
  if (!(score > 0 && score < 1)) fail(path, `${score} is not a probability in (0, 1)`);
  return score;
}

function parseTree(value: unknown, path: string, featureCount: number): XgboostTree {
  const tree = object(value, path);
  const param = object(tree.tree_param, `${path}.tree_param`);
  const nodeCount = integerParam(
    param.num_nodes,
    `${path}.tree_param.num_nodes`,
    1,
    NODES_PER_TREE_MAX,
  );
  const deletedCount = integerParam(
    param.num_deleted,
    `${path}.tree_param.num_deleted`,
    0,
    nodeCount - 1,
  );
  integerParam(param.num_feature, `${path}.tree_param.num_feature`, featureCount, featureCount);
  if (param.size_leaf_vector !== undefined) {
    // Scalar leaves: 1.7 writes "0", 2.x writes "1"; more is a multi-target vector leaf.
    integerParam(param.size_leaf_vector, `${path}.tree_param.size_leaf_vector`, 0, 1);
  }
  if (tree.split_type !== undefined) {
    const splitType = numbers(tree.split_type, `${path}.split_type`, nodeCount, true);
    // Categorical splits (split_type 1) test set membership, which the evaluator does not do.
    if (splitType.some((type) => type !== 0))
      fail(`${path}.split_type`, 'categorical splits are not supported');
  }
  return {
    nodeCount,
    deletedCount,
    leftChildren: numbers(tree.left_children, `${path}.left_children`, nodeCount, true),
    rightChildren: numbers(tree.right_children, `${path}.right_children`, nodeCount, true),
    splitIndices: numbers(tree.split_indices, `${path}.split_indices`, nodeCount, true),
    splitConditions: numbers(tree.split_conditions, `${path}.split_conditions`, nodeCount, false),
    defaultLeft: numbers(tree.default_left, `${path}.default_left`, nodeCount, true),
    sumHessian: numbers(tree.sum_hessian, `${path}.sum_hessian`, nodeCount, false),
  };
}

function parseFeatureNames(value: unknown, featureCount: number): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail('learner.feature_names', 'not an array');
  // XGBoost writes [] when the training matrix had no names.
  if (value.length === 0) return undefined;
  if (value.length !== featureCount) {
    fail('learner.feature_names', `length ${value.length}, expected ${featureCount}`);
  }
  return value.map((name, i) => text(name, `learner.feature_names[${i}]`));
}

function checkLearnerShape(learner: Json): void {
  const objective = object(learner.objective, 'learner.objective');
  const objectiveName = text(objective.name, 'learner.objective.name');
  if (objectiveName !== 'binary:logistic') {
    fail('learner.objective.name', `${objectiveName} is not supported, only binary:logistic`);
  }
  const param = object(learner.learner_model_param, 'learner.learner_model_param');
  integerParam(param.num_class, 'learner.learner_model_param.num_class', 0, 0);
  if (param.num_target !== undefined) {
    integerParam(param.num_target, 'learner.learner_model_param.num_target', 1, 1);
  }
  const booster = object(learner.gradient_booster, 'learner.gradient_booster');
  const boosterName = text(booster.name, 'learner.gradient_booster.name');
  // dart scales trees by weights at prediction time; gblinear has no trees.
  if (boosterName !== 'gbtree')
    fail('learner.gradient_booster.name', `${boosterName} is not supported`);
}

function parseTrees(learner: Json, featureCount: number): XgboostTree[] {
  const booster = object(learner.gradient_booster, 'learner.gradient_booster');
  const model = object(booster.model, 'learner.gradient_booster.model');
  const param = object(
    model.gbtree_model_param,
    'learner.gradient_booster.model.gbtree_model_param',
  );
  const treeCount = integerParam(param.num_trees, 'gbtree_model_param.num_trees', 1, TREES_MAX);
  if (!Array.isArray(model.trees) || model.trees.length !== treeCount) {
    fail('learner.gradient_booster.model.trees', `expected an array of ${treeCount} trees`);
  }
  // tree_info gives each tree's output group; a binary model has exactly one group, 0.
  const treeInfo = numbers(
    model.tree_info,
    'learner.gradient_booster.model.tree_info',
    treeCount,
    true,
  );
  if (treeInfo.some((group) => group !== 0)) fail('tree_info', 'more than one output group');
  const trees: XgboostTree[] = [];
  let nodesTotal = 0;
  for (let t = 0; t < treeCount; t++) {
    const tree = parseTree(model.trees[t], `trees[${t}]`, featureCount);
    nodesTotal += tree.nodeCount;
    if (nodesTotal > NODES_TOTAL_MAX) fail('trees', `more than ${NODES_TOTAL_MAX} nodes in total`);
    trees.push(tree);
  }
  return trees;
}

/** Parses an XGBoost JSON model (already JSON.parse'd). Throws ModelFormatError on any defect. */
export function parseXgboostModel(json: unknown): XgboostModel {
  const root = object(json, '(root)');
  const learner = object(root.learner, 'learner');
  checkLearnerShape(learner);
  const param = object(learner.learner_model_param, 'learner.learner_model_param');
  const featureCount = integerParam(
    param.num_feature,
    'learner_model_param.num_feature',
    1,
    FEATURES_MAX,
  );
  return {
    baseScore: parseBaseScore(param.base_score, 'learner.learner_model_param.base_score'),
    featureCount,
    featureNames: parseFeatureNames(learner.feature_names, featureCount),
    trees: parseTrees(learner, featureCount),
  };
}
