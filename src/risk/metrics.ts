// Ranking and operating-point metrics for fraud scores: ROC-AUC, PR-AUC (average precision),
// and thresholds chosen from a friction budget (the share of legitimate transactions a band may
// touch), as the reference doc advises: thresholds from alert capacity, never from 0.5.

/** ROC-AUC by the rank-sum (Mann–Whitney) formula, ties counted half. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = sortedIndices(scores, 'ascending');
  let positives = 0;
  let rankSumPositives = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) {
        positives += 1;
        rankSumPositives += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Average precision (the step-wise PR-AUC scikit-learn reports), ties as one threshold. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = sortedIndices(scores, 'descending');
  let total = 0;
  for (let i = 0; i < labels.length; i++) total += labels[i];
  if (total === 0) return Number.NaN;
  let truePositives = 0;
  let seen = 0;
  let previousRecall = 0;
  let area = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let k = i; k <= j; k++) truePositives += labels[order[k]];
    seen += j - i + 1;
    const recall = truePositives / total;
    area += (recall - previousRecall) * (truePositives / seen);
    previousRecall = recall;
    i = j + 1;
  }
  return area;
}

function sortedIndices(scores: ArrayLike<number>, direction: 'ascending' | 'descending') {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  const sign = direction === 'ascending' ? 1 : -1;
  order.sort((a, b) => sign * (scores[a] - scores[b]));
  return order;
}

/**
 * The lowest threshold at which at most `budget` (a fraction) of the legitimate scores are at or
 * above it: a midpoint between two observed scores, so the count is exact on the data it came from.
 */
export function thresholdForFriction(legitScores: ArrayLike<number>, budget: number): number {
  const sorted = Float64Array.from(legitScores).sort().reverse();
  const allowed = Math.floor(budget * sorted.length);
  if (sorted.length === 0) return 1;
  if (allowed >= sorted.length) return sorted[sorted.length - 1];
  if (allowed === 0) return Math.min(1, sorted[0] + (1 - sorted[0]) / 2);
  return (sorted[allowed] + sorted[allowed - 1]) / 2;
}

export interface OperatingPoint {
  readonly flagged: number;
  readonly precision: number;
  readonly recall: number;
  readonly recallByValue: number;
  /** Share of legitimate transactions flagged. */
  readonly legitFrictionRate: number;
}

/** Precision, recall (by count and by value) and friction for a set of flags. */
export function operatingPoint(
  flagged: ArrayLike<number>,
  labels: ArrayLike<number>,
  values: ArrayLike<number>,
): OperatingPoint {
  let truePositives = 0;
  let flaggedCount = 0;
  let positives = 0;
  let legit = 0;
  let legitFlagged = 0;
  let value = 0;
  let valueCaught = 0;
  for (let i = 0; i < labels.length; i++) {
    const isFlagged = flagged[i] === 1;
    flaggedCount += isFlagged ? 1 : 0;
    if (labels[i] === 1) {
      positives += 1;
      value += values[i];
      if (isFlagged) {
        truePositives += 1;
        valueCaught += values[i];
      }
    } else {
      legit += 1;
      if (isFlagged) legitFlagged += 1;
    }
  }
  return {
    flagged: flaggedCount,
    precision: flaggedCount === 0 ? Number.NaN : truePositives / flaggedCount,
    recall: positives === 0 ? Number.NaN : truePositives / positives,
    recallByValue: value === 0 ? Number.NaN : valueCaught / value,
    legitFrictionRate: legit === 0 ? Number.NaN : legitFlagged / legit,
  };
}
