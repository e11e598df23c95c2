import { readFileSync } from 'node:fs';
import { DemaError } from '../../errors.ts';
import type { UnitTestRef, UnsupportedRef } from '../manifest/types.ts';
import type { DbtProjectFile } from '../project/project-file.ts';
import { readYamlFile, type YamlFile } from '../project/yaml-file.ts';
import { listFiles } from './files.ts';

/**
 * The dbt features dema does not run yet. Each is a coded error naming the file and line where the
 * project uses it: skipping one in silence would report a build green that dbt could fail (a wrong
 * unit test expectation, a snapshot never taken, a model version never built).
 */

const ISSUES = 'dema runs models, seeds, sources, data tests and hooks';

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

/**
 * The project's snapshots: `{% snapshot %}` blocks under snapshot-paths and `snapshots:` YAML
 * entries. dbt takes them only in `build` (and `snapshot`), so they are not an error at parse: the
 * runner refuses a build that would take one, and a ref to one names it (`snapshotUnsupported`).
 */
export function snapshotsIn(project: DbtProjectFile, yamlFiles: readonly YamlFile[]): UnsupportedRef[] {
  const found = new Map<string, UnsupportedRef>();
  for (const file of listFiles(project.dir, project.snapshotPaths, ['.sql'])) {
    const text = readFileSync(file.absolute, 'utf8');
    const blocks = [...text.matchAll(/\{%-?\s*snapshot\s+(\w+)/g)];
    if (blocks.length === 0 && text.trim()) {
      const name = file.relative
        .split('/')
        .at(-1)!
        .replace(/\.sql$/, '');
      found.set(name, { name, where: `${file.relative}:1` });
    }
    for (const block of blocks) {
      const line = text.slice(0, block.index).split('\n').length;
      found.set(block[1]!, { name: block[1]!, where: `${file.relative}:${line}` });
    }
  }
  const snapshotYaml = listFiles(project.dir, project.snapshotPaths, ['.yml', '.yaml']).map((file) =>
    readYamlFile(file.absolute, file.relative),
  );
  for (const file of [...yamlFiles, ...snapshotYaml]) {
    const entries = ((file.data ?? {}) as Record<string, unknown>).snapshots;
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: Record<string, unknown>, index) => {
      const name = String(entry?.name);
      if (!found.has(name))
        found.set(name, { name, where: `${file.path}:${file.lineOf(['snapshots', index]) ?? 1}` });
    });
  }
  return [...found.values()];
}

export function snapshotUnsupported(snapshot: UnsupportedRef, readBy?: string): DemaError {
  return unsupported(
    snapshot.where,
    `snapshot "${snapshot.name}"${readBy ? ` (read by ${readBy})` : ''}`,
    readBy
      ? 'build the history table with an incremental model instead.'
      : 'build the history table with an incremental model instead, or leave snapshots out as dbt does with --exclude-resource-type snapshot.',
  );
}

/**
 * A package's snapshots stay a parse error: the build gate (`snapshotUnsupported`) knows the root
 * project's selection only, so a package snapshot would otherwise be skipped in silence.
 */
export function refusePackageSnapshots(project: DbtProjectFile, yamlFiles: readonly YamlFile[]): void {
  const snapshot = snapshotsIn(project, yamlFiles)[0];
  if (snapshot)
    throw unsupported(
      snapshot.where,
      'a snapshot',
      'build the history table with an incremental model instead.',
    );
}
