// The training pipeline end to end: simulated traffic (generated, or written to a labelled file by
// `malipo simulate --offline` and read back by `malipo train --from`), features from the server's
// feature store, a time split, the real XGBoost, thresholds, and a model file the engine loads.
// Needs Debian's python3-xgboost, like the model layer's golden test.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSimulateCommand } from '../cli/simulate.ts';
import { runTrainCommand } from '../cli/train.ts';
import { createRiskEngine } from './engine.ts';
import { createFeatureStore } from './features.ts';
import { averagePrecision, rocAuc, thresholdForFriction } from './metrics.ts';
import { xgboostVersion } from './model/train.ts';
import { DEFAULT_RULES } from './rules.ts';

const installed = await xgboostVersion();
const skip =
  installed === undefined ? 'xgboost not installed (apt-get install -y python3-xgboost)' : false;
const timeout = 240_000;
const silent = { log: () => {}, error: (line: string) => console.error(line) };
const small = [
  '--seed',
  '3',
  '--customers',
  '1000',
  '--days',
  '14',
  '--warmup-days',
  '4',
  '--validation-days',
  '4',
];

describe('metrics', () => {
  test('ROC-AUC and average precision on hand-checked cases', { timeout }, () => {
    assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    assert.equal(rocAuc([0.5, 0.5], [0, 1]), 0.5);
    // Precision 1 at recall 0.5, then 2/3 at recall 1.
    assert.ok(
      Math.abs(averagePrecision([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]) - (0.5 + 0.5 * (2 / 3))) <
        1e-12,
    );
    const legit = Array.from({ length: 1_000 }, (_, i) => i / 1_000);
    const threshold = thresholdForFriction(legit, 0.01);
    assert.equal(legit.filter((s) => s >= threshold).length, 10);
  });
});

describe('training', { skip }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'malipo-training-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('malipo train writes a model the engine loads, with rising thresholds', {
    timeout,
  }, async () => {
    const out = join(dir, 'model.json');
    assert.equal(await runTrainCommand([...small, '--out', out, '--version', 'test-1'], silent), 0);
    const engine = createRiskEngine({
      features: createFeatureStore(),
      rules: DEFAULT_RULES,
      clock: { nowMs: () => 0 },
    });
    assert.deepEqual(await engine.loadModel(out), { ok: true, version: 'test-1' });
    const { stepUp, hold, block } = engine.stats().bands;
    assert.ok(
      0 < stepUp && stepUp <= hold && hold <= block && block <= 1,
      JSON.stringify(engine.stats().bands),
    );
    const file = JSON.parse(await readFile(out, 'utf8'));
    assert.ok(file.training.positives > 0 && file.training.validationRows > 0);
  });

  test('the labelled file from simulate --offline trains the same model as the generator', {
    timeout,
  }, async () => {
    const stream = join(dir, 'labelled.jsonl');
    assert.equal(
      await runSimulateCommand(
        [
          '--offline',
          ...small.filter((a, i) => !small[i - 1]?.endsWith('-days') && !a.endsWith('-days')),
          '--out',
          stream,
        ],
        silent,
      ),
      0,
    );
    const fromFile = join(dir, 'from-file.json');
    const generated = join(dir, 'generated.json');
    assert.equal(
      await runTrainCommand(
        [
          '--from',
          stream,
          '--warmup-days',
          '4',
          '--validation-days',
          '4',
          '--seed',
          '3',
          '--out',
          fromFile,
          '--version',
          'v',
        ],
        silent,
      ),
      0,
    );
    assert.equal(
      await runTrainCommand([...small, '--out', generated, '--version', 'v'], silent),
      0,
    );
    const a = JSON.parse(await readFile(fromFile, 'utf8'));
    const b = JSON.parse(await readFile(generated, 'utf8'));
    assert.equal(a.training.dataSha256, b.training.dataSha256, 'the same rows reached XGBoost');
    assert.deepEqual(a.xgboost, b.xgboost);
  });
});
