import {
  type ExtraMethods,
  type Selection,
  selectNodes,
  unmatchedSelectors,
} from '../../dbt/graph/select.ts';
import { INDIRECT_MODES, type IndirectSelection } from '../../dbt/graph/selection-spec.ts';
import { getSelector, loadSelectors } from '../../dbt/graph/selectors-file.ts';
import type { ParsedProject } from '../../dbt/parser/parse-project.ts';
import type { WarnErrorPolicy } from '../../dbt/warn-error.ts';
import { DemaError } from '../../errors.ts';
import type { Output } from '../output.ts';

/**
 * The selection a dbt command runs, as dbt's get_selection_spec decides it: `--selector NAME`
 * (selectors.yml) wins over --select/--exclude; with neither --select nor --exclude, the selector
 * marked `default: true`; else --select/--exclude. --indirect-selection (or DBT_INDIRECT_SELECTION,
 * default eager) applies to all of them.
 */

export interface SelectionFlags {
  readonly select?: string[];
  readonly models?: string[];
  readonly exclude?: string[];
  readonly selector?: string;
  readonly indirectSelection?: string;
}

export function indirectMode(flags: SelectionFlags, env: NodeJS.ProcessEnv): IndirectSelection {
  const given = flags.indirectSelection ?? env.DBT_INDIRECT_SELECTION;
  if (given === undefined || given === '') return 'eager';
  const mode = given.toLowerCase();
  if (!INDIRECT_MODES.includes(mode as IndirectSelection))
    throw new DemaError(
      'USAGE',
      `${flags.indirectSelection !== undefined ? '--indirect-selection' : 'DBT_INDIRECT_SELECTION'} ${given}: not one of ${INDIRECT_MODES.join(', ')}.`,
      {
        hint: 'eager (default): tests with any parent selected; cautious: all parents; buildable; empty: none.',
      },
    );
  return mode as IndirectSelection;
}

/** The warning dbt names NoNodesForSelectionCriteria: on stderr, or an error (exit 2) with --warn-error. */
export function noNodesWarning(message: string, output: Output, policy: WarnErrorPolicy): void {
  if (policy.isSilenced('NoNodesForSelectionCriteria')) return;
  if (policy.isError('NoNodesForSelectionCriteria'))
    throw new DemaError(
      'SELECT_INVALID',
      `${message} [NoNodesForSelectionCriteria, an error with --warn-error]`,
      {
        hint: 'Fix the selection, or leave NoNodesForSelectionCriteria out of --warn-error-options with exclude.',
      },
    );
  if (output.json) output.reporter.emit({ type: 'log', level: 'warn', message });
  else output.error(`warn  ${message}`);
}

export function resolveSelection(
  parsed: ParsedProject,
  flags: SelectionFlags,
  output: Output,
  policy: WarnErrorPolicy,
  /** dbt's DefaultSelector line (`ls` leaves it out: its stdout is the list). */
  announce = true,
  /** `state:` / `result:` when the command has --state. */
  methods?: ExtraMethods,
): Selection {
  const select = [...(flags.select ?? []), ...(flags.models ?? [])];
  const exclude = flags.exclude ?? [];
  const indirectSelection = indirectMode(flags, process.env);
  const plain: Selection = { select, exclude, indirectSelection, ...(methods ? { methods } : {}) };
  const useDefault = flags.selector === undefined && select.length === 0 && exclude.length === 0;
  if (!flags.selector && !useDefault) {
    // A term whose parts each match but whose intersection is empty (`tag:a,tag:b`) is dbt's
    // NoNodesForSelectionCriteria too; single terms were reported with suggestions (warnUnmatched).
    const empty: string[] = [];
    selectNodes(parsed.graph, { ...plain, onNothing: (raw) => empty.push(raw) });
    const reported = (term: string) => unmatchedSelectors(parsed.graph, [term], methods).length > 0;
    for (const raw of empty.filter((term) => term.includes(',') && !reported(term)))
      noNodesWarning(`The selection criterion '${raw}' does not match any enabled nodes.`, output, policy);
    return plain;
  }
  const file = loadSelectors(parsed.project.dir, indirectSelection);
  let name = flags.selector;
  if (name === undefined) {
    if (!file.defaultName) return plain;
    name = file.defaultName;
    if (announce)
      output.reporter.emit({ type: 'log', level: 'info', message: `Using default selector ${name}` });
  }
  const { spec } = getSelector(file, name);
  const selection: Selection = {
    select: [],
    exclude: [],
    indirectSelection,
    spec,
    ...(methods ? { methods } : {}),
  };
  if (selectNodes(parsed.graph, selection).size === 0)
    noNodesWarning(
      `The selection criterion 'selector:${name}' does not match any enabled nodes.`,
      output,
      policy,
    );
  return selection;
}
