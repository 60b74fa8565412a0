// The versioned model file: round trip through a real file, and refusal of files that are not for
// the serving feature schema or are not model files at all.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ModelFormatError } from './errors.ts';
import { HAND_BUILT_FEATURES, HAND_BUILT_TRAINING, handBuiltModel } from './fixtures.ts';
import { scoreMargin } from './gbt.ts';
import {
  createModelEnvelope,
  type FeatureSpec,
  featureSchemaHash,
  loadModelFile,
  MODEL_FILE_FORMAT,
  type ModelEnvelope,
  parseModelFile,
  saveModelFile,
} from './model-file.ts';

const features: FeatureSpec[] = [
  { name: 'amount_log', type: 'float' },
  { name: 'tx_count_1h', type: 'int' },
  { name: 'drain_ratio', type: 'float' },
];
const schemaHash = featureSchemaHash(features);

function envelope(): ModelEnvelope {
  return createModelEnvelope({
    features,
    xgboost: handBuiltModel(),
    training: HAND_BUILT_TRAINING,
    createdAt: new Date('2025-03-01T08:30:00.000Z'),
    thresholds: { stepUp: 0.4, block: 0.9 },
  });
}

describe('feature schema hash', () => {
  test('is pinned: changing the canonical form would orphan every deployed model', () => {
    // sha256 of '[["amount_log","float"],["tx_count_1h","int"],["drain_ratio","float"]]' (sha256sum).
    assert.equal(schemaHash, '82c9b506e408abe6a829d2a7f184e1449e4179ed54134f8db4e1b485a312cd64');
  });

  test('depends on order and type, not just the set of names', () => {
    const reordered = [features[1], features[0], features[2]];
    const retyped = features.map((f) => ({ ...f, type: 'float' as const }));
    assert.notEqual(featureSchemaHash(reordered), schemaHash);
    assert.notEqual(featureSchemaHash(retyped), schemaHash);
  });

  test('refuses duplicate, empty or non-identifier names', () => {
    assert.throws(() => featureSchemaHash([features[0], features[0]]), ModelFormatError);
    assert.throws(() => featureSchemaHash([]), ModelFormatError);
    assert.throws(
      () => featureSchemaHash([{ name: 'amount[log]', type: 'float' }]),
      ModelFormatError,
    );
  });
});

describe('model file', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'malipo-model-file-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('round-trips through a file and scores the same', async () => {
    const original = envelope();
    assert.match(original.version, /^20250301T083000Z-[0-9a-f]{12}$/);
    const path = join(dir, 'model.json');
    await saveModelFile(path, original);
    const loaded = await loadModelFile(path, { featureSchemaHash: schemaHash });
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
    assert.deepEqual(loaded.model.envelope, original);
    assert.equal(loaded.model.envelope.format, MODEL_FILE_FORMAT);
    assert.deepEqual(loaded.model.gbt.featureNames, [...HAND_BUILT_FEATURES]);
    assert.equal(scoreMargin(loaded.model.gbt, [0.2, 3, 0]), 0.375);
    assert.deepEqual(await readdir(dir), ['model.json'], 'no temporary file is left behind');
  });

  test('refuses a model trained for another feature schema', async () => {
    const path = join(dir, 'other-schema.json');
    await saveModelFile(path, envelope());
    const serving = featureSchemaHash([...features, { name: 'night', type: 'bool' }]);
    const loaded = await loadModelFile(path, { featureSchemaHash: serving });
    assert.equal(loaded.ok, false);
    assert.equal(loaded.ok ? '' : loaded.error.code, 'schema-mismatch');
    assert.equal(loaded.ok ? '' : loaded.error.actualSchemaHash, schemaHash);
    assert.equal(loaded.ok ? '' : loaded.error.expectedSchemaHash, serving);
  });

  test('refuses a file whose feature list was edited without its hash', () => {
    const json = JSON.parse(JSON.stringify(envelope()));
    json.featureNames = ['tx_count_1h', 'amount_log', 'drain_ratio'];
    const parsed = parseModelFile(JSON.stringify(json), { featureSchemaHash: schemaHash });
    assert.equal(parsed.ok ? '' : parsed.error.code, 'malformed-model');
    assert.match(parsed.ok ? '' : parsed.error.message, /does not match its own feature list/);
  });

  test('refuses files that are not well-formed model files', async () => {
    const good = JSON.parse(JSON.stringify(envelope()));
    const cases: [string, string, string][] = [
      ['garbage', '{"format": "malipo-fraud-model",', 'not-json'],
      ['another format', JSON.stringify({ ...good, format: 'onnx' }), 'wrong-format'],
      ['a newer envelope', JSON.stringify({ ...good, formatVersion: 2 }), 'wrong-format'],
      [
        'a broken XGBoost model',
        JSON.stringify({ ...good, xgboost: { learner: {} } }),
        'malformed-model',
      ],
      [
        'a non-numeric threshold',
        JSON.stringify({ ...good, thresholds: { block: 'high' } }),
        'malformed-model',
      ],
      ['no version', JSON.stringify({ ...good, version: '' }), 'malformed-model'],
    ];
    for (const [name, text, code] of cases) {
      const path = join(dir, `${code}.json`);
      await writeFile(path, text);
      const loaded = await loadModelFile(path, { featureSchemaHash: schemaHash });
      assert.equal(loaded.ok ? 'ok' : loaded.error.code, code, name);
    }
    const missing = await loadModelFile(join(dir, 'absent.json'), {
      featureSchemaHash: schemaHash,
    });
    assert.equal(missing.ok ? 'ok' : missing.error.code, 'unreadable');
  });

  test('will not save an envelope that would not load', async () => {
    const broken = { ...envelope(), featureSchemaHash: 'f'.repeat(64) };
    const path = join(dir, 'never-written.json');
    await assert.rejects(saveModelFile(path, broken), ModelFormatError);
    await assert.rejects(readFile(path), { code: 'ENOENT' });
  });

  test('createModelEnvelope refuses a model that does not fit the features', () => {
    assert.throws(
      () =>
        createModelEnvelope({
          features: features.slice(0, 2),
          xgboost: handBuiltModel(),
          training: HAND_BUILT_TRAINING,
          createdAt: new Date(),
        }),
      /num_feature: 3, schema has 2/,
    );
  });
});
