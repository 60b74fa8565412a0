// Errors of the fraud-model layer.
//
// A malformed XGBoost file is thrown as ModelFormatError from the compiler, because a model that
// reaches the compiler unchecked is a bug in whoever shipped it. At the file boundary
// (model-file.ts) the same failures become a ModelFileError value: a refused challenger model is
// an expected outcome the caller must decide about (keep serving the champion, alert).

export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
}

export type ModelFileErrorCode =
  | 'unreadable'
  | 'too-large'
  | 'not-json'
  | 'wrong-format'
  | 'schema-mismatch'
  | 'malformed-model';

export interface ModelFileError {
  readonly code: ModelFileErrorCode;
  readonly message: string;
  /** Set for schema-mismatch: the hash the caller expects and the one the file was trained for. */
  readonly expectedSchemaHash?: string;
  readonly actualSchemaHash?: string;
}
