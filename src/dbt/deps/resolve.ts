import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { DemaError } from '../../errors.ts';
import { readYamlFile } from '../project/yaml-file.ts';
import { cloneAt } from './git.ts';
import { downloadTarball, resolveHubRelease } from './hub.ts';
import { formatRange, intersect, isEmpty, parseVersion, type Range, satisfies } from './semver.ts';
import { type GitSpec, type HubSpec, type PackageSpec, readPackageSpecs } from './spec.ts';
import { extractPackage } from './tar.ts';

/**
 * Transitive resolution, as dbt's resolver: start from the project's entries; merge the entries
 * for one package (hub: intersect the version ranges, git: one revision per URL); fetch each
 * package once into a staging directory and add its own packages.yml entries; repeat until no new
 * entry appears. A local or git package satisfies a hub entry of the same package name (so a
 * project can point a package's dependency at a local copy and stay offline).
 */

export interface Pinned {
  readonly key: string;
  /** The package's project name: what it is installed as. */
  readonly name: string;
  /** Where its files are now: a staged download or clone, or the local directory itself. */
  readonly dir: string;
  /** A local package is linked, not copied (as dbt). */
  readonly link: boolean;
  /** Its package-lock.yml entry (without `name`). */
  readonly lock: Readonly<Record<string, unknown>>;
  readonly requiredBy: string;
  /** A hub package's version, to re-check when a later requirer narrows the range. */
  readonly version?: string;
}

interface Wanted {
  spec: PackageSpec;
  range: Range;
  readonly requirers: { who: string; where: string; range?: Range }[];
}

export interface ResolveOptions {
  readonly projectDir: string;
  readonly hub: string;
  /** Scratch space for downloads and clones; the caller removes it. */
  readonly staging: string;
  readonly emit: (message: string) => void;
  /** false when installing from the lock file, which already lists every package. */
  readonly transitive?: boolean;
}

const keyOf = (spec: PackageSpec): string =>
  spec.kind === 'hub'
    ? `hub:${spec.package}`
    : spec.kind === 'git'
      ? `git:${spec.git.replace(/(\.git)?\/?$/, '')}#${spec.subdirectory ?? ''}`
      : spec.kind === 'tarball'
        ? `tarball:${spec.tarball}`
        : `local:${spec.path}`;

const describeRequirers = (wanted: Wanted) =>
  wanted.requirers
    .map((r) => `${r.who} (${r.where})${r.range ? ` requires ${formatRange(r.range)}` : ''}`)
    .join('; ');

function incorporate(wantedByKey: Map<string, Wanted>, spec: PackageSpec): string {
  const key = keyOf(spec);
  const requirer = {
    who: spec.requiredBy,
    where: spec.where,
    ...(spec.kind === 'hub' ? { range: spec.range } : {}),
  };
  const existing = wantedByKey.get(key);
  if (!existing) {
    wantedByKey.set(key, { spec, range: spec.kind === 'hub' ? spec.range : {}, requirers: [requirer] });
    return key;
  }
  existing.requirers.push(requirer);
  if (spec.kind === 'hub') {
    existing.range = intersect(existing.range, spec.range);
    if (isEmpty(existing.range))
      throw new DemaError(
        'DEPS_CONFLICT',
        `Version conflict for package ${spec.package}: ${describeRequirers(existing)}. No version satisfies all of them.`,
        {
          hint: 'Change one of the version ranges so that they overlap (or upgrade the package that pins the old range).',
        },
      );
  } else if (spec.kind === 'git') {
    const before = (existing.spec as GitSpec).revision ?? 'HEAD';
    if ((spec.revision ?? 'HEAD') !== before)
      throw new DemaError(
        'DEPS_CONFLICT',
        `Revision conflict for git package ${spec.git}: ${existing.requirers[0]!.who} (${existing.requirers[0]!.where}) wants ${before}, ${spec.requiredBy} (${spec.where}) wants ${spec.revision ?? 'HEAD'}.`,
        { hint: 'Ask for the same revision everywhere.' },
      );
  }
  return key;
}

/** The `name:` of a package's dbt_project.yml. */
export function projectNameOf(dir: string, what: string): string {
  const file = join(dir, 'dbt_project.yml');
  if (!existsSync(file))
    throw new DemaError('DEPS_SPEC', `${what}: ${dir} has no dbt_project.yml, so it is not a dbt package.`, {
      hint: 'Point the entry at the directory holding dbt_project.yml (git: use subdirectory:).',
    });
  const name = (readYamlFile(file, `${what}/dbt_project.yml`).data as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || !/^[^\d\W]\w*$/.test(name))
    throw new DemaError('DEPS_SPEC', `${what}: its dbt_project.yml has no valid name:.`);
  return name;
}

let counter = 0;

