import { previewQueries, previewRows } from '../../dbt/run/show.ts';
import { DemaError } from '../../errors.ts';
import { connectForCommand, type GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import { renderTable } from '../table.ts';
import { type DbtFlags, prepareProject, warnUnmatched } from './dbt-actions.ts';
import { withState } from './state-flags.ts';

export interface ShowFlags extends DbtFlags {
  readonly models?: string[];
  readonly inline?: string;
  readonly limit: string;
  readonly output: string;
}

/** `dema show`: each preview as dbt prints it ("Previewing node 'x':" and a table), or JSON. */
export async function showAction(global: GlobalOptions, flags: ShowFlags, output: Output): Promise<number> {
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit))
    throw new DemaError('USAGE', `--limit ${flags.limit} is not a whole number.`, {
      hint: 'e.g. --limit 20; --limit -1 shows every row.',
    });
  if (flags.output !== 'text' && flags.output !== 'json')
    throw new DemaError('USAGE', `--output ${flags.output}: use text or json.`);
  if (flags.inline !== undefined && (flags.select ?? flags.models) !== undefined)
    throw new DemaError('USAGE', 'Pass either --select or --inline, not both.');
  const prepared = withState(prepareProject(global, flags, 'show', output), flags);
  warnUnmatched(prepared.parsed, flags, output, prepared.warnError, prepared.methods);
  const warehouse = await connectForCommand(prepared.target.target, global, output.reporter);
  try {
    const previews = await previewQueries(prepared.parsed, warehouse, {
      select: [...(flags.select ?? []), ...(flags.models ?? [])],
      exclude: flags.exclude ?? [],
      ...(prepared.methods ? { methods: prepared.methods } : {}),
      ...(flags.inline !== undefined ? { inline: flags.inline } : {}),
      invocationId: prepared.invocationId,
    });
    for (const preview of previews) {
      const rows = await previewRows(warehouse, preview, limit);
      if (flags.output === 'json' || output.json)
        output.line(JSON.stringify({ node: preview.name, show: rows }));
      else {
        output.line(
          flags.inline === undefined ? `Previewing node '${preview.name}':` : 'Previewing inline node:',
        );
        output.line(renderTable(rows));
      }
    }
  } finally {
    await warehouse.close();
  }
  return 0;
}
