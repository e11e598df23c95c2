/** A boolean DBT_* environment variable (DBT_QUIET, DBT_EMPTY, DBT_WARN_ERROR …) is set to true. */
const TRUE_ENV = new Set(['1', 'true', 'yes', 'y', 't']);

export function envFlag(value: string | undefined): boolean {
  return TRUE_ENV.has((value ?? '').toLowerCase());
}
