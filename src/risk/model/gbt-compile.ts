// Compiles a parsed XGBoost model into the flat tables gbt.ts walks, checking the tree structure.
//
// Layout, chosen for the scoring loop in gbt.ts:
// - Trees are renumbered breadth-first, so a node's right child is always `left + 1`.
// - An internal node packs its feature and missing-value direction into one Int32
//   (`feature << 1 | defaultLeft`).
// - A leaf points to itself with a NaN threshold, so extra steps at a leaf stay put. That lets the
//   scorer walk every tree of a group for the same number of steps without a leaf test.
// - Roots are padded to a multiple of TREES_PER_GROUP with one shared zero-valued leaf.

import { ModelFormatError } from './errors.ts';
import type { GbtModel, GbtSchema } from './gbt.ts';
import { FEATURES_MAX, TREE_DEPTH_MAX } from './limits.ts';
import { parseXgboostModel, type XgboostModel, type XgboostTree } from './xgboost-json.ts';

/** Trees walked side by side in the scoring loop (see gbt.ts); 4 fits x64's registers. */
export const TREES_PER_GROUP = 4;
/** `split` of a leaf: feature 0, default left. With a NaN threshold every step stays on the leaf. */
export const LEAF_SPLIT = 1;

interface Tables {
  split: Int32Array;
  left: Int32Array;
  threshold: Float32Array;
  leafValue: Float32Array;
  mean: Float64Array;
  hessian: Float64Array;
  depth: Int32Array;
}

function fail(path: string, message: string): never {
  throw new ModelFormatError(`xgboost model ${path}: ${message}`);
}

/** Internal node: claims its children for the breadth-first order. Returns the new queue length. */
function placeChildren(
  tree: XgboostTree,
  path: string,
  oldIndex: number,
  placed: Uint8Array,
  order: Int32Array,
  queued: number,
): number {
  const leftOld = tree.leftChildren[oldIndex];
  const rightOld = tree.rightChildren[oldIndex];
  if (leftOld === rightOld) fail(`${path}[${oldIndex}]`, 'left and right child are the same node');
  for (const child of [leftOld, rightOld]) {
    // A node placed twice would make a DAG or a cycle; the root is never anyone's child.
    if (child < 1 || child >= tree.nodeCount)
      fail(`${path}[${oldIndex}]`, `child ${child} out of range`);
    if (placed[child] === 1) fail(`${path}[${oldIndex}]`, `node ${child} has two parents`);
    placed[child] = 1;
  }
  order[queued] = leftOld;
  order[queued + 1] = rightOld;
  return queued + 2;
}

function placeLeaf(tables: Tables, at: number, value: number): void {
  tables.split[at] = LEAF_SPLIT;
  tables.left[at] = at;
  tables.threshold[at] = Number.NaN;
  tables.leafValue[at] = value;
}

/** Copies one tree into the tables at `base`, breadth-first. Returns nodes written and depth. */
function flattenTree(
  tree: XgboostTree,
  path: string,
  featureCount: number,
  tables: Tables,
  base: number,
): { count: number; depth: number } {
  const placed = new Uint8Array(tree.nodeCount);
  const order = new Int32Array(tree.nodeCount);
  placed[0] = 1;
  let queued = 1;
  let treeDepth = 0;
  for (let q = 0; q < queued; q++) {
    const old = order[q];
    const at = base + q;
    tables.hessian[at] = tree.sumHessian[old];
    treeDepth = Math.max(treeDepth, tables.depth[at]);
    if (tree.leftChildren[old] === -1) {
      if (tree.rightChildren[old] !== -1) fail(`${path}[${old}]`, 'leaf with a right child');
      placeLeaf(tables, at, tree.splitConditions[old]);
      continue;
    }
    const feature = tree.splitIndices[old];
    if (feature < 0 || feature >= featureCount)
      fail(`${path}[${old}]`, `split feature ${feature} out of range`);
    if (!(tree.sumHessian[old] > 0)) fail(`${path}[${old}]`, 'internal node without cover');
    if (tables.depth[at] >= TREE_DEPTH_MAX)
      fail(`${path}[${old}]`, `deeper than ${TREE_DEPTH_MAX}`);
    tables.split[at] = (feature << 1) | (tree.defaultLeft[old] === 0 ? 0 : 1);
    tables.left[at] = base + queued;
    tables.threshold[at] = tree.splitConditions[old];
    queued = placeChildren(tree, path, old, placed, order, queued);
    tables.depth[base + queued - 2] = tables.depth[at] + 1;
    tables.depth[base + queued - 1] = tables.depth[at] + 1;
  }
  // XGBoost keeps pruned nodes in the arrays and counts them in num_deleted; anything else that is
  // unreachable means the file is not the tree it claims to be.
  if (queued !== tree.nodeCount - tree.deletedCount) {
    fail(
      path,
      `${queued} reachable nodes, expected ${tree.nodeCount} - ${tree.deletedCount} deleted`,
    );
  }
  return { count: queued, depth: treeDepth };
}

