import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compileNode } from '../src/dbt/compile/compile-node.ts';
import { parseProject } from '../src/dbt/parser/parse-project.ts';

/**
 * A generated dbt project of `models` models in layers (each refs up to three earlier ones, uses a
 * project macro and config()), with a schema YAML per folder giving every model two column tests.
 */
export function writeBigProject(dir: string, models: number, options: { dbtUtils?: string } = {}): void {
  rmSync(dir, { recursive: true, force: true });
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write(
    'dbt_project.yml',
    'name: big\nprofile: big\nmodels:\n  big:\n    +materialized: view\n    marts:\n      +materialized: table\n',
  );
  write('macros/cents.sql', '{% macro cents(column) -%}\n  toInt64({{ column }} * 100)\n{%- endmacro %}\n');
  const perFolder = 50;
  for (let folder = 0; folder * perFolder < models; folder++) {
    const layer = folder < models / perFolder / 2 ? 'staging' : 'marts';
    const yaml: string[] = ['version: 2', 'models:'];
    for (let i = folder * perFolder; i < Math.min(models, (folder + 1) * perFolder); i++) {
      const name = `m_${String(i).padStart(4, '0')}`;
      const parents =
        i === 0
          ? []
          : [...new Set([i - 1, Math.floor(i / 2), Math.floor(i / 3)])].filter((p) => p >= 0 && p < i);
      const from =
        parents.length === 0 ? 'numbers(10)' : `{{ ref('m_${String(parents[0]).padStart(4, '0')}') }}`;
      const joins = parents.slice(1).map((p) => `-- also reads {{ ref('m_${String(p).padStart(4, '0')}') }}`);
      const packaged = options.dbtUtils
        ? "  {{ dbt_utils.generate_surrogate_key(['id', 'region']) }} as key,\n  {{ dbt_utils.safe_divide('cents', 'id') }} as ratio,\n"
        : '';
      write(
        `models/${layer}/f${folder}/${name}.sql`,
        `{{ config(tags=['t${i % 7}']) }}\n${joins.join('\n')}\nselect\n  ${parents.length === 0 ? 'number' : 'id'} as id,\n${packaged}  {{ cents('1.5') }} as cents,\n  '{{ var('region', 'eu') }}' as region\nfrom ${from}\n{% if is_incremental() %}where id > 0{% endif %}\n`,
      );
      yaml.push(
        `  - name: ${name}`,
        `    description: Model ${i}.`,
        '    columns:',
        '      - name: id',
        '        description: The id.',
        '        data_tests: [unique, not_null]',
        ...(options.dbtUtils
          ? [
              '      - name: cents',
              '        data_tests:',
              '          - dbt_utils.accepted_range: {min_value: 0}',
              '          - dbt_utils.not_constant',
            ]
          : []),
      );
    }
    write(`models/${layer}/f${folder}/_schema.yml`, `${yaml.join('\n')}\n`);
  }
  if (options.dbtUtils) {
    // Installed as `dema deps` leaves a package: its release in dbt_packages/, named in packages.yml.
    if (!existsSync(options.dbtUtils)) throw new Error(`no dbt_utils release at ${options.dbtUtils}`);
    write('packages.yml', 'packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.4.1\n');
    cpSync(options.dbtUtils, join(dir, 'dbt_packages', 'dbt_utils'), { recursive: true });
  }
}

export interface ParseFigures {
  readonly models: number;
  readonly tests: number;
  readonly parseSeconds: number;
  readonly compileSeconds: number;
}

/** Parses the project and compiles every model and test, in this process (as `dema compile` does before running). */
export function parseAndCompile(dir: string): ParseFigures {
  const started = performance.now();
  const parsed = parseProject({
    projectDir: dir,
    target: { schema: 'big', name: 'dev', type: 'clickhouse' },
  });
  const parsedAt = performance.now();
  let models = 0;
  let tests = 0;
  for (const node of parsed.manifest.nodes.values()) {
    if (node.resourceType !== 'model' && node.resourceType !== 'test') continue;
    compileNode(parsed.context, node);
    if (node.resourceType === 'model') models++;
    else tests++;
  }
  return {
    models,
    tests,
    parseSeconds: (parsedAt - started) / 1000,
    compileSeconds: (performance.now() - parsedAt) / 1000,
  };
}
