import type { Command } from 'commander';
import { listLoads } from '../../ingest/ledger.ts';
import { listRejects } from '../../ingest/rejects.ts';
import { type GlobalOptions, withWarehouse } from '../context.ts';
import type { Output } from '../output.ts';
import { renderTable } from '../table.ts';

function print(output: Output, rows: readonly Record<string, unknown>[], columns: readonly string[]): void {
  if (output.json) for (const row of rows) output.line(JSON.stringify(row));
  else output.line(renderTable(rows, columns));
}

export function registerLoads(
  program: Command,
  run: (work: (g: GlobalOptions, o: Output) => Promise<number>) => void,
): void {
  program
    .command('loads')
    .description('Show the load ledger: every load with its file hash, counts and status')
    .option('-s, --source <name>', 'only this source')
    .option('-n, --limit <n>', 'most recent N loads', '20')
    .action((flags: { source?: string; limit: string }) =>
      run((global, output) =>
        withWarehouse(global, async ({ warehouse }) => {
          const loads = await listLoads(
            warehouse,
            flags.source ? { source: flags.source } : {},
            Number(flags.limit),
          );
          const rows = loads.map((l) => ({
            ...l,
            started: new Date(l.started_at * 1000).toISOString(),
            sha256: output.json ? l.sha256 : l.sha256.slice(0, 12),
          }));
          print(output, rows, [
            'load_id',
            'source',
            'merchant',
            'status',
            'started',
            'rows_read',
            'rows_loaded',
            'rows_rejected',
            'sha256',
            'error',
          ]);
          return 0;
        }),
      ),
    );
  program
    .command('rejects')
    .description('Show rejected rows with their file, line and reason')
    .option('--load <id>', 'only this load')
    .option('-n, --limit <n>', 'at most N rows', '50')
    .action((flags: { load?: string; limit: string }) =>
      run((global, output) =>
        withWarehouse(global, async ({ warehouse }) => {
          const rows = await listRejects(warehouse, flags.load, Number(flags.limit));
          print(output, rows as unknown as Record<string, unknown>[], [
            'source',
            'source_file',
            'line',
            'reason',
            'raw',
            'load_id',
          ]);
          return 0;
        }),
      ),
    );
}
