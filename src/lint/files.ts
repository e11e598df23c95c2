import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { DemaError } from '../errors.ts';

const SKIP_DIRS = new Set(['target', 'dbt_packages', 'dbt_modules', 'logs', 'node_modules']);

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) walk(path, out);
    } else if (entry.name.endsWith('.sql')) out.push(path);
  }
}

/** The project's own SQL directories (model, macro, test, analysis and snapshot paths). */
export function projectSqlDirs(projectDir: string, projectYaml: string): string[] {
  const doc = (parse(projectYaml) ?? {}) as Record<string, unknown>;
  const list = (key: string, fallback: string) =>
    Array.isArray(doc[key]) ? (doc[key] as string[]) : [fallback];
  return [
    ...list('model-paths', 'models'),
    ...list('macro-paths', 'macros'),
    ...list('test-paths', 'tests'),
    ...list('analysis-paths', 'analyses'),
    ...list('snapshot-paths', 'snapshots'),
  ]
    .map((p) => resolve(projectDir, p))
    .filter((p) => existsSync(p));
}

/** Every .sql file under the given files/directories, sorted, each with its project-relative path. */
export function sqlFiles(projectDir: string, paths: readonly string[]): { file: string; path: string }[] {
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p))
      throw new DemaError('USAGE', `dema lint: ${p} does not exist.`, {
        hint: 'Pass .sql files or directories of the dbt project.',
      });
    if (statSync(p).isDirectory()) walk(p, files);
    else files.push(p);
  }
  return [...new Set(files.map((f) => resolve(f)))]
    .sort()
    .map((file) => ({ file, path: relative(projectDir, file).split(sep).join('/') }));
}
