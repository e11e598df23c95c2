import { load as loadYaml } from 'js-yaml';
import { DemaError } from '../errors.ts';
import { editDistance } from './edit-distance.ts';
import { envFlag } from './env-flag.ts';

/**
 * dbt's --warn-error / --warn-error-options (docs: "Warnings"): which warning events become errors.
 * Events are named as dbt names them: LogTestResult (a test with severity warn that found rows),
 * NoNodesForSelectionCriteria, NoNodeForYamlKey, JinjaLogWarning (`exceptions.warn`),
 * LogFreshnessResult. `include: all` (or `*`) means every warning; `exclude` keeps those as
 * warnings; `error`/`warn` are dbt 1.8's names for include/exclude; `silence` drops a warning.
 */

export interface WarnErrorPolicy {
  /** This warning event is an error for this invocation. */
  isError(event: string): boolean;
  /** This warning event is not shown at all (`silence`). */
  isSilenced(event: string): boolean;
}

export const NO_WARN_ERROR: WarnErrorPolicy = { isError: () => false, isSilenced: () => false };

/** The warning events dema raises (what --warn-error-options can change here). */
const DEMA_EVENTS = [
  'LogTestResult',
  'NoNodesForSelectionCriteria',
  'NoNodeForYamlKey',
  'JinjaLogWarning',
  'LogFreshnessResult',
];

/**
 * dbt refuses a name that is no dbt event ("… is not a valid dbt error name"), so a typo cannot
 * silently disable the guard a CI relies on. dema does not list all of dbt's events: it refuses a
 * name that is not a CamelCase event name, or that is a near miss (case or a few letters) of an
 * event dema raises; other CamelCase names are dbt events dema never raises, accepted as dbt does.
 */
function checkEventName(name: string, key: string, flag: string): void {
  if (DEMA_EVENTS.includes(name)) return;
  const near = DEMA_EVENTS.find(
    (event) =>
      editDistance(event.toLowerCase(), name.toLowerCase()) <= Math.max(2, Math.floor(event.length / 8)),
  );
  if (near === undefined && /^[A-Z][A-Za-z0-9]*$/.test(name)) return;
  throw new DemaError('USAGE', `${flag}: '${name}' in '${key}' is not a dbt event name.`, {
    hint: near
      ? `Did you mean '${near}'?`
      : `Events are CamelCase, as dbt names them: ${DEMA_EVENTS.join(', ')}.`,
  });
}

function names(value: unknown, key: string, flag: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new DemaError(
      'USAGE',
      `${flag}: '${key}' must be a list of event names, got ${JSON.stringify(value)}.`,
      {
        hint: "e.g. --warn-error-options '{include: [NoNodesForSelectionCriteria, LogTestResult]}'",
      },
    );
  for (const name of value as string[]) checkEventName(name, key, flag);
  return value as string[];
}

function parseOptions(text: string, flag: string): WarnErrorPolicy {
  let data: unknown;
  try {
    data = loadYaml(text);
  } catch (error) {
    throw new DemaError('USAGE', `${flag}: not valid YAML/JSON: ${(error as Error).message.split('\n')[0]}`, {
      hint: "e.g. --warn-error-options '{include: all, exclude: [NoNodesForSelectionCriteria]}'",
    });
  }
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new DemaError('USAGE', `${flag}: expected a mapping, got ${JSON.stringify(data)}.`, {
      hint: "e.g. --warn-error-options '{include: all}'",
    });
  const record = data as Record<string, unknown>;
  for (const key of Object.keys(record))
    if (!['include', 'exclude', 'error', 'warn', 'silence'].includes(key))
      throw new DemaError('USAGE', `${flag}: unknown key '${key}'.`, {
        hint: 'The keys are include (or error), exclude (or warn) and silence.',
      });
  if ('include' in record && 'error' in record)
    throw new DemaError('USAGE', `${flag}: 'include' and 'error' are the same setting; give only one.`);
  if ('exclude' in record && 'warn' in record)
    throw new DemaError('USAGE', `${flag}: 'exclude' and 'warn' are the same setting; give only one.`);
  const includeKey = 'error' in record ? 'error' : 'include';
  const include = record[includeKey];
  const all = include === 'all' || include === '*';
  const included = all ? [] : names(include, includeKey, flag);
  const excludeKey = 'exclude' in record ? 'exclude' : 'warn';
  const excluded = names(record[excludeKey], excludeKey, flag);
  // As dbt-common's IncludeExclude: exceptions to the errors only make sense when all are errors.
  if (excluded.length > 0 && !all)
    throw new DemaError('USAGE', `${flag}: '${excludeKey}' is allowed only with ${includeKey}: all.`, {
      hint: `List the events that should be errors in '${includeKey}' instead.`,
    });
  const silenced = names(record.silence, 'silence', flag);
  return {
    isError: (event) =>
      !silenced.includes(event) && !excluded.includes(event) && (all || included.includes(event)),
    isSilenced: (event) => silenced.includes(event),
  };
}

/**
 * The policy from the flags or DBT_WARN_ERROR / DBT_WARN_ERROR_OPTIONS. As dbt's flags check, the
 * two settings are mutually exclusive whether they come from the command line or the environment.
 */
export function warnErrorPolicy(
  flags: { warnError?: boolean; warnErrorOptions?: string },
  env: Readonly<Record<string, string | undefined>>,
): WarnErrorPolicy {
  const all = flags.warnError === true || envFlag(env.DBT_WARN_ERROR);
  const optionsFlag =
    flags.warnErrorOptions !== undefined ? '--warn-error-options' : 'DBT_WARN_ERROR_OPTIONS';
  const options = flags.warnErrorOptions ?? (env.DBT_WARN_ERROR_OPTIONS || undefined);
  if (all && options !== undefined)
    throw new DemaError(
      'USAGE',
      `${flags.warnError ? '--warn-error' : 'DBT_WARN_ERROR'} is not allowed with ${optionsFlag}.`,
      { hint: "--warn-error is --warn-error-options '{include: all}'; keep one (flags or DBT_ variables)." },
    );
  if (all) return parseOptions('{include: all}', flags.warnError ? '--warn-error' : 'DBT_WARN_ERROR');
  return options === undefined ? NO_WARN_ERROR : parseOptions(options, optionsFlag);
}
