import type { Command } from 'commander';
import { DemaError } from '../../errors.ts';
import { type GlobalOptions, withWarehouse } from '../context.ts';
import type { Output } from '../output.ts';
import { renderTable } from '../table.ts';

const FORMATS: Record<string, string> = {
  table: 'JSONEachRow',
  csv: 'CSVWithNames',
  json: 'JSONEachRow',
  tsv: 'TSVWithNames',
};

export function registerQuery(
  program: Command,
  run: (work: (g: GlobalOptions, o: Output) => Promise<number>) => void,
): void {
  program
    .command('query')
    .description(
      'Run SQL on the warehouse and print the result (the embedded engine has no port for desktop clients)',
    )
    .argument('<sql>', 'the SQL to run; unqualified tables resolve in the target database')
    .option('--format <format>', `output: ${Object.keys(FORMATS).join(', ')}`, 'table')
    .action((sql: string, flags: { format: string }) =>
      run((global, output) =>
        withWarehouse(global, async ({ warehouse }) => {
          const format = output.json ? 'json' : flags.format;
          const clickhouseFormat = FORMATS[format];
          if (!clickhouseFormat)
            throw new DemaError('USAGE', `Unknown format "${format}".`, {
              hint: `Accepted: ${Object.keys(FORMATS).join(', ')}.`,
            });
          const text = await warehouse.queryText(sql, clickhouseFormat);
          if (format === 'table') {
            const rows = text
              .split('\n')
              .filter(Boolean)
              .map((line) => JSON.parse(line) as Record<string, unknown>);
            output.line(renderTable(rows));
          } else process.stdout.write(text);
          return 0;
        }),
      ),
    );
}
