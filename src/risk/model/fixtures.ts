// Hand-built XGBoost 1.7 JSON models for tests that must not depend on an XGBoost install.
// Every value is chosen so expected margins and Saabas contributions can be worked out by hand
// (see gbt.test.ts); the shape is exactly what `save_model('x.json')` writes.

import type { TrainingInfo } from './model-file.ts';

export const HAND_BUILT_FEATURES = ['amount_log', 'tx_count_1h', 'drain_ratio'] as const;

export interface TreeSpec {
  left: number[];
  right: number[];
  feature: number[];
  condition: number[];
  defaultLeft: number[];
  hessian: number[];
  deleted?: number;
}

export function xgboostTree(id: number, spec: TreeSpec, featureCount = 3) {
  const n = spec.left.length;
  const parents = new Array<number>(n).fill(2147483647);
  spec.left.forEach((child, i) => {
    if (child >= 0) parents[child] = i;
  });
  spec.right.forEach((child, i) => {
    if (child >= 0) parents[child] = i;
  });
  return {
    base_weights: spec.condition.map((c, i) => (spec.left[i] === -1 ? c : 0)),
    categories: [],
    categories_nodes: [],
    categories_segments: [],
    categories_sizes: [],
    // Copies: tests mutate these to build malformed models, and the specs are shared.
    default_left: [...spec.defaultLeft],
    id,
    left_children: [...spec.left],
    loss_changes: spec.left.map(() => 0),
    parents,
    right_children: [...spec.right],
    split_conditions: [...spec.condition],
    split_indices: [...spec.feature],
    split_type: spec.left.map(() => 0),
    sum_hessian: [...spec.hessian],
    tree_param: {
      num_deleted: String(spec.deleted ?? 0),
      num_feature: String(featureCount),
      num_nodes: String(n),
      size_leaf_vector: '0',
    },
  };
}

/** Tree 0 is numbered breadth-first as XGBoost grows it. */
export const TREE_0: TreeSpec = {
  // root: amount_log < 0.1 (default left); node 2: tx_count_1h < 2.5 (default right)
  left: [1, -1, 3, -1, -1],
  right: [2, -1, 4, -1, -1],
  feature: [0, 0, 1, 0, 0],
  condition: [0.1, 0.5, 2.5, -0.25, 0.75],
  defaultLeft: [1, 0, 0, 0, 0],
  hessian: [10, 4, 6, 2, 4],
};

/** Tree 1 is numbered out of order on purpose: the compiler must not assume a layout. */
export const TREE_1: TreeSpec = {
  // root: drain_ratio < -1 (default right) -> left 3, right 1; node 1: amount_log < 5 (default left)
  left: [3, 4, -1, -1, -1],
  right: [1, 2, -1, -1, -1],
  feature: [2, 0, 0, 0, 0],
  condition: [-1, 5, 1.0, 0.125, -0.375],
  defaultLeft: [0, 1, 0, 0, 0],
  hessian: [10, 7, 3, 3, 4],
};

export function xgboostModel(
  trees: unknown[],
  options: { baseScore?: string; featureCount?: number } = {},
) {
  const featureCount = options.featureCount ?? 3;
  return {
    learner: {
      attributes: {},
      feature_names: featureCount === 3 ? [...HAND_BUILT_FEATURES] : [],
      feature_types: [],
      gradient_booster: {
        model: {
          gbtree_model_param: {
            num_parallel_tree: '1',
            num_trees: String(trees.length),
            size_leaf_vector: '0',
          },
          tree_info: trees.map(() => 0),
          trees,
        },
        name: 'gbtree',
      },
      learner_model_param: {
        base_score: options.baseScore ?? '5E-1',
        boost_from_average: '1',
        num_class: '0',
        num_feature: String(featureCount),
        num_target: '1',
      },
      objective: { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } },
    },
    version: [1, 7, 4],
  };
}

/** The two-tree model the hand-worked examples in the tests use. */
export function handBuiltModel(baseScore = '5E-1') {
  return xgboostModel([xgboostTree(0, TREE_0), xgboostTree(1, TREE_1)], { baseScore });
}

export const HAND_BUILT_TRAINING: TrainingInfo = {
  trainer: 'hand-built fixture',
  xgboostVersion: '1.7.4',
  rows: 0,
  positives: 0,
  validationRows: 0,
  seed: 0,
  params: {},
  rounds: 2,
  bestIteration: 1,
  metrics: {},
  dataSha256: '',
};
