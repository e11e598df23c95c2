import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { DemaError } from '../../errors.ts';
import { loadProjectFile } from '../project/project-file.ts';
import { readYamlFile } from '../project/yaml-file.ts';
import { hubUrl } from './hub.ts';
import { type Pinned, resolvePackages } from './resolve.ts';
import { parseSpec } from './semver.ts';
import { type PackageSpec, readPackageSpecs, specsHash } from './spec.ts';

/**
 * `dema deps`: resolve (or read the lock), fetch into a staging directory, then replace the
 * install directory in one rename, and write package-lock.yml. Until the rename, the previous
 * install is untouched; a failed fetch leaves it as it was.
 */

export const LOCK_FILE = 'package-lock.yml';

export interface DepsOptions {
  readonly projectDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Re-resolve even when the lock file matches (`--upgrade`). */
  readonly upgrade?: boolean;
  readonly emit: (message: string) => void;
}

export interface DepsResult {
  readonly installed: { name: string; source: string }[];
  readonly fromLock: boolean;
  readonly installPath: string;
}

/** The lock file's entries when it was written for exactly these specs, else undefined. */
export function readLock(
  projectDir: string,
  specs: readonly PackageSpec[],
): Record<string, unknown>[] | undefined {
  const file = join(projectDir, LOCK_FILE);
  if (!existsSync(file)) return undefined;
  const data = readYamlFile(file, LOCK_FILE).data as { packages?: unknown; sha1_hash?: unknown } | null;
  if (!data || data.sha1_hash !== specsHash(specs) || !Array.isArray(data.packages)) return undefined;
  return data.packages as Record<string, unknown>[];
}

/** A locked entry as a spec pinned to exactly what was installed. */
function lockedSpec(entry: Record<string, unknown>, index: number, projectDir: string): PackageSpec {
  const where = `${LOCK_FILE} entry ${index + 1}`;
  const base = { where, requiredBy: LOCK_FILE, raw: entry };
  if (typeof entry.package === 'string' && parseSpec(String(entry.version)))
    return {
      kind: 'hub',
      ...base,
      package: entry.package,
      range: parseSpec(String(entry.version))!,
      installPrerelease: true,
    };
  if (typeof entry.git === 'string')
    return {
      kind: 'git',
      ...base,
      git: entry.git,
      revision: entry.revision === undefined ? undefined : String(entry.revision),
      subdirectory: entry.subdirectory === undefined ? undefined : String(entry.subdirectory),
    };
  if (typeof entry.tarball === 'string')
    return { kind: 'tarball', ...base, tarball: entry.tarball, name: String(entry.name ?? '') };
  if (typeof entry.local === 'string')
    return { kind: 'local', ...base, local: entry.local, path: resolve(projectDir, entry.local) };
  throw new DemaError('DEPS_SPEC', `${where} is not a package entry.`, {
    hint: `Delete ${LOCK_FILE} and run dema deps again.`,
  });
}

function sortedKeys(entry: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(entry)
      .sort()
      .map((key) => [key, entry[key]]),
  );
}

function writeLock(projectDir: string, pinned: readonly Pinned[], hash: string): void {
  const text = stringify(
    { packages: pinned.map((p) => sortedKeys({ ...p.lock, name: p.name })), sha1_hash: hash },
    { indent: 2, indentSeq: true },
  );
  const file = join(projectDir, LOCK_FILE);
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/** Moves the staged packages into place: build the new directory beside the old, then swap. */
function installAll(pinned: readonly Pinned[], installPath: string): void {
  mkdirSync(dirname(installPath), { recursive: true });
  const fresh = `${installPath}.new-${process.pid}`;
  rmSync(fresh, { recursive: true, force: true });
  mkdirSync(fresh);
  for (const p of pinned) {
    const target = join(fresh, p.name);
    if (p.link) symlinkSync(resolve(p.dir), target, 'dir');
    else cpSync(p.dir, target, { recursive: true, filter: (source) => !/[/\\]\.git$/.test(source) });
  }
  const old = `${installPath}.old-${process.pid}`;
  if (existsSync(installPath)) renameSync(installPath, old);
  renameSync(fresh, installPath);
  rmSync(old, { recursive: true, force: true });
}

export async function installDeps(options: DepsOptions): Promise<DepsResult> {
  const project = loadProjectFile(options.projectDir);
  const installPath = resolve(project.dir, project.packagesInstallPath);
  const specs = readPackageSpecs(project.dir, 'the root project');
  if (specs.length === 0) return { installed: [], fromLock: false, installPath };
  const locked = options.upgrade ? undefined : readLock(project.dir, specs);
  const staging = mkdtempSync(join(tmpdir(), 'dema-deps-'));
  try {
    const resolveOptions = { projectDir: project.dir, hub: hubUrl(options.env), staging, emit: options.emit };
    const pinned = locked
      ? await resolvePackages(
          locked.map((entry, index) => lockedSpec(entry, index, project.dir)),
          { ...resolveOptions, transitive: false },
        )
      : await resolvePackages(specs, resolveOptions);
    installAll(pinned, installPath);
    if (!locked) writeLock(project.dir, pinned, specsHash(specs));
    return {
      installed: pinned.map((p) => ({ name: p.name, source: sourceOf(p) })),
      fromLock: locked !== undefined,
      installPath,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function sourceOf(p: Pinned): string {
  if (typeof p.lock.package === 'string') return `${p.lock.package}@${String(p.lock.version)}`;
  if (typeof p.lock.tarball === 'string') return `tarball ${p.lock.tarball}`;
  if (typeof p.lock.git === 'string') return `${p.lock.git}@${String(p.lock.revision).slice(0, 12)}`;
  return `local ${String(p.lock.local)}`;
}
