// In-process scoring of XGBoost gradient-boosted trees (binary:logistic) over typed arrays.
//
// Written here rather than taken from a library: the npm options are slow or unmaintained
// (reference doc B1/B2), and the hot path is a short loop that must not allocate. gbt-compile.ts
// explains the table layout.
//
// Semantics follow XGBoost's CPU predictor: a value goes left when `float32(value) < threshold`,
// NaN takes the node's default direction, and the margin is logit(base_score) + Σ leaf values,
// summed in float32 in tree order exactly as XGBoost does, so margins are bit-identical to the
// library's (checked by the golden test) at the cost of one Math.fround per tree.
//
// Speed: a walk is a chain of dependent loads, and a mispredicted branch at every node stops the
// CPU from overlapping trees. So the scorer walks four trees side by side, a fixed number of steps
// per group, choosing children with integer arithmetic on comparison bits instead of branches:
// about 2× faster than a branching loop on a 2-core VM (bench.ts measures both in the same run).
//
// Explanations are XGBoost's "approx" (Saabas) contributions: walking the path, each split's
// feature is credited with the change in the node's cover-weighted mean value.

import { REASONS_MAX } from './limits.ts';

export { compileGbt, TREES_PER_GROUP } from './gbt-compile.ts';

export interface GbtModel {
  readonly featureNames: readonly string[];
  readonly featureCount: number;
  readonly treeCount: number;
  /** Nodes of the real trees; the tables hold one more, the shared padding leaf. */
  readonly nodeCount: number;
  /** logit(base_score) in float32: the margin before any tree. */
  readonly baseMargin: number;
  /** baseMargin + Σ root mean values: the "expected value" that contributions explain away from. */
  readonly bias: number;
  /** Root of each tree, padded to a multiple of TREES_PER_GROUP with the zero-valued padding leaf. */
  readonly roots: Int32Array;
  /** Steps to walk each group of TREES_PER_GROUP trees: the depth of its deepest tree. */
  readonly groupDepth: Int32Array;
  /** Internal node: `featureIndex << 1 | defaultLeft`. Leaf: LEAF_SPLIT. */
  readonly split: Int32Array;
  /** Left child of an internal node (its right child is `left + 1`); a leaf points to itself. */
  readonly left: Int32Array;
  /** Split threshold in float32, as XGBoost compares; NaN at a leaf. */
  readonly threshold: Float32Array;
  /** Leaf value; 0 at an internal node. */
  readonly leafValue: Float32Array;
  /** Cover-weighted mean of the leaves under each node (XGBoost's FillNodeMeanValues). */
  readonly mean: Float64Array;
}

export interface FeatureReason {
  readonly featureIndex: number;
  readonly featureName: string;
  /** The input value (NaN when missing). */
  readonly value: number;
  /** Margin (log-odds) this feature added; positive pushes towards fraud. */
  readonly contribution: number;
}

export interface ScoreWithReasons {
  readonly probability: number;
  readonly margin: number;
  readonly reasons: readonly FeatureReason[];
}

/** The feature schema a model must have been trained for, in column order. */
export interface GbtSchema {
  readonly featureNames: readonly string[];
}

function checkLength(model: GbtModel, features: ArrayLike<number>): void {
  // A vector of the wrong length is a caller bug (a feature added without retraining): stop.
  if (features.length !== model.featureCount) {
    throw new RangeError(
      `feature vector has ${features.length} values, model expects ${model.featureCount}`,
    );
  }
}

/** A comparison as 0 or 1. TurboFan keeps `bool | int` arithmetic branch-free (a flag set). */
function bit(condition: boolean): number {
  return condition as unknown as number;
}

/** One step of a walk: the child `features` leads to, or the same node at a leaf. Branch-free. */
function step(
  node: number,
  split: Int32Array,
  left: Int32Array,
  threshold: Float32Array,
  features: ArrayLike<number>,
): number {
  const packed = split[node];
  const x = features[packed >> 1];
  // Right when float32(x) >= threshold. NaN fails every comparison, so it goes right only through
  // the second term, when the default is right (low bit 0). A leaf's NaN threshold and default-left
  // bit keep it where it is.
  return left[node] + (bit(Math.fround(x) >= threshold[node]) | (bit(Number.isNaN(x)) & ~packed));
}

/** step() that also credits the split's feature with the change in node mean (0 at a leaf). */
function explainStep(
  node: number,
  split: Int32Array,
  left: Int32Array,
  threshold: Float32Array,
  mean: Float64Array,
  features: ArrayLike<number>,
  contributionsOut: Float64Array,
): number {
  const next = step(node, split, left, threshold, features);
  contributionsOut[split[node] >> 1] += mean[next] - mean[node];
  return next;
}

