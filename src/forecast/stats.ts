// Small robust statistics and a ridge least-squares solver. Written here rather than pulled from a
// library: the forecaster needs a dozen lines of each, on arrays of a few thousand numbers, and
// the statistics libraries on npm bring far more than that.

/** Linear-interpolated quantile (type 7, like numpy's default) of finite values; NaN if none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = finiteSorted(values);
  if (sorted.length === 0) return Number.NaN;
  const position = Math.min(Math.max(q, 0), 1) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/** Mean after dropping `trimFraction` of the finite values from each end; NaN if none. */
export function trimmedMean(values: ArrayLike<number>, trimFraction: number): number {
  const sorted = finiteSorted(values);
  if (sorted.length === 0) return Number.NaN;
  const drop = Math.min(Math.floor(sorted.length * trimFraction), (sorted.length - 1) >> 1);
  let sum = 0;
  for (let i = drop; i < sorted.length - drop; i += 1) sum += sorted[i];
  return sum / (sorted.length - 2 * drop);
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i += 1) {
    if (Number.isFinite(values[i])) {
      sum += values[i];
      count += 1;
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

/** Median absolute deviation scaled to estimate a normal standard deviation. */
export function robustSd(values: ArrayLike<number>): number {
  const center = median(values);
  const deviations: number[] = [];
  for (let i = 0; i < values.length; i += 1) {
    if (Number.isFinite(values[i])) deviations.push(Math.abs(values[i] - center));
  }
  return 1.4826 * median(deviations);
}

function finiteSorted(values: ArrayLike<number>): Float64Array {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i += 1) if (Number.isFinite(values[i])) finite.push(values[i]);
  return Float64Array.from(finite).sort();
}

export interface RegressionProblem {
  /** One row of features per observation. */
  rows: readonly Float64Array[];
  targets: ArrayLike<number>;
  weights: ArrayLike<number>;
  /** Ridge penalty per coefficient (0 leaves it unpenalised). */
  penalties: ArrayLike<number>;
}

/** Weighted ridge least squares: minimise Σ w (y − x·β)² + Σ λ β². */
export function ridgeRegression(problem: RegressionProblem): Float64Array {
  const { rows, targets, weights, penalties } = problem;
  const width = penalties.length;
  const gram = new Float64Array(width * width);
  const moment = new Float64Array(width);
  for (let r = 0; r < rows.length; r += 1) {
    const row = rows[r];
    const w = weights[r];
    if (w <= 0) continue;
    for (let i = 0; i < width; i += 1) {
      if (row[i] === 0) continue;
      moment[i] += w * row[i] * targets[r];
      for (let j = 0; j < width; j += 1) gram[i * width + j] += w * row[i] * row[j];
    }
  }
  for (let i = 0; i < width; i += 1) gram[i * width + i] += penalties[i];
  return solveSymmetricPositive(gram, moment, width);
}

/**
 * Cholesky solve of A·x = b. A tiny jitter on the diagonal keeps a column with no data from
 * making the system singular; its coefficient then stays at 0.
 */
export function solveSymmetricPositive(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const lower = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = a[i * n + j] + (i === j ? 1e-9 : 0);
      for (let k = 0; k < j; k += 1) sum -= lower[i * n + k] * lower[j * n + k];
      if (i === j) lower[i * n + i] = Math.sqrt(Math.max(sum, 1e-12));
      else lower[i * n + j] = sum / lower[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    let sum = b[i];
    for (let k = 0; k < i; k += 1) sum -= lower[i * n + k] * y[k];
    y[i] = sum / lower[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i -= 1) {
    let sum = y[i];
    for (let k = i + 1; k < n; k += 1) sum -= lower[k * n + i] * x[k];
    x[i] = sum / lower[i * n + i];
  }
  return x;
}
