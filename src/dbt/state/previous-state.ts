import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DemaError } from '../../errors.ts';

/**
 * `--state DIR`: the artifacts of an earlier invocation (dema's or dbt's own) that `state:` and
 * `result:` selection and `--defer` compare against. Only what is present is read: a dbt manifest
 * of any recent schema version works as long as its nodes carry the fields compared
 * (checksum, config/unrendered_config, description, columns, depends_on.macros, schema, alias).
 */

/** A node or macro of the state manifest, as JSON (fields are read defensively). */
export type StateEntry = Readonly<Record<string, unknown>>;

export interface PreviousState {
  /** The --state directory, as given (for messages). */
  readonly dir: string;
  readonly nodes: ReadonlyMap<string, StateEntry>;
  readonly macros: ReadonlyMap<string, StateEntry>;
  /** run_results.json statuses by unique id; undefined when the file is absent. */
  readonly results?: ReadonlyMap<string, string>;
}

function readJson(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DemaError(
      'USAGE',
      `--state: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      {
        hint: `--state must name a directory holding the ${what} of an earlier run (e.g. prod's target/ copied aside).`,
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DemaError('USAGE', `--state: ${file} is not valid JSON: ${(error as Error).message}`, {
      hint: `Copy the ${what} again from a finished run.`,
    });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new DemaError('USAGE', `--state: ${file} is not a dbt ${what} (not a JSON object).`);
  return value as Record<string, unknown>;
}

function entries(value: unknown): Map<string, StateEntry> {
  const map = new Map<string, StateEntry>();
  if (value && typeof value === 'object' && !Array.isArray(value))
    for (const [id, entry] of Object.entries(value))
      if (entry && typeof entry === 'object') map.set(id, entry as StateEntry);
  return map;
}

/** Statuses by unique id from a run_results.json document (dbt's `results[].status`). */
export function resultStatuses(document: Record<string, unknown>): Map<string, string> {
  const statuses = new Map<string, string>();
  const results = Array.isArray(document.results) ? document.results : [];
  for (const result of results as Record<string, unknown>[])
    if (result && typeof result.unique_id === 'string' && typeof result.status === 'string')
      statuses.set(result.unique_id, result.status);
  return statuses;
}

/** Reads DIR/manifest.json (required) and DIR/run_results.json (when present). */
export function loadPreviousState(dir: string, cwd: string): PreviousState {
  const absolute = resolve(cwd, dir);
  const manifest = readJson(join(absolute, 'manifest.json'), 'manifest.json');
  if (typeof manifest.nodes !== 'object' || manifest.nodes === null)
    throw new DemaError(
      'USAGE',
      `--state: ${join(absolute, 'manifest.json')} has no "nodes": not a dbt manifest.`,
      {
        hint: 'Point --state at the target/ directory of an earlier dema or dbt run.',
      },
    );
  const nodes = entries(manifest.nodes);
  for (const [id, source] of entries(manifest.sources)) nodes.set(id, source);
  let results: Map<string, string> | undefined;
  let resultsText: string | undefined;
  try {
    resultsText = readFileSync(join(absolute, 'run_results.json'), 'utf8');
  } catch {
    resultsText = undefined;
  }
  if (resultsText !== undefined) {
    try {
      results = resultStatuses(JSON.parse(resultsText) as Record<string, unknown>);
    } catch (error) {
      throw new DemaError(
        'USAGE',
        `--state: ${join(absolute, 'run_results.json')} is not valid JSON: ${(error as Error).message}`,
      );
    }
  }
  return { dir: absolute, nodes, macros: entries(manifest.macros), ...(results ? { results } : {}) };
}