/**
 * Cover-weighted node means, bottom-up (children follow parents in breadth-first order), exactly as
 * XGBoost's FillNodeMeanValues. Returns the root's mean.
 */
function fillMeans(tables: Tables, base: number, count: number): number {
  for (let at = base + count - 1; at >= base; at--) {
    const l = tables.left[at];
    if (l === at) {
      tables.mean[at] = tables.leafValue[at];
      continue;
    }
    const weighted =
      tables.mean[l] * tables.hessian[l] + tables.mean[l + 1] * tables.hessian[l + 1];
    tables.mean[at] = weighted / tables.hessian[at];
  }
  return tables.mean[base];
}

function checkFeatureNames(parsed: XgboostModel, schema: GbtSchema): void {
  const expected = schema.featureNames;
  if (expected.length === 0 || expected.length > FEATURES_MAX) {
    fail('schema', `feature count ${expected.length} outside [1, ${FEATURES_MAX}]`);
  }
  if (parsed.featureCount !== expected.length) {
    fail(
      'learner_model_param.num_feature',
      `${parsed.featureCount}, schema has ${expected.length} features`,
    );
  }
  const names = parsed.featureNames;
  if (names === undefined) return;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== expected[i]) {
      fail(
        `learner.feature_names[${i}]`,
        `${JSON.stringify(names[i])}, schema has ${JSON.stringify(expected[i])}`,
      );
    }
  }
}

/**
 * logit(base_score) step by step in float32, as XGBoost's ProbToMargin computes it
 * (`-logf(1.0f / base_score - 1.0f)`), so the starting margin carries the library's rounding.
 */
function baseMarginOf(baseScore: number): number {
  const score = Math.fround(baseScore);
  return -Math.fround(Math.log(Math.fround(Math.fround(1 / score) - 1)));
}

function allocateTables(nodeCapacity: number): Tables {
  return {
    split: new Int32Array(nodeCapacity),
    left: new Int32Array(nodeCapacity),
    threshold: new Float32Array(nodeCapacity),
    leafValue: new Float32Array(nodeCapacity),
    mean: new Float64Array(nodeCapacity),
    hessian: new Float64Array(nodeCapacity),
    depth: new Int32Array(nodeCapacity),
  };
}

/** Root per tree padded with `padLeaf`, and per group of TREES_PER_GROUP the deepest tree's depth. */
function groupRoots(roots: Int32Array, depths: Int32Array, padLeaf: number) {
  const groupCount = Math.ceil(roots.length / TREES_PER_GROUP);
  const padded = new Int32Array(groupCount * TREES_PER_GROUP).fill(padLeaf);
  padded.set(roots);
  const groupDepth = new Int32Array(groupCount);
  for (let t = 0; t < roots.length; t++) {
    const g = Math.floor(t / TREES_PER_GROUP);
    groupDepth[g] = Math.max(groupDepth[g], depths[t]);
  }
  return { padded, groupDepth };
}

/**
 * Validates an XGBoost JSON model against the feature schema and compiles it for scoring.
 * Throws ModelFormatError on any defect: wrong lengths, indices out of range, cycles, unsupported
 * objective or split type, feature count or names that differ from the schema.
 */
export function compileGbt(xgboostJson: unknown, schema: GbtSchema): GbtModel {
  const parsed = parseXgboostModel(xgboostJson);
  checkFeatureNames(parsed, schema);
  let capacity = 1; // the shared padding leaf
  for (const tree of parsed.trees) capacity += tree.nodeCount;
  const tables = allocateTables(capacity);
  const roots = new Int32Array(parsed.trees.length);
  const depths = new Int32Array(parsed.trees.length);
  const baseMargin = baseMarginOf(parsed.baseScore);
  let bias = baseMargin;
  let nodeCount = 0;
  for (let t = 0; t < parsed.trees.length; t++) {
    roots[t] = nodeCount;
    const tree = flattenTree(
      parsed.trees[t],
      `trees[${t}]`,
      parsed.featureCount,
      tables,
      nodeCount,
    );
    depths[t] = tree.depth;
    bias += fillMeans(tables, nodeCount, tree.count);
    nodeCount += tree.count;
  }
  placeLeaf(tables, nodeCount, 0);
  const { padded, groupDepth } = groupRoots(roots, depths, nodeCount);
  const used = nodeCount + 1;
  return {
    featureNames: [...schema.featureNames],
    featureCount: parsed.featureCount,
    treeCount: parsed.trees.length,
    nodeCount,
    baseMargin,
    bias,
    roots: padded,
    groupDepth,
    split: tables.split.slice(0, used),
    left: tables.left.slice(0, used),
    threshold: tables.threshold.slice(0, used),
    leafValue: tables.leafValue.slice(0, used),
    mean: tables.mean.slice(0, used),
  };
}
