// The versioned model file: a small JSON envelope around XGBoost's own JSON model.
//
// The envelope records which feature schema the model was trained for as a SHA-256 over the ordered
// feature names and types. Loading compares that hash with the serving schema's hash and refuses a
// model trained for another feature set: column order is the whole contract between the feature
// pipeline and the trees, and a silent shift would score every transaction wrongly.

import { createHash } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import type { ModelFileError } from './errors.ts';
import { ModelFormatError } from './errors.ts';
import { compileGbt, type GbtModel } from './gbt.ts';
import { FEATURE_NAME_LENGTH_MAX, FEATURES_MAX, MODEL_FILE_BYTES_MAX } from './limits.ts';

export const MODEL_FILE_FORMAT = 'malipo-fraud-model';
/** Version of the envelope layout itself (not of the model). Bump on incompatible changes. */
export const MODEL_FILE_FORMAT_VERSION = 1;

export type FeatureType = 'float' | 'int' | 'bool';
const FEATURE_TYPES: readonly FeatureType[] = ['float', 'int', 'bool'];
// XGBoost refuses names with '[', ']' or '<'; keeping to identifiers also keeps CSV headers and
// audit records unambiguous.
const FEATURE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

export interface FeatureSpec {
  readonly name: string;
  readonly type: FeatureType;
}

export interface TrainingInfo {
  /** What trained the model, e.g. "python3-xgboost (Debian)". */
  readonly trainer: string;
  readonly xgboostVersion: string;
  readonly rows: number;
  readonly positives: number;
  readonly validationRows: number;
  readonly seed: number;
  /** The XGBoost parameters exactly as passed to the library. */
  readonly params: Readonly<Record<string, string | number>>;
  readonly rounds: number;
  /** Zero-based round kept by early stopping (the last round when there was none). */
  readonly bestIteration: number;
  /** `<set>-<metric>` at bestIteration, e.g. "validation-aucpr". */
  readonly metrics: Readonly<Record<string, number>>;
  /** SHA-256 of the training (and validation) files as written, to tie the model to its data. */
  readonly dataSha256: string;
}

export interface ModelEnvelope {
  readonly format: typeof MODEL_FILE_FORMAT;
  readonly formatVersion: number;
  /** Unique id: UTC timestamp plus a prefix of the model's content hash. */
  readonly version: string;
  readonly createdAt: string;
  readonly featureNames: readonly string[];
  readonly featureTypes: readonly FeatureType[];
  readonly featureSchemaHash: string;
  /** Decision thresholds on the probability; filled by the decision layer, not by training. */
  readonly thresholds?: Readonly<Record<string, number>>;
  readonly training: TrainingInfo;
  /** XGBoost's `save_model('x.json')` output, unchanged. */
  readonly xgboost: unknown;
}

export interface LoadedModel {
  readonly envelope: ModelEnvelope;
  readonly gbt: GbtModel;
}

export type ModelFileResult =
  | { readonly ok: true; readonly model: LoadedModel }
  | { readonly ok: false; readonly error: ModelFileError };

export interface ExpectedSchema {
  /** featureSchemaHash(...) of the features the serving pipeline produces. */
  readonly featureSchemaHash: string;
}

/** Throws ModelFormatError: a schema we cannot hash is a programming error in the caller. */
export function checkFeatureSpecs(features: readonly FeatureSpec[]): void {
  if (features.length === 0 || features.length > FEATURES_MAX) {
    throw new ModelFormatError(`feature count ${features.length} outside [1, ${FEATURES_MAX}]`);
  }
  const seen = new Set<string>();
  for (const { name, type } of features) {
    if (
      typeof name !== 'string' ||
      name.length > FEATURE_NAME_LENGTH_MAX ||
      !FEATURE_NAME_PATTERN.test(name)
    ) {
      throw new ModelFormatError(
        `feature name ${JSON.stringify(name)} is not an identifier of at most ${FEATURE_NAME_LENGTH_MAX} characters`,
      );
    }
    if (seen.has(name)) throw new ModelFormatError(`feature name ${name} appears twice`);
    seen.add(name);
    if (!FEATURE_TYPES.includes(type))
      throw new ModelFormatError(`feature ${name} has unknown type ${String(type)}`);
  }
}

