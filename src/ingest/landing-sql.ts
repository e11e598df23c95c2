import type { Capabilities } from '../warehouse/capabilities.ts';
import { qualified, quoteIdent, quoteString } from '../warehouse/sql.ts';
import type { Settings } from '../warehouse/warehouse.ts';

/**
 * Pure SQL for the landing layer. Data columns are stored as text exactly as read; load metadata
 * sits beside them. ReplacingMergeTree on (merchant, natural key), versioned by the load, so a
 * re-load replaces rows instead of duplicating them (read with FINAL for the settled state).
 * Partitioned by merchant, so one load touches one partition and lands with one ATTACH.
 */

export const LEDGER_TABLE = '_dema_loads';
export const REJECTS_TABLE = '_dema_rejects';
export const STAGE_PREFIX = '_dema_stage_';

export const METADATA_COLUMNS = [
  '_merchant',
  '_load_id',
  '_source_file',
  '_line',
  '_loaded_at',
  '_version',
] as const;

export interface LandingSpec {
  readonly database: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly key: readonly string[];
}

export interface LoadStamp {
  readonly merchant: string;
  readonly loadId: string;
  readonly sourceFile: string;
  /** Unix seconds. */
  readonly loadedAt: number;
  readonly version: bigint;
}

function columnList(spec: LandingSpec, stamp: LoadStamp | undefined): string {
  const data = spec.columns.map((column) => `${quoteIdent(column)} String`);
  const meta = stamp
    ? [
        `_merchant String DEFAULT ${quoteString(stamp.merchant)}`,
        `_load_id String DEFAULT ${quoteString(stamp.loadId)}`,
        `_source_file String DEFAULT ${quoteString(stamp.sourceFile)}`,
        '_line UInt64',
        `_loaded_at DateTime DEFAULT toDateTime(${stamp.loadedAt}, 'UTC')`,
        `_version UInt64 DEFAULT ${stamp.version.toString()}`,
      ]
    : [
        '_merchant String',
        '_load_id String',
        '_source_file String',
        '_line UInt64',
        "_loaded_at DateTime('UTC')",
        '_version UInt64',
      ];
  return [...data, ...meta].join(',\n  ');
}

function engineClause(spec: LandingSpec): string {
  const key = ['_merchant', ...spec.key].map(quoteIdent).join(', ');
  return `ENGINE = ReplacingMergeTree(_version) PARTITION BY _merchant ORDER BY (${key})`;
}

export function createLandingSql(spec: LandingSpec): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(spec.database, spec.table)} (\n  ${columnList(spec, undefined)}\n) ${engineClause(spec)}`;
}

/** Same structure as the landing table (so its partition can be attached), with this load's metadata as defaults. */
export function createStageSql(spec: LandingSpec, stageTable: string, stamp: LoadStamp): string {
  return `CREATE TABLE ${qualified(spec.database, stageTable)} (\n  ${columnList(spec, stamp)}\n) ${engineClause(spec)}`;
}

export function stageTableName(table: string, loadId: string): string {
  return `${STAGE_PREFIX}${table}_${loadId.replace(/-/g, '')}`;
}

export function attachStageSql(
  spec: Pick<LandingSpec, 'database' | 'table'>,
  stageTable: string,
  merchant: string,
): string {
  return `ALTER TABLE ${qualified(spec.database, spec.table)} ATTACH PARTITION ${quoteString(merchant)} FROM ${qualified(spec.database, stageTable)}`;
}

export function createLedgerSql(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(database, LEDGER_TABLE)} (
  load_id String, source String, merchant String, landing_table String, location String, archive_path String,
  sha256 String, bytes UInt64, rows_read UInt64, rows_loaded UInt64, rows_rejected UInt64,
  started_at DateTime('UTC'), finished_at DateTime('UTC'), status String, error String,
  host String, pid UInt32, revision UInt64
) ENGINE = ReplacingMergeTree(revision) ORDER BY load_id`;
}

export function createRejectsSql(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(database, REJECTS_TABLE)} (
  load_id String, source String, merchant String, source_file String, line UInt64, reason String, raw String,
  rejected_at DateTime('UTC'), last_line UInt64, byte_offset UInt64, byte_length UInt64
) ENGINE = MergeTree ORDER BY (source, merchant, load_id, line)`;
}

/** Settings for handing CSV bytes to ClickHouse so that every field lands exactly as written. */
export function csvInsertSettings(capabilities: Capabilities): Settings {
  return {
    format_csv_allow_single_quotes: 0,
    ...(capabilities.csvTrimWhitespacesSetting ? { input_format_csv_trim_whitespaces: 0 } : {}),
    // Collapsing duplicates at insert would make the staged count differ from the rows sent, and
    // costs 2.5× in throughput; ReplacingMergeTree merges and FINAL settle duplicates instead.
    ...(capabilities.optimizeOnInsertSetting ? { optimize_on_insert: 0 } : {}),
  };
}
