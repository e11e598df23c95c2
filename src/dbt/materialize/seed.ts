import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../csv-text.ts';
import { DemaError } from '../../errors.ts';
import { versionAtLeast } from '../../warehouse/capabilities.ts';
import { quoteIdent } from '../../warehouse/sql.ts';
import type { DbtNode } from '../manifest/types.ts';
import { dropTable, engineClause, rel, type TableRef } from './ddl.ts';
import { Executor } from './executor.ts';
import { canExchange, helperOf, liveState, type MaterializeEnv, type Outcome } from './materialize.ts';
import { publishWhole } from './publish.ts';

/**
 * Seeds: column types inferred as dbt-clickhouse does (Int32 / Float32 / Date / DateTime / Bool /
 * String, dbt-semantics.md §7.10) unless `column_types` says otherwise; the file's bytes go to
 * ClickHouse through the same byte path as ingest, never row-by-row INSERTs.
 */

const TESTERS: [string, RegExp][] = [
  ['Int32', /^-?\d+$/],
  ['Float32', /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/],
  ['Date', /^\d{4}-\d{2}-\d{2}$/],
  ['DateTime', /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/],
  ['Bool', /^(true|false)$/i],
];

/**
 * With `nullable` (the default, seed config `infer_nullable`), a column with an empty cell is
 * Nullable, so the cell loads as NULL as dbt's seeds do on other adapters; off, it loads as the
 * type's default ('' / 0), as dbt-clickhouse does.
 */
export function inferSeedTypes(
  rows: readonly string[][],
  header: readonly string[],
  overrides: Record<string, string>,
  nullable = true,
): { name: string; type: string }[] {
  return header.map((name, index) => {
    if (overrides[name]) return { name, type: overrides[name]! };
    const cells = rows.filter((row) => !(row.length === 1 && row[0] === '')).map((row) => row[index] ?? '');
    const values = cells.filter((value) => value !== '' && value.toLowerCase() !== 'null');
    const type = inferType(values);
    return { name, type: nullable && values.length < cells.length ? `Nullable(${type})` : type };
  });
}

function inferType(values: readonly string[]): string {
  if (values.length === 0) return 'String';
  for (const [type, pattern] of TESTERS) {
    if (!values.every((value) => pattern.test(value))) continue;
    if (type === 'Int32' && values.some((value) => Math.abs(Number(value)) > 2_147_483_647)) return 'Int64';
    return type;
  }
  return 'String';
}

export async function loadSeed(node: DbtNode, projectDir: string, env: MaterializeEnv): Promise<Outcome> {
  const file = join(projectDir, node.seedFile!);
  const text = readFileSync(file, 'utf8');
  const delimiter = seedDelimiter(node);
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''), delimiter);
  if (!header || header.length === 0)
    throw new DemaError('EXEC_MODEL', `${node.seedFile}: the seed is empty (no header row).`, {
      hint: 'A seed CSV needs a header row naming its columns.',
    });
  rows.forEach((row, index) => {
    if (row.length !== header.length && !(row.length === 1 && row[0] === ''))
      throw new DemaError(
        'EXEC_MODEL',
        `${node.seedFile}:${index + 2}: ${row.length} fields, the header has ${header.length}.`,
        { hint: 'Fix that line of the seed CSV.' },
      );
  });
  const columns = inferSeedTypes(
    rows,
    header,
    (node.config.column_types as Record<string, string>) ?? {},
    node.config.infer_nullable !== false,
  );
  const target: TableRef = { schema: node.schema, name: node.alias };
  const existing = env.cache.get(target.schema, target.name);
  const exec = new Executor(env.warehouse, env.signal);
  if (existing?.type === 'view')
    throw new DemaError('EXEC_MODEL', `Seed ${node.name}: ${rel(target)} is a view.`, {
      hint: 'Drop the view or rename the seed.',
    });
  // The seed's rows go into a helper, which then replaces the live table in one statement (the publish
  // protocol, ./publish.ts): a seed whose insert fails (a value its column type refuses, a cut stream)
  // leaves the live table exactly as it was, not truncated or half-loaded.
  const helper = helperOf(target, 'tmp', env);
  const backup = helperOf(target, 'backup', env);
  const quote = node.config.quote_columns !== false;
  const definition = columns.map((c) => `${quote ? quoteIdent(c.name) : c.name} ${c.type}`).join(',\n  ');
  try {
    await exec.run(dropTable(helper));
    await exec.run(`create table ${rel(helper)} (\n  ${definition}\n)\n  ${engineClause(node.config)}`);
    exec.statements.push(`insert into ${rel(helper)} format CSVWithNames <${node.seedFile}>`);
    await insertSeed(env, helper, header, file, rows, columns, delimiter);
    await exec.run(
      publishWhole(target, helper, backup, liveState(env, target), {
        exchange: canExchange(env, target.schema),
      }),
    );
  } finally {
    await exec.dropQuietly([helper, backup]);
  }
  await env.cache.refresh(target.schema, target.name);
  const loaded = rows.filter((row) => !(row.length === 1 && row[0] === '')).length;
  return { message: `INSERT ${loaded}`, rowsWritten: loaded, bytesRead: 0, statements: exec.statements };
}

/** dbt's seed config `delimiter`: one character, ',' by default. */
function seedDelimiter(node: DbtNode): string {
  const delimiter = node.config.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1)
    throw new DemaError(
      'CONFIG_INVALID',
      `Seed ${node.name}: delimiter ${JSON.stringify(delimiter)} is not one character.`,
      {
        hint: 'Set the seed config delimiter to a single character, e.g. ";" or "|".',
      },
    );
  return delimiter;
}

/** The seed as CSV with `\N` (ClickHouse's NULL) for the empty cells of the Nullable columns. */
export function csvWithNulls(
  header: readonly string[],
  rows: readonly string[][],
  nullable: readonly number[],
): Buffer {
  const field = (value: string) => `"${value.replace(/"/g, '""')}"`;
  const lines = [header.map(field).join(',')];
  for (const row of rows) {
    if (row.length === 1 && row[0] === '') continue;
    lines.push(
      row.map((value, i) => (value === '' && nullable.includes(i) ? '\\N' : field(value))).join(','),
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function* once(buffer: Buffer): AsyncIterable<Buffer> {
  yield buffer;
}

/** The seed file's rows into `table`, through the byte path (ClickHouse parses the CSV). */
async function insertSeed(
  env: MaterializeEnv,
  table: TableRef,
  header: string[],
  file: string,
  rows: string[][],
  columns: readonly { name: string; type: string }[],
  delimiter: string,
): Promise<void> {
  const modern = versionAtLeast(env.warehouse.capabilities.version, '19.1');
  const nullable = columns.flatMap((column, index) => (column.type.startsWith('Nullable(') ? [index] : []));
  await env.warehouse.insertBytes({
    table: table.name,
    database: table.schema,
    columns: header,
    format: 'CSVWithNames',
    // 18.x reads an empty CSV field as '' / 0 even in a Nullable column: the (small) seed is re-sent
    // with \N there. Later servers read it as NULL through input_format_csv_empty_as_default.
    // Another delimiter: the parsed rows go as comma CSV, so ClickHouse needs no format setting.
    chunks:
      (modern || nullable.length === 0) && delimiter === ','
        ? createReadStream(file)
        : once(csvWithNulls(header, rows, nullable)),
    // Both settings exist from 19.x on (and empty-as-default is their default since); 18.x rejects them.
    ...(modern
      ? { settings: { input_format_csv_empty_as_default: 1, date_time_input_format: 'best_effort' } }
      : {}),
  });
}