/** SHA-256 (hex) of the ordered (name, type) pairs. Order matters: it is the column order. */
export function featureSchemaHash(features: readonly FeatureSpec[]): string {
  checkFeatureSpecs(features);
  const canonical = JSON.stringify(features.map(({ name, type }) => [name, type]));
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export function featureSpecsOf(
  envelope: Pick<ModelEnvelope, 'featureNames' | 'featureTypes'>,
): FeatureSpec[] {
  return envelope.featureNames.map((name, i) => ({ name, type: envelope.featureTypes[i] }));
}

function compactUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export interface NewModelEnvelope {
  readonly features: readonly FeatureSpec[];
  readonly xgboost: unknown;
  readonly training: TrainingInfo;
  readonly createdAt: Date;
  /** Defaults to `<UTC timestamp>-<first 12 hex of SHA-256 of the XGBoost JSON>`. */
  readonly version?: string;
  readonly thresholds?: Readonly<Record<string, number>>;
}

/** Builds an envelope and proves it compiles. Throws ModelFormatError on a bad model or schema. */
export function createModelEnvelope(input: NewModelEnvelope): ModelEnvelope {
  const hash = featureSchemaHash(input.features);
  compileGbt(input.xgboost, { featureNames: input.features.map((f) => f.name) });
  const contentHash = createHash('sha256').update(JSON.stringify(input.xgboost)).digest('hex');
  const envelope: ModelEnvelope = {
    format: MODEL_FILE_FORMAT,
    formatVersion: MODEL_FILE_FORMAT_VERSION,
    version: input.version ?? `${compactUtc(input.createdAt)}-${contentHash.slice(0, 12)}`,
    createdAt: input.createdAt.toISOString(),
    featureNames: input.features.map((f) => f.name),
    featureTypes: input.features.map((f) => f.type),
    featureSchemaHash: hash,
    ...(input.thresholds === undefined ? {} : { thresholds: { ...input.thresholds } }),
    training: input.training,
    xgboost: input.xgboost,
  };
  return envelope;
}

function refuse(code: ModelFileError['code'], message: string): ModelFileResult {
  return { ok: false, error: { code, message } };
}

function checkThresholds(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'thresholds is not an object';
  for (const [name, threshold] of Object.entries(value)) {
    if (typeof threshold !== 'number' || !Number.isFinite(threshold))
      return `threshold ${name} is not a finite number`;
  }
  return undefined;
}

/** Checks the envelope's own fields; returns a reason when they are inconsistent. */
function envelopeDefect(envelope: Record<string, unknown>): string | undefined {
  const { featureNames, featureTypes, featureSchemaHash: hash } = envelope;
  if (typeof envelope.version !== 'string' || envelope.version.length === 0)
    return 'version missing';
  if (typeof envelope.createdAt !== 'string' || Number.isNaN(Date.parse(envelope.createdAt)))
    return 'createdAt is not a date';
  if (
    !Array.isArray(featureNames) ||
    !Array.isArray(featureTypes) ||
    featureNames.length !== featureTypes.length
  ) {
    return 'featureNames and featureTypes must be arrays of equal length';
  }
  if (typeof envelope.training !== 'object' || envelope.training === null)
    return 'training missing';
  let actual: string;
  try {
    actual = featureSchemaHash(featureSpecsOf({ featureNames, featureTypes }));
  } catch (error) {
    return (error as Error).message;
  }
  // The stored hash must describe the stored feature list, or someone edited one without the other.
  if (hash !== actual)
    return `featureSchemaHash ${String(hash)} does not match its own feature list (${actual})`;
  return checkThresholds(envelope.thresholds);
}

/** Parses and checks a model file's text; never throws for a bad file. */
export function parseModelFile(text: string, expected: ExpectedSchema): ModelFileResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return refuse('not-json', `model file is not JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return refuse('wrong-format', 'model file is not a JSON object');
  const envelope = json as Record<string, unknown>;
  if (
    envelope.format !== MODEL_FILE_FORMAT ||
    envelope.formatVersion !== MODEL_FILE_FORMAT_VERSION
  ) {
    return refuse(
      'wrong-format',
      `expected format ${MODEL_FILE_FORMAT} v${MODEL_FILE_FORMAT_VERSION}, got ${String(envelope.format)} v${String(envelope.formatVersion)}`,
    );
  }
  const defect = envelopeDefect(envelope);
  if (defect !== undefined) return refuse('malformed-model', defect);
  const actualSchemaHash = envelope.featureSchemaHash as string;
  if (actualSchemaHash !== expected.featureSchemaHash) {
    return {
      ok: false,
      error: {
        code: 'schema-mismatch',
        message: `model ${String(envelope.version)} was trained for feature schema ${actualSchemaHash}, serving schema is ${expected.featureSchemaHash}`,
        expectedSchemaHash: expected.featureSchemaHash,
        actualSchemaHash,
      },
    };
  }
  try {
    const gbt = compileGbt(envelope.xgboost, { featureNames: envelope.featureNames as string[] });
    return { ok: true, model: { envelope: envelope as unknown as ModelEnvelope, gbt } };
  } catch (error) {
    if (error instanceof ModelFormatError) return refuse('malformed-model', error.message);
    throw error;
  }
}

/** Reads, checks and compiles a model file. Refusals are values; the caller keeps its current model. */
export async function loadModelFile(
  path: string,
  expected: ExpectedSchema,
): Promise<ModelFileResult> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MODEL_FILE_BYTES_MAX)
      return refuse('too-large', `${path} is ${size} bytes, limit ${MODEL_FILE_BYTES_MAX}`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    return refuse('unreadable', `${path}: ${(error as Error).message}`);
  }
  return parseModelFile(text, expected);
}

/**
 * Writes the envelope atomically (temporary file, fsync, rename) after proving that the exact
 * bytes written load back. Throws on a bad envelope or an I/O failure.
 */
export async function saveModelFile(path: string, envelope: ModelEnvelope): Promise<void> {
  // Compact: the bulk is XGBoost's numeric arrays, which indentation would triple; use jq to read.
  const text = `${JSON.stringify(envelope)}\n`;
  if (Buffer.byteLength(text) > MODEL_FILE_BYTES_MAX)
    throw new ModelFormatError(`model file would exceed ${MODEL_FILE_BYTES_MAX} bytes`);
  const before = parseModelFile(text, { featureSchemaHash: envelope.featureSchemaHash });
  if (!before.ok) throw new ModelFormatError(`refusing to save: ${before.error.message}`);
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  const after = await readFile(temporary, 'utf8');
  if (after !== text) {
    await unlink(temporary);
    throw new Error(`model file ${temporary} did not read back as written`);
  }
  await rename(temporary, path);
}
