import type { Command } from 'commander';
import { wholeNumber } from '../args.ts';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import { renderTable } from '../table.ts';

function print(output: Output, rows: readonly Record<string, unknown>[], columns: readonly string[]): void {
  if (output.json) for (const row of rows) output.line(JSON.stringify(row));
  else output.line(renderTable(rows, columns));
}

/** A reject's raw text for the terminal: control characters visible, long text cut (JSON keeps it whole). */
function shortRaw(raw: string): string {
  const visible = raw.replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return visible.length <= 200 ? visible : `${visible.slice(0, 200)}…`;
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
      run(async (global, output) => {
        const limit = wholeNumber('--limit', flags.limit);
        const [{ withWarehouse }, { listLoads }] = await Promise.all([
          import('../context.ts'),
          import('../../ingest/ledger.ts'),
        ]);
        return withWarehouse(global, async ({ warehouse }) => {
          const loads = await listLoads(warehouse, flags.source ? { source: flags.source } : {}, limit);
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
        });
      }),
    );
  program
    .command('rejects')
    .description('Show rejected rows with their file, line and reason')
    .option('--load <id>', 'only this load')
    .option('-n, --limit <n>', 'at most N rows', '50')
    .action((flags: { load?: string; limit: string }) =>
      run(async (global, output) => {
        const limit = wholeNumber('--limit', flags.limit);
        const [{ withWarehouse }, { listRejects }] = await Promise.all([
          import('../context.ts'),
          import('../../ingest/rejects.ts'),
        ]);
        return withWarehouse(global, async ({ warehouse }) => {
          const rejects = await listRejects(warehouse, flags.load, limit);
          // A record spanning lines shows its range; its bytes are at `offset+length` in the archived copy.
          const rows = rejects.map((r) => ({
            ...r,
            lines: r.last_line > r.line ? `${r.line}-${r.last_line}` : String(r.line),
            bytes: `${r.byte_offset}+${r.byte_length}`,
            raw: output.json ? r.raw : shortRaw(r.raw),
          }));
          print(output, rows, ['source', 'source_file', 'lines', 'bytes', 'reason', 'raw', 'load_id']);
          return 0;
        });
      }),
    );
}
