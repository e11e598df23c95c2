import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DemaError } from '../../errors.ts';
import { readLock } from '../deps/install.ts';
import { type PackageSpec, readPackageSpecs } from '../deps/spec.ts';
import { BlockError, extractBlocks } from '../jinja/blocks.ts';
import { type MacroDef, macroDefsFromBlocks, UTILS_PACKAGE } from '../jinja/macros.ts';
import { type DbtProjectFile, loadProjectFile } from '../project/project-file.ts';
import { listFiles } from './files.ts';

/**
 * The packages `dema deps` installed (every directory of packages-install-path holding a
 * dbt_project.yml), read from disk only — parsing never touches the network. A package named in
 * packages.yml but not installed is an error that says to run `dema deps`, except dbt_utils, which
 * dema has built in.
 */

export interface InstalledPackage {
  readonly name: string;
  readonly dir: string;
  /** Where its files show in messages, e.g. `dbt_packages/dbt_utils`. */
  readonly label: string;
  readonly project: DbtProjectFile;
}

export function installedPackages(project: DbtProjectFile): InstalledPackage[] {
  const root = join(project.dir, project.packagesInstallPath);
  const found: InstalledPackage[] = [];
  if (existsSync(root))
    for (const entry of readdirSync(root).sort()) {
      const dir = join(root, entry);
      if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'dbt_project.yml'))) continue;
      const label = relative(project.dir, dir);
      let packageProject: DbtProjectFile;
      try {
        packageProject = loadProjectFile(dir);
      } catch (error) {
        if (error instanceof DemaError)
          throw new DemaError(
            error.code,
            `${label}/${error.message}`,
            error.hint ? { hint: error.hint } : {},
          );
        throw error;
      }
      found.push({ name: packageProject.name, dir, label, project: packageProject });
    }
  checkInstalled(project, new Set(found.map((p) => p.name)));
  return found;
}

/** The install name a packages.yml entry will get (the lock file knows it exactly). */
function expectedName(spec: PackageSpec): string {
  if (spec.kind === 'hub') return spec.package.split('/')[1]!;
  if (spec.kind === 'tarball') return spec.name;
  if (spec.kind === 'local') {
    const name = spec.path
      .replace(/[/\\]+$/, '')
      .split(/[/\\]/)
      .at(-1)!;
    return name;
  }
  const last = (spec.subdirectory ?? spec.git)
    .replace(/(\.git)?\/?$/, '')
    .split(/[/:]/)
    .at(-1)!;
  return last.replace(/-/g, '_');
}

function checkInstalled(project: DbtProjectFile, installed: ReadonlySet<string>): void {
  const specs = readPackageSpecs(project.dir, 'the root project');
  if (specs.length === 0) return;
  const locked = readLock(project.dir, specs);
  const wanted = locked
    ? locked.map((entry, index) => ({
        name: String(entry.name),
        where: `package-lock.yml entry ${index + 1}`,
      }))
    : specs.map((spec) => ({ name: expectedName(spec), where: spec.where }));
  for (const { name, where } of wanted) {
    if (installed.has(name) || (name === UTILS_PACKAGE && !locked)) continue;
    throw new DemaError(
      'DEPS_NOT_INSTALLED',
      `${where}: package "${name}" is not installed in ${project.packagesInstallPath}/.`,
      {
        hint: 'Run `dema deps` to install the packages of packages.yml.',
      },
    );
  }
}

/**
 * The macros of one package (or the root project): its macro-paths and `<test-paths>/generic`,
 * in its own namespace. `label` prefixes paths in messages (`dbt_packages/dbt_utils/`).
 */
export function readMacroFiles(project: DbtProjectFile, packageName: string, label: string): MacroDef[] {
  const defs: MacroDef[] = [];
  const files = [
    ...listFiles(project.dir, project.macroPaths, ['.sql']),
    ...listFiles(
      project.dir,
      project.testPaths.map((path) => `${path}/generic`),
      ['.sql'],
    ),
  ];
  for (const file of files) {
    const shown = label ? `${label}/${file.relative}` : file.relative;
    let blocks: ReturnType<typeof extractBlocks>;
    try {
      blocks = extractBlocks(readFileSync(file.absolute, 'utf8'));
    } catch (error) {
      if (error instanceof BlockError)
        throw new DemaError(
          'JINJA_SYNTAX',
          `${shown}:${error.line}: ${error.message.replace(/^line \d+: /, '')}`,
          {
            hint: 'Close every block.',
          },
        );
      throw error;
    }
    const materialization = blocks.find((block) => block.kind === 'materialization');
    if (materialization) {
      // A package's custom materialization is only an error when something uses it (dbt ignores
      // package overrides of built-in ones); the root project's is refused outright.
      if (!label)
        throw new DemaError(
          'JINJA_UNSUPPORTED',
          `${shown}:${materialization.line}: custom materialization "${materialization.name}" is not supported.`,
          { hint: 'dema implements view, table, incremental, ephemeral and seed natively; use one of them.' },
        );
    }
    defs.push(...macroDefsFromBlocks(blocks, packageName, shown));
  }
  return defs;
}

/**
 * One project whose files become nodes: the root project, or an installed package seen from the
 * root project — every path of its dbt_project.yml prefixed with where it is installed, so files
 * list and messages name them relative to the root (`dbt_packages/p/models/x.sql`).
 */
export interface ParseUnit {
  readonly name: string;
  readonly project: DbtProjectFile;
  /** '' for the root project, else the package's directory relative to the root (`dbt_packages/p`). */
  readonly label: string;
}

export function rootUnit(project: DbtProjectFile): ParseUnit {
  return { name: project.name, project, label: '' };
}

export function packageUnit(root: DbtProjectFile, pkg: InstalledPackage): ParseUnit {
  const under = (paths: readonly string[]) =>
    paths.map((path) => `${pkg.label}/${path.replace(/^\.\//, '')}`);
  const own = pkg.project;
  return {
    name: pkg.name,
    label: pkg.label,
    project: {
      ...own,
      dir: root.dir,
      modelPaths: under(own.modelPaths),
      seedPaths: under(own.seedPaths),
      testPaths: under(own.testPaths),
      macroPaths: under(own.macroPaths),
      snapshotPaths: under(own.snapshotPaths),
      analysisPaths: under(own.analysisPaths),
      docsPaths: under(own.docsPaths),
    },
  };
}
