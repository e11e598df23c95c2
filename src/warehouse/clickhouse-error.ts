import { DemaError } from '../errors.ts';

/**
 * A ClickHouse exception, parsed once from its text into the numeric code and its name.
 * Callers branch on `clickhouseCode` / `clickhouseType`, never on the message.
 */
export class ClickHouseError extends DemaError {
  readonly clickhouseCode: number;
  readonly clickhouseType: string;
  readonly sql: string | undefined;

  constructor(clickhouseCode: number, clickhouseType: string, message: string, sql?: string) {
    super('WAREHOUSE_QUERY', message, { hint: hintFor(clickhouseType) });
    this.name = 'ClickHouseError';
    this.clickhouseCode = clickhouseCode;
    this.clickhouseType = clickhouseType;
    this.sql = sql;
  }
}

// Names for codes that old servers (which print no name) commonly return; modern servers print it.
const KNOWN_TYPES: Readonly<Record<number, string>> = {
  16: 'NO_SUCH_COLUMN_IN_TABLE',
  27: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  36: 'BAD_ARGUMENTS',
  43: 'ILLEGAL_TYPE_OF_ARGUMENT',
  46: 'UNKNOWN_FUNCTION',
  47: 'UNKNOWN_IDENTIFIER',
  48: 'NOT_IMPLEMENTED',
  53: 'TYPE_MISMATCH',
  57: 'TABLE_ALREADY_EXISTS',
  60: 'UNKNOWN_TABLE',
  62: 'SYNTAX_ERROR',
  73: 'UNKNOWN_FORMAT',
  81: 'UNKNOWN_DATABASE',
  115: 'UNKNOWN_SETTING',
  117: 'INCORRECT_DATA',
  159: 'TIMEOUT_EXCEEDED',
  192: 'UNKNOWN_USER',
  193: 'WRONG_PASSWORD',
  210: 'NETWORK_ERROR',
  215: 'NOT_AN_AGGREGATE',
  241: 'MEMORY_LIMIT_EXCEEDED',
  252: 'TOO_MANY_PARTS',
  394: 'QUERY_WAS_CANCELLED',
  499: 'S3_ERROR',
  516: 'AUTHENTICATION_FAILED',
};

const HINTS: Readonly<Record<string, string>> = {
  UNKNOWN_TABLE: 'Check the table name, or run the step that creates it first (dema ingest / dema run).',
  UNKNOWN_DATABASE: 'Create the database, or point the target at an existing one.',
  UNKNOWN_IDENTIFIER:
    'A column name is wrong or missing upstream; check the SELECT list and the source columns.',
  SYNTAX_ERROR: 'Check the SQL near the position ClickHouse reports.',
  MEMORY_LIMIT_EXCEEDED:
    'Lower max_threads, add max_bytes_before_external_group_by, or process less data per run.',
  AUTHENTICATION_FAILED:
    'Check the user and password (CLICKHOUSE_USER / CLICKHOUSE_PASSWORD or the profile).',
  WRONG_PASSWORD: 'Check the user and password (CLICKHOUSE_USER / CLICKHOUSE_PASSWORD or the profile).',
  UNKNOWN_USER: 'Check the user and password (CLICKHOUSE_USER / CLICKHOUSE_PASSWORD or the profile).',
  UNKNOWN_FUNCTION: 'The function may not exist on this ClickHouse version.',
};

function hintFor(type: string): string | undefined {
  return HINTS[type];
}

// "Code: 60. DB::Exception: Table x doesn't exist. (UNKNOWN_TABLE) (version 26.7…)" — modern servers and chDB.
// "Code: 60, e.displayText() = DB::Exception: Table x doesn't exist, e.what() = DB::Exception" — 18.x servers.
const MODERN =
  /Code:\s*(\d+)\.\s*DB::Exception:\s*([\s\S]*?)(?:\s*\(([A-Z][A-Z0-9_]+)\))?(?:\s*\(version .*\))?\s*$/;
const LEGACY =
  /Code:\s*(\d+),\s*e\.displayText\(\)\s*=\s*DB::Exception:\s*([\s\S]*?)(?:,\s*e\.what\(\)\s*=\s*\S+)?\s*$/;

/** Finds a ClickHouse exception in text (an error message or the tail of an HTTP body). */
export function parseClickHouseError(text: string, sql?: string): ClickHouseError | undefined {
  const start = text.search(/Code:\s*\d+[.,]/);
  if (start < 0) return undefined;
  const tail = text.slice(start).trim();
  const match = MODERN.exec(tail) ?? LEGACY.exec(tail);
  if (!match) return undefined;
  const code = Number(match[1]);
  const message = (match[2] ?? '').trim();
  const type = match[3] ?? KNOWN_TYPES[code] ?? 'UNKNOWN';
  return new ClickHouseError(code, type, `ClickHouse error ${code} (${type}): ${message}`, sql);
}

/** Wraps any transport error: ClickHouse exceptions become ClickHouseError, the rest WAREHOUSE_QUERY. */
export function toWarehouseError(error: unknown, sql?: string): DemaError {
  if (error instanceof DemaError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const parsed = parseClickHouseError(text, sql);
  if (parsed) return parsed;
  return new DemaError('WAREHOUSE_QUERY', text, { cause: error });
}
