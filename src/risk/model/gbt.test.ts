// The in-process scorer on hand-built models whose answers are worked out by hand, and the
// refusal of malformed models. Runs without XGBoost; train.test.ts checks against the library.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModelFormatError } from './errors.ts';
import {
  HAND_BUILT_FEATURES,
  handBuiltModel,
  TREE_0,
  TREE_1,
  type TreeSpec,
  xgboostModel,
  xgboostTree,
} from './fixtures.ts';
import {
  compileGbt,
  explainMargin,
  scoreMargin,
  scoreProbability,
  scoreWithReasons,
  topReasons,
} from './gbt.ts';
import { TREE_DEPTH_MAX, TREES_MAX } from './limits.ts';

const schema = { featureNames: [...HAND_BUILT_FEATURES] };
const close = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${actual} is not within ${tolerance} of ${expected}`,
  );

describe('scoring a hand-built model', () => {
  const model = compileGbt(handBuiltModel(), schema);

  test('follows thresholds, default directions and out-of-order node numbering', () => {
    // [features, tree 0 leaf + tree 1 leaf]
    const cases: [number[], number][] = [
      [[0.2, 3, 0], 0.75 + -0.375],
      [[0.09, 0, 0], 0.5 + -0.375],
      [[6, 0, -2], -0.25 + 0.125],
      [[6, 1, 7], -0.25 + 1.0],
      // All missing: tree 0 root defaults left (0.5); tree 1 root defaults right, node 1 left (-0.375).
      [[Number.NaN, Number.NaN, Number.NaN], 0.5 + -0.375],
      // Missing at a default-right node of tree 0 and the default-left node of tree 1.
      [[Number.NaN, Number.NaN, 0], 0.5 + -0.375],
      [[0.2, Number.NaN, 0], 0.75 + -0.375],
    ];
    for (const [features, margin] of cases) {
      assert.equal(
        scoreMargin(model, Float64Array.from(features)),
        margin,
        `margin of ${features}`,
      );
      assert.equal(scoreMargin(model, features), margin, `margin of ${features} as number[]`);
      close(scoreProbability(model, features), 1 / (1 + Math.exp(-margin)));
    }
  });

  test('compares in float32 as XGBoost does: a value equal to the threshold goes right', () => {
    // The stored threshold is float32(0.1) > 0.1, so a float64 comparison would send 0.1 left.
    assert.equal(scoreMargin(model, [0.1, 2.5, -1]), 0.75 + -0.375);
    // A double just below the threshold that rounds to it in float32 also goes right.
    assert.equal(scoreMargin(model, [Math.fround(0.1) - 1e-12, 3, 0]), 0.75 + -0.375);
    assert.equal(scoreMargin(model, [Math.fround(0.1) - 1e-8, 3, 0]), 0.5 + -0.375);
  });

  test('reads base_score in the old string and the new array-string form', () => {
    const margin = Math.log(0.25 / 0.75);
    for (const baseScore of ['2.5E-1', '[2.5E-1]']) {
      const shifted = compileGbt(handBuiltModel(baseScore), schema);
      close(shifted.baseMargin, margin, 1e-7);
      close(scoreMargin(shifted, [0.2, 3, 0]), margin + 0.375, 1e-6);
    }
  });

  test('Saabas contributions match the hand computation and sum to the margin', () => {
    // Node means: tree 0 root 0.45, node 2 (2.5 / 6); tree 1 root 0.1875, node 1 (1.5 / 7).
    close(model.bias, 0.45 + 0.1875);
    const contributions = new Float64Array(3);
    const margin = explainMargin(model, [0.2, 3, 0], contributions);
    assert.equal(margin, 0.375);
    close(contributions[0], 2.5 / 6 - 0.45 + (-0.375 - 1.5 / 7));
    close(contributions[1], 0.75 - 2.5 / 6);
    close(contributions[2], 1.5 / 7 - 0.1875);
    close(model.bias + contributions.reduce((sum, c) => sum + c, 0), margin);
  });

  test('reasons list the largest contributions first with names and values', () => {
    const { probability, margin, reasons } = scoreWithReasons(model, [0.2, 3, 0], 2);
    assert.equal(margin, 0.375);
    close(probability, 1 / (1 + Math.exp(-0.375)));
    assert.deepEqual(
      reasons.map((r) => [r.featureName, r.value]),
      [
        ['amount_log', 0.2],
        ['tx_count_1h', 3],
      ],
    );
    assert.ok(reasons[0].contribution < 0 && reasons[1].contribution > 0);
    assert.deepEqual(
      topReasons(model, [0, 0, 0], new Float64Array(3), 3),
      [],
      'zero contributions are no reason',
    );
  });

  test('refuses a feature vector of the wrong length', () => {
    assert.throws(() => scoreMargin(model, [1, 2]), RangeError);
    assert.throws(() => explainMargin(model, [1, 2, 3], new Float64Array(2)), RangeError);
  });
});

describe('compiling', () => {
  test('accepts pruned nodes that XGBoost counts as deleted', () => {
    const withDeleted: TreeSpec = {
      left: [1, -1, -1, -1],
      right: [2, -1, -1, -1],
      feature: [0, 0, 0, 0],
      condition: [0.5, 1, 2, 99],
      defaultLeft: [0, 0, 0, 0],
      hessian: [2, 1, 1, 0],
      deleted: 1,
    };
    const model = compileGbt(xgboostModel([xgboostTree(0, withDeleted)]), schema);
    assert.equal(model.nodeCount, 3);
    assert.equal(scoreMargin(model, [0, 0, 0]), 1);
    assert.equal(scoreMargin(model, [0.5, 0, 0]), 2);
  });

  test('scores trees of different depths and counts that are not a multiple of the group size', () => {
    const stump: TreeSpec = {
      left: [-1],
      right: [-1],
      feature: [0],
      condition: [0.0625],
      defaultLeft: [0],
      hessian: [1],
    };
    const trees = [
      xgboostTree(0, TREE_0),
      xgboostTree(1, stump),
      xgboostTree(2, TREE_1),
      xgboostTree(3, TREE_0),
      xgboostTree(4, TREE_1),
    ];
    const model = compileGbt(xgboostModel(trees), schema);
    assert.equal(scoreMargin(model, [0.2, 3, 0]), 0.75 + 0.0625 - 0.375 + 0.75 - 0.375);
    const contributions = new Float64Array(3);
    const margin = explainMargin(model, [6, 0, -2], contributions);
    assert.equal(margin, scoreMargin(model, [6, 0, -2]));
    close(model.bias + contributions.reduce((sum, c) => sum + c, 0), margin);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: the refusal tests reach into raw JSON to break it.
type Json = Record<string, any>;

function mutated(change: (model: Json, trees: Json[]) => void): unknown {
  const model = handBuiltModel() as Json;
  change(model, model.learner.gradient_booster.model.trees);
  return model;
}

/** A chain of `depth` splits, each with a leaf on the left, so the tree is `depth` deep. */
function chainTree(depth: number): TreeSpec {
  const spec: TreeSpec = {
    left: [],
    right: [],
    feature: [],
    condition: [],
    defaultLeft: [],
    hessian: [],
  };
  for (let level = 0; level < depth; level++) {
    const node = 2 * level;
    spec.left[node] = node + 1;
    spec.right[node] = node + 2;
    spec.left[node + 1] = -1;
    spec.right[node + 1] = -1;
    spec.hessian[node] = depth - level + 1;
    spec.hessian[node + 1] = 1;
  }
  spec.left[2 * depth] = -1;
  spec.right[2 * depth] = -1;
  spec.hessian[2 * depth] = 1;
  for (let i = 0; i <= 2 * depth; i++) {
    spec.feature[i] = 0;
    spec.condition[i] = i;
    spec.defaultLeft[i] = 0;
  }
  return spec;
}

describe('refusing malformed models', () => {
  const cases: [string, unknown, RegExp, string[]?][] = [
    ['not an object', [], /not an object/],
    ['no learner', {}, /learner: not an object/],
    [
      'another objective',
      mutated((m) => (m.learner.objective.name = 'binary:logitraw')),
      /binary:logitraw is not supported/,
    ],
    [
      'dart booster',
      mutated((m) => (m.learner.gradient_booster.name = 'dart')),
      /dart is not supported/,
    ],
    [
      'multi-class',
      mutated((m) => (m.learner.learner_model_param.num_class = '3')),
      /num_class: 3 outside/,
    ],
    [
      'feature count differs from the schema',
      handBuiltModel(),
      /num_feature: 3, schema has 4/,
      [...HAND_BUILT_FEATURES, 'night'],
    ],
    [
      'num_feature disagrees with the names',
      mutated((m) => (m.learner.learner_model_param.num_feature = '4')),
      /feature_names: length 3, expected 4/,
    ],
    [
      'feature names differ from the schema',
      handBuiltModel(),
      /feature_names\[1\]: "tx_count_1h", schema has "tx_count_24h"/,
      ['amount_log', 'tx_count_24h', 'drain_ratio'],
    ],
    [
      'base_score not a number',
      mutated((m) => (m.learner.learner_model_param.base_score = 'abc')),
      /base_score: not a single number/,
    ],
    [
      'base_score not a probability',
      mutated((m) => (m.learner.learner_model_param.base_score = '1')),
      /not a probability/,
    ],
    [
      'base_score with two targets',
      mutated((m) => (m.learner.learner_model_param.base_score = '[5E-1,5E-1]')),
      /not a single number/,
    ],
    [
      'tree count differs from num_trees',
      mutated((m) => (m.learner.gradient_booster.model.gbtree_model_param.num_trees = '3')),
      /expected an array of 3 trees/,
    ],
    [
      'too many trees',
      mutated(
        (m) =>
          (m.learner.gradient_booster.model.gbtree_model_param.num_trees = String(TREES_MAX + 1)),
      ),
      /num_trees: 10001 outside/,
    ],
    [
      'a second output group',
      mutated((m) => (m.learner.gradient_booster.model.tree_info = [0, 1])),
      /more than one output group/,
    ],
    [
      'array length differs from num_nodes',
      mutated((_, t) => t[0].right_children.pop()),
      /trees\[0\].right_children: length 4, expected 5/,
    ],
    [
      'child index out of range',
      mutated((_, t) => (t[0].right_children[2] = 9)),
      /trees\[0\]\[2\]: child 9 out of range/,
    ],
    [
      'a cycle back to the root',
      mutated((_, t) => (t[0].left_children[2] = 0)),
      /child 0 out of range/,
    ],
    [
      'a node with two parents',
      mutated((_, t) => (t[1].left_children[1] = 3)),
      /node 3 has two parents/,
    ],
    [
      'split feature out of range',
      mutated((_, t) => (t[0].split_indices[2] = 3)),
      /split feature 3 out of range/,
    ],
    [
      'vector leaves (multi-target)',
      mutated((_, t) => (t[0].tree_param.size_leaf_vector = '2')),
      /size_leaf_vector: 2 outside \[0, 1\]/,
    ],
    [
      'categorical split',
      mutated((_, t) => (t[0].split_type[0] = 1)),
      /categorical splits are not supported/,
    ],
    [
      'non-numeric threshold',
      mutated((_, t) => (t[0].split_conditions[0] = 'nan')),
      /split_conditions\[0\]: not a finite number/,
    ],
    [
      'non-integer child',
      mutated((_, t) => (t[0].left_children[0] = 1.5)),
      /left_children\[0\]: not an integer/,
    ],
    [
      'leaf with one child',
      mutated((_, t) => (t[0].right_children[1] = 3)),
      /leaf with a right child|two parents/,
    ],
    [
      'internal node without cover',
      mutated((_, t) => (t[0].sum_hessian[2] = 0)),
      /internal node without cover/,
    ],
    [
      'unreachable node not counted as deleted',
      mutated((_, t) => {
        for (const key of ['left_children', 'right_children']) t[0][key].push(-1);
        for (const key of [
          'split_indices',
          'split_conditions',
          'default_left',
          'split_type',
          'sum_hessian',
        ])
          t[0][key].push(0);
        t[0].tree_param.num_nodes = '6';
      }),
      /5 reachable nodes, expected 6 - 0 deleted/,
    ],
    [
      'deeper than the limit',
      xgboostModel([xgboostTree(0, chainTree(TREE_DEPTH_MAX + 1))]),
      /deeper than 64/,
    ],
  ];
  for (const [name, json, message, names] of cases) {
    test(name, () => {
      assert.throws(
        () => compileGbt(json, { featureNames: names ?? [...HAND_BUILT_FEATURES] }),
        (error: unknown) => error instanceof ModelFormatError && message.test(error.message),
      );
    });
  }

  test('the unmutated fixture compiles, so each refusal above is due to its mutation', () => {
    assert.equal(
      compileGbt(
        mutated(() => {}),
        schema,
      ).treeCount,
      2,
    );
    assert.equal(
      compileGbt(xgboostModel([xgboostTree(0, chainTree(TREE_DEPTH_MAX))]), schema).treeCount,
      1,
    );
  });
});
