import { DemaError } from '../../errors.ts';
import type { UnitTestRef } from '../manifest/types.ts';
import type { DbtProjectFile } from '../project/project-file.ts';
import type { YamlFile } from '../project/yaml-file.ts';
import { listFiles } from './files.ts';

/**
 * The dbt features dema does not run yet. Each is a coded error naming the file and line where the
 * project uses it: skipping one in silence would report a build green that dbt could fail (a wrong
 * unit test expectation, a model version never built).
 */

const ISSUES = 'dema runs models, seeds, snapshots, sources, data tests and hooks';

function unsupported(where: string, what: string, hint: string): DemaError {
  return new DemaError('DBT_UNSUPPORTED', `${where}: ${what} is not supported by dema yet.`, {
    hint: `${ISSUES}; ${hint}`,
  });
}

/**
 * The unit tests of property YAML files. dbt runs them only in `build` and `test`, so they are not
 * an error at parse: `run`, `seed`, `compile`, `ls` and `docs` work on a project that has some, and
 * the runner refuses a command that would run one (`unitTestUnsupported`).
 */
export function unitTestsIn(files: readonly YamlFile[], packageName: string): UnitTestRef[] {
  const found: UnitTestRef[] = [];
  for (const file of files) {
    const data = (file.data ?? {}) as Record<string, unknown>;
    if (!Array.isArray(data.unit_tests)) continue;
    (data.unit_tests as Record<string, unknown>[]).forEach((entry, index) => {
      const name = String(entry?.name);
      const model = String(entry?.model);
      found.push({
        uniqueId: `unit_test.${packageName}.${model}.${name}`,
        name,
        model,
        where: `${file.path}:${file.lineOf(['unit_tests', index]) ?? 1}`,
        packageName,
        spec: entry ?? {},
      });
    });
  }
  return found;
}

export function unitTestUnsupported(unitTest: UnitTestRef): DemaError {
  return unsupported(
    unitTest.where,
    `unit test "${unitTest.name}" (unit_tests:)`,
    'run it with dbt, or leave unit tests out as dbt does with --exclude-resource-type unit_test (its expectation is then not checked).',
  );
}

/** Property YAML entries dema would otherwise ignore: model versions. */
export function checkUnsupportedYaml(files: readonly YamlFile[]): void {
  for (const file of files) {
    const data = (file.data ?? {}) as Record<string, unknown>;
    const at = (path: (string | number)[]) => `${file.path}:${file.lineOf(path) ?? 1}`;
    const list = (key: string) => (Array.isArray(data[key]) ? (data[key] as Record<string, unknown>[]) : []);
    list('models').forEach((model, index) => {
      if (model?.versions !== undefined || model?.latest_version !== undefined)
        throw unsupported(
          at(['models', index, model.versions !== undefined ? 'versions' : 'latest_version']),
          `model versions (versions: of "${String(model.name)}")`,
          'give each version its own model name.',
        );
    });
  }
}

/** Python models: files dema would otherwise never read. */
export function checkUnsupportedFiles(project: DbtProjectFile): void {
  const python = listFiles(project.dir, project.modelPaths, ['.py'])[0];
  if (python) throw unsupported(`${python.relative}:1`, 'a Python model', 'rewrite it as a SQL model.');
}
