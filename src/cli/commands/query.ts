import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DemaError } from '../../errors.ts';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import { renderTable } from '../table.ts';

const FORMATS: Record<string, string> = {
  table: 'JSONEachRow',
  csv: 'CSVWithNames',
  json: 'JSONEachRow',
  tsv: 'TSVWithNames',
};

function readSqlFile(path: string, how: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new DemaError('USAGE', `Cannot read the SQL ${how} ${path}: ${(error as Error).message}`, {
      hint: 'Pass an existing file with -f FILE, the SQL itself as the argument, or - to read stdin.',
    });
  }
}

/** The SQL to run: the argument, a .sql file named by it or by -f, or stdin for `-`. */
export function resolveQuerySql(argument: string | undefined, file: string | undefined): string {
  if (argument !== undefined && file !== undefined)
    throw new DemaError('USAGE', 'Pass the SQL either as the argument or with -f, not both.');
  let sql: string;
  if (file !== undefined) sql = readSqlFile(file, 'file');
  else if (argument === '-') sql = readSqlFile('-', 'from');
  // One word ending in .sql is never a statement: a file, even a missing one (a typo is named).
  else if (argument !== undefined && /^\S+\.sql$/i.test(argument)) sql = readSqlFile(argument, 'file');
  else if (argument !== undefined) sql = argument;
  else
    throw new DemaError('USAGE', 'No SQL given.', {
      hint: "e.g. dema query 'SELECT 1', dema query -f report.sql, or echo 'SELECT 1' | dema query -",
    });
  // A trailing semicolon is common in files; ClickHouse takes one statement without it.
  sql = sql.trim().replace(/;\s*$/, '');
  if (sql === '')
    throw new DemaError('USAGE', `The SQL ${file ?? (argument === '-' ? 'from stdin' : 'given')} is empty.`);
  return sql;
}

export function registerQuery(
  program: Command,
  run: (work: (g: GlobalOptions, o: Output) => Promise<number>) => void,
): void {
  program
    .command('query')
    .description(
      'Run SQL on the warehouse and print the result (the embedded engine has no port for desktop clients)',
    )
    .argument(
      '[sql]',
      'the SQL to run (unqualified tables resolve in the target database), a .sql file, or - for stdin',
    )
    .option('-f, --file <path>', 'read the SQL from this file')
    .option('--format <format>', `output: ${Object.keys(FORMATS).join(', ')}`, 'table')
    .action((argument: string | undefined, flags: { format: string; file?: string }) =>
      run(async (global, output) => {
        const format = output.json ? 'json' : flags.format;
        const clickhouseFormat = FORMATS[format];
        if (!clickhouseFormat)
          throw new DemaError('USAGE', `Unknown format "${format}".`, {
            hint: `Accepted: ${Object.keys(FORMATS).join(', ')}.`,
          });
        const sql = resolveQuerySql(argument, flags.file);
        const { withWarehouse } = await import('../context.ts');
        return withWarehouse(global, async ({ warehouse }) => {
          const text = await warehouse.queryText(sql, clickhouseFormat);
          if (format === 'table') {
            const rows = text
              .split('\n')
              .filter(Boolean)
              .map((line) => JSON.parse(line) as Record<string, unknown>);
            output.line(renderTable(rows));
          } else output.write(text);
          return 0;
        });
      }),
    );
}