async function fetchPackage(wanted: Wanted, key: string, options: ResolveOptions): Promise<Pinned> {
  const { spec } = wanted;
  if (spec.kind === 'local') {
    if (!existsSync(spec.path))
      throw new DemaError(
        'DEPS_NOT_FOUND',
        `${spec.where}: local package ${spec.local} does not exist (${spec.path}).`,
        {
          hint: 'local: paths are relative to the directory of the file that names them.',
        },
      );
    const name = projectNameOf(spec.path, `${spec.where}: local package ${spec.local}`);
    const local = isAbsolute(spec.local) ? spec.local : relative(options.projectDir, spec.path) || '.';
    return { key, name, dir: spec.path, link: true, lock: { local }, requiredBy: spec.requiredBy };
  }
  const dir = join(options.staging, `p${++counter}`);
  if (spec.kind === 'git') {
    options.emit(`Installing ${spec.git}${spec.revision ? `@${spec.revision}` : ''}`);
    const sha = cloneAt(spec, dir);
    const root = spec.subdirectory ? join(dir, spec.subdirectory) : dir;
    const name = projectNameOf(root, `${spec.where}: git package ${spec.git}`);
    const lock = {
      git: spec.git,
      revision: sha,
      ...(spec.subdirectory ? { subdirectory: spec.subdirectory } : {}),
    };
    return { key, name, dir: root, link: false, lock, requiredBy: spec.requiredBy };
  }
  if (spec.kind === 'tarball') {
    options.emit(`Installing ${spec.tarball}`);
    const what = `${spec.where}: tarball package ${spec.tarball}`;
    mkdirSync(dir, { recursive: true });
    extractPackage(await downloadTarball({ tarball: spec.tarball }, what), dir, what);
    const name = projectNameOf(dir, what);
    return { key, name, dir, link: false, lock: { tarball: spec.tarball }, requiredBy: spec.requiredBy };
  }
  const hubSpec: HubSpec = { ...spec, range: wanted.range };
  const release = await resolveHubRelease(options.hub, hubSpec, describeRequirers(wanted));
  options.emit(`Installing ${spec.package}@${release.version}`);
  const archive = await downloadTarball(release, `${spec.where}: package ${spec.package}@${release.version}`);
  mkdirSync(dir, { recursive: true });
  extractPackage(archive, dir, `${spec.package}@${release.version}`);
  const name = projectNameOf(dir, `package ${spec.package}@${release.version}`);
  return {
    key,
    name,
    dir,
    link: false,
    lock: { package: spec.package, version: release.version },
    requiredBy: spec.requiredBy,
    version: release.version,
  };
}

/** Resolves and fetches every package the project needs, transitively; returns them in resolution order. */
export async function resolvePackages(
  rootSpecs: readonly PackageSpec[],
  options: ResolveOptions,
): Promise<Pinned[]> {
  const wantedByKey = new Map<string, Wanted>();
  const pinned = new Map<string, Pinned>();
  let pending: PackageSpec[] = [...rootSpecs];
  for (let round = 0; pending.length > 0; round++) {
    if (round > 100)
      throw new DemaError('DEPS_CONFLICT', 'Package resolution does not settle (a dependency cycle?).');
    const touched = new Set<string>();
    for (const spec of pending) {
      // A hub entry for a package already provided locally or by git is satisfied by that copy.
      if (
        spec.kind === 'hub' &&
        [...pinned.values()].some((p) => !p.version && p.name === spec.package.split('/')[1])
      )
        continue;
      touched.add(incorporate(wantedByKey, spec));
    }
    const next: PackageSpec[] = [];
    for (const key of touched) {
      const wanted = wantedByKey.get(key)!;
      const have = pinned.get(key);
      if (have && (!have.version || satisfies(parseVersion(have.version)!, wanted.range))) continue;
      const fetched = await fetchPackage(wanted, key, options);
      pinned.set(key, fetched);
      if (options.transitive !== false)
        next.push(...readPackageSpecs(fetched.dir, `package ${fetched.name}`, `${fetched.name}/`));
    }
    pending = next;
  }
  return dedupeByName([...pinned.values()]);
}

/** One package per install name: a local/git copy wins over a hub release of the same package. */
function dedupeByName(all: Pinned[]): Pinned[] {
  const byName = new Map<string, Pinned>();
  for (const p of all) {
    const other = byName.get(p.name);
    if (!other) byName.set(p.name, p);
    else if (other.version && !p.version) byName.set(p.name, p);
    else if (!other.version && !p.version && other.key !== p.key)
      throw new DemaError(
        'DEPS_CONFLICT',
        `Two different sources install package "${p.name}": ${other.key.replace(/^\w+:/, '')} (from ${other.requiredBy}) and ${p.key.replace(/^\w+:/, '')} (from ${p.requiredBy}).`,
        { hint: 'Keep one entry for the package.' },
      );
  }
  return all.filter((p) => byName.get(p.name) === p);
}
