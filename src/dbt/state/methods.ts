import { join } from 'node:path';
import { DemaError } from '../../errors.ts';
import type { ExtraMethods } from '../graph/select.ts';
import type { DbtNode } from '../manifest/types.ts';
import type { ParsedProject } from '../parser/parse-project.ts';
import { STATE_VALUES, StateComparer } from './compare.ts';
import { macroIndex } from './macro-index.ts';
import type { PreviousState } from './previous-state.ts';

/** The `state:` and `result:` selector methods over a --state directory. */

const RESULT_VALUES = ['success', 'error', 'fail', 'warn', 'pass', 'skipped'];

export function stateMethods(parsed: ParsedProject, state: PreviousState): ExtraMethods {
  const comparer = new StateComparer(state, macroIndex(parsed.registry));
  return {
    state: (value) => {
      const check = comparer.checker(value);
      if (!check)
        throw new DemaError('SELECT_INVALID', `"state:${value}" is not a state selector.`, {
          hint: `Use one of: ${STATE_VALUES.map((v) => `state:${v}`).join(', ')}.`,
        });
      return (node) => check(node as DbtNode);
    },
    result: (value) => {
      if (!state.results)
        throw new DemaError(
          'USAGE',
          `"result:${value}": no comparison run_results — ${join(state.dir, 'run_results.json')} does not exist.`,
          {
            hint: 'Copy run_results.json of the earlier run next to its manifest.json in the --state directory.',
          },
        );
      if (!RESULT_VALUES.includes(value))
        throw new DemaError('SELECT_INVALID', `"result:${value}" is not a result status.`, {
          hint: `Use one of: ${RESULT_VALUES.map((v) => `result:${v}`).join(', ')}.`,
        });
      const results = state.results;
      return (node) => results.get(node.uniqueId) === value;
    },
  };
}