/** The raw margin (log-odds). Allocation-free; prefer a Float64Array for monomorphic speed. */
export function scoreMargin(model: GbtModel, features: ArrayLike<number>): number {
  checkLength(model, features);
  const { roots, groupDepth, split, left, threshold, leafValue } = model;
  let margin = model.baseMargin;
  // Four walkers a–d: TREES_PER_GROUP, unrolled by hand so they stay in registers.
  for (let g = 0, r = 0; g < groupDepth.length; g++, r += 4) {
    let a = roots[r];
    let b = roots[r + 1];
    let c = roots[r + 2];
    let d = roots[r + 3];
    for (let steps = groupDepth[g]; steps > 0; steps--) {
      a = step(a, split, left, threshold, features);
      b = step(b, split, left, threshold, features);
      c = step(c, split, left, threshold, features);
      d = step(d, split, left, threshold, features);
    }
    // One float32 addition per tree, in tree order: XGBoost's own rounding.
    margin = Math.fround(margin + leafValue[a]);
    margin = Math.fround(margin + leafValue[b]);
    margin = Math.fround(margin + leafValue[c]);
    margin = Math.fround(margin + leafValue[d]);
  }
  return margin;
}

export function sigmoid(margin: number): number {
  return 1 / (1 + Math.exp(-margin));
}

/** Fraud probability, as XGBoost's `predict` returns for binary:logistic. Allocation-free. */
export function scoreProbability(model: GbtModel, features: ArrayLike<number>): number {
  return sigmoid(scoreMargin(model, features));
}

/**
 * Saabas contributions: fills `contributionsOut` (length featureCount) so that
 * model.bias + Σ contributionsOut = the returned margin. Allocation-free; about twice the cost of
 * scoreMargin. Equals XGBoost's `predict(pred_contribs=True, approx_contribs=True)`.
 */
export function explainMargin(
  model: GbtModel,
  features: ArrayLike<number>,
  contributionsOut: Float64Array,
): number {
  checkLength(model, features);
  if (contributionsOut.length !== model.featureCount) {
    throw new RangeError(
      `contributions buffer has ${contributionsOut.length} slots, need ${model.featureCount}`,
    );
  }
  contributionsOut.fill(0);
  const { roots, groupDepth, split, left, threshold, leafValue, mean } = model;
  const out = contributionsOut;
  let margin = model.baseMargin;
  for (let g = 0, r = 0; g < groupDepth.length; g++, r += 4) {
    let a = roots[r];
    let b = roots[r + 1];
    let c = roots[r + 2];
    let d = roots[r + 3];
    for (let steps = groupDepth[g]; steps > 0; steps--) {
      a = explainStep(a, split, left, threshold, mean, features, out);
      b = explainStep(b, split, left, threshold, mean, features, out);
      c = explainStep(c, split, left, threshold, mean, features, out);
      d = explainStep(d, split, left, threshold, mean, features, out);
    }
    margin = Math.fround(margin + leafValue[a]);
    margin = Math.fround(margin + leafValue[b]);
    margin = Math.fround(margin + leafValue[c]);
    margin = Math.fround(margin + leafValue[d]);
  }
  return margin;
}

/** The `count` features with the largest |contribution|, largest first; zero contributions skipped. */
export function topReasons(
  model: GbtModel,
  features: ArrayLike<number>,
  contributions: Float64Array,
  count: number,
): FeatureReason[] {
  const limit = Math.min(Math.max(0, Math.floor(count)), REASONS_MAX, model.featureCount);
  const reasons: FeatureReason[] = [];
  const taken = new Uint8Array(model.featureCount);
  // Selection rather than a full sort: count is small and the schema may be wide.
  while (reasons.length < limit) {
    let best = -1;
    for (let j = 0; j < contributions.length; j++) {
      if (taken[j] === 1 || contributions[j] === 0) continue;
      if (best < 0 || Math.abs(contributions[j]) > Math.abs(contributions[best])) best = j;
    }
    if (best < 0) break;
    taken[best] = 1;
    reasons.push({
      featureIndex: best,
      featureName: model.featureNames[best],
      value: features[best],
      contribution: contributions[best],
    });
  }
  return reasons;
}

/** Probability plus the top `reasonCount` features behind it, for the decision's audit record. */
export function scoreWithReasons(
  model: GbtModel,
  features: ArrayLike<number>,
  reasonCount: number,
): ScoreWithReasons {
  const contributions = new Float64Array(model.featureCount);
  const margin = explainMargin(model, features, contributions);
  return {
    probability: sigmoid(margin),
    margin,
    reasons: topReasons(model, features, contributions, reasonCount),
  };
}
