/**
 * A boolean DBT_* environment variable (DBT_QUIET, DBT_EMPTY, DBT_WARN_ERROR, DBT_DEFER …) is set to
 * true: dbt reads them as click's BOOL does (case and surrounding blanks ignored).
 */
const TRUE_ENV = new Set(['1', 'true', 't', 'yes', 'y', 'on']);

export function envFlag(value: string | undefined): boolean {
  return TRUE_ENV.has((value ?? '').trim().toLowerCase());
}
