/**
 * One error type for everything dema reports to a user. `code` is stable and machine-readable
 * (branch on it, never on message text); `hint` says how to fix the problem.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'WAREHOUSE_CONNECT'
  | 'WAREHOUSE_QUERY'
  | 'WAREHOUSE_LOCKED'
  | 'WAREHOUSE_UNSUPPORTED'
  | 'WAREHOUSE_STORE'
  | 'INGEST_FETCH'
  | 'INGEST_ARCHIVE'
  | 'INGEST_HEADER'
  | 'INGEST_ERROR_BUDGET'
  | 'INGEST_LOAD'
  | 'INGEST_SOURCE_UNKNOWN'
  | 'INGEST_SOURCE_CHANGED'
  | 'INGEST_PUBLISH_PENDING'
  | 'GENERATE_INVALID'
  | 'GRAPH_CYCLE'
  | 'SELECT_INVALID'
  | 'PARSE_PROJECT'
  | 'PARSE_YAML'
  | 'JINJA_SYNTAX'
  | 'JINJA_RENDER'
  | 'JINJA_UNSUPPORTED'
  | 'DBT_UNSUPPORTED'
  | 'UNIT_TEST_INVALID'
  | 'REF_NOT_FOUND'
  | 'PROFILE_INVALID'
  | 'DEPS_SPEC'
  | 'DEPS_CONFLICT'
  | 'DEPS_NOT_FOUND'
  | 'DEPS_FETCH'
  | 'DEPS_NOT_INSTALLED'
  | 'EXEC_MODEL'
  | 'OPERATION_FAILED'
  | 'FRESHNESS_UNMEASURABLE'
  | 'USAGE'
  | 'INTERRUPTED';

export class DemaError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DemaError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isDemaError(error: unknown): error is DemaError {
  return error instanceof DemaError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
