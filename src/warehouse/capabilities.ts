/**
 * What a connected ClickHouse engine can do, decided once at connect time from its version.
 * Debian's 18.16 server lacks most modern SQL; chDB and current servers have all of it.
 */
export interface Capabilities {
  readonly version: string;
  /** WITH name AS (subquery) */
  readonly cteSubqueries: boolean;
  readonly windowFunctions: boolean;
  readonly dateTime64: boolean;
  /** EXCHANGE TABLES a AND b (also needs an Atomic database, checked separately). */
  readonly exchangeTables: boolean;
  /** DELETE FROM t WHERE … */
  readonly lightweightDelete: boolean;
  /** The optimize_on_insert setting exists (ReplacingMergeTree collapses duplicates at insert when on). */
  readonly optimizeOnInsertSetting: boolean;
  /** CREATE TABLE … EMPTY AS SELECT */
  readonly createEmptyAs: boolean;
  /** CREATE OR REPLACE VIEW */
  readonly createOrReplaceView: boolean;
  /** x::Type casts */
  readonly doubleColonCast: boolean;
  /** input_format_csv_trim_whitespaces exists (and defaults to trimming unquoted CSV fields). */
  readonly csvTrimWhitespacesSetting: boolean;
  /** aggregate_functions_null_for_empty exists (sum/min/quantile of no rows give NULL, as in SQL). */
  readonly aggregateNullForEmptySetting: boolean;
  /** prefer_column_name_to_alias exists (ClickHouse PR 22044, 21.4; GROUP BY/HAVING/ORDER BY too from PR 24022, May 2021). */
  readonly preferColumnNameToAliasSetting: boolean;
}

export function parseVersion(version: string): number[] {
  return version.split('.').map((part) => Number.parseInt(part, 10) || 0);
}

export function versionAtLeast(version: string, minimum: string): boolean {
  const have = parseVersion(version);
  const want = parseVersion(minimum);
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

export function capabilitiesFor(version: string): Capabilities {
  const atLeast = (minimum: string) => versionAtLeast(version, minimum);
  return {
    version,
    cteSubqueries: atLeast('20.1'),
    windowFunctions: atLeast('21.3'),
    dateTime64: atLeast('20.1'),
    exchangeTables: atLeast('21.3'),
    lightweightDelete: atLeast('23.3'),
    optimizeOnInsertSetting: atLeast('21.1'),
    createEmptyAs: atLeast('22.7'),
    createOrReplaceView: atLeast('20.3'),
    doubleColonCast: atLeast('21.9'),
    csvTrimWhitespacesSetting: atLeast('23.6'),
    aggregateNullForEmptySetting: atLeast('21.3'),
    preferColumnNameToAliasSetting: atLeast('21.4'),
  };
}

/**
 * Session settings every connection starts with, before the target's own settings (which win).
 * `prefer_column_name_to_alias = 1`: in `select x as x_raw, x / 100 as x`, standard SQL (and every
 * warehouse dbt targets) reads `x` as the input column; ClickHouse's default lets the alias replace
 * it everywhere in the SELECT, so x_raw silently becomes x / 100. Same result on both analyzers
 * (checked on chDB 26.7); a target switches it off with `prefer_column_name_to_alias: 0`.
 */
export function standardSessionSettings(capabilities: Capabilities): Record<string, number> {
  return capabilities.preferColumnNameToAliasSetting ? { prefer_column_name_to_alias: 1 } : {};
}
