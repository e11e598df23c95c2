import type { Command } from 'commander';
import { DemaError } from '../../errors.ts';
import type { RunRecord } from '../../history/store.ts';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import { renderTable } from '../table.ts';

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '');

function runRow(run: RunRecord): Record<string, unknown> {
  const seconds = run.finished_ms > 0 ? ((run.finished_ms - run.started_ms) / 1000).toFixed(1) : '';
  return { ...run, started: iso(run.started_ms), finished: iso(run.finished_ms), seconds };
}

function print(output: Output, rows: readonly Record<string, unknown>[], columns: readonly string[]): void {
  if (output.json) for (const row of rows) output.line(JSON.stringify(row));
  else output.line(renderTable(rows, columns));
}

export function registerRuns(
  program: Command,
  run: (work: (g: GlobalOptions, o: Output) => Promise<number>) => void,
): void {
  const runs = program
    .command('runs')
    .description('Show the run history: every pipeline, ingest and dbt command, with its outcome')
    .option('-n, --limit <n>', 'most recent N runs', '20')
    .action((flags: { limit: string }) =>
      run(async (global, output) => {
        const [{ withWarehouse }, { listRuns }] = await Promise.all([
          import('../context.ts'),
          import('../../history/store.ts'),
        ]);
        return withWarehouse(global, async ({ warehouse }) => {
          const limit = Number(flags.limit);
          if (!Number.isInteger(limit) || limit < 1)
            throw new DemaError('USAGE', `--limit ${flags.limit} is not a positive whole number.`);
          const rows = (await listRuns(warehouse, { limit })).map(runRow);
          print(output, rows, [
            'invocation_id',
            'command',
            'trigger',
            'status',
            'started',
            'seconds',
            'error',
          ]);
          return 0;
        });
      }),
    );
  runs
    .command('show')
    .description('One run with its nodes: status, timing, rows written, failures')
    .argument('<id>', 'invocation id (from `dema runs`)')
    .action((id: string) =>
      run(async (global, output) => {
        const [{ withWarehouse }, { listRunNodes, listRuns }] = await Promise.all([
          import('../context.ts'),
          import('../../history/store.ts'),
        ]);
        return withWarehouse(global, async ({ warehouse }) => {
          const [found] = await listRuns(warehouse, { id, limit: 1 });
          if (!found)
            throw new DemaError('USAGE', `No run with invocation id "${id}".`, {
              hint: 'List the runs with `dema runs`.',
            });
          const nodes = await listRunNodes(warehouse, id);
          if (output.json) {
            output.line(JSON.stringify({ ...runRow(found), nodes }));
            return 0;
          }
          const run = runRow(found);
          for (const key of [
            'invocation_id',
            'command',
            'args',
            'trigger',
            'status',
            'started',
            'finished',
            'seconds',
            'error',
          ])
            if (run[key] !== '') output.line(`${key.padEnd(14)}${String(run[key])}`);
          output.line(
            renderTable(
              nodes.map((node) => ({ ...node, seconds: node.execution_time.toFixed(2) })),
              [
                'unique_id',
                'resource_type',
                'status',
                'seconds',
                'rows_written',
                'failures',
                'failures_relation',
                'message',
              ],
            ),
          );
          return 0;
        });
      }),
    );
}
