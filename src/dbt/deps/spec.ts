import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DemaError } from '../../errors.ts';
import { readYamlFile } from '../project/yaml-file.ts';
import { intersect, parseSpec, type Range } from './semver.ts';

/**
 * The package entries of a project (packages.yml, or dependencies.yml's `packages:`), each with the
 * file:line it came from so every later error can point at it.
 */

interface SpecBase {
  /** `packages.yml:4`, for messages. */
  readonly where: string;
  /** Who asked for it: `the root project` or `package <name>`. */
  readonly requiredBy: string;
  /** The entry as written (for the lock file's sha1_hash). */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface HubSpec extends SpecBase {
  readonly kind: 'hub';
  /** `org/name` on the hub. */
  readonly package: string;
  readonly range: Range;
  readonly installPrerelease: boolean;
}

export interface GitSpec extends SpecBase {
  readonly kind: 'git';
  readonly git: string;
  readonly revision: string | undefined;
  readonly subdirectory: string | undefined;
}

export interface LocalSpec extends SpecBase {
  readonly kind: 'local';
  /** As written. */
  readonly local: string;
  /** Absolute: resolved against the directory of the file that declared it. */
  readonly path: string;
}

export interface TarballSpec extends SpecBase {
  readonly kind: 'tarball';
  readonly tarball: string;
  /** dbt requires it with a tarball; the install name still comes from the package's dbt_project.yml. */
  readonly name: string;
}

export type PackageSpec = HubSpec | GitSpec | LocalSpec | TarballSpec;

export const SPEC_FILES = ['packages.yml', 'dependencies.yml'] as const;

/** The package entries declared in `dir` (a project or an installed package); [] when none. */
export function readPackageSpecs(dir: string, requiredBy: string, label = ''): PackageSpec[] {
  const found = SPEC_FILES.map((name) => ({ name, file: join(dir, name) }))
    .filter(({ file }) => existsSync(file))
    .map(({ name, file }) => ({ name, yaml: readYamlFile(file, `${label}${name}`) }))
    .filter(({ yaml }) => Array.isArray((yaml.data as { packages?: unknown } | null)?.packages));
  if (found.length > 1)
    throw new DemaError(
      'DEPS_SPEC',
      `${label}packages.yml and ${label}dependencies.yml both list packages.`,
      {
        hint: 'Keep the packages: list in one of the two files (dbt refuses both).',
      },
    );
  const [chosen] = found;
  if (!chosen) return [];
  const entries = (chosen.yaml.data as { packages: unknown[] }).packages;
  return entries.map((entry, index) => {
    const line = chosen.yaml.lineOf(['packages', index]);
    const where = `${label}${chosen.name}${line ? `:${line}` : ''}`;
    return specOf(entry, where, requiredBy, dir);
  });
}

function specOf(entry: unknown, where: string, requiredBy: string, dir: string): PackageSpec {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry))
    throw new DemaError('DEPS_SPEC', `${where}: a package entry must be a mapping.`, {
      hint: 'Write e.g. "- package: dbt-labs/dbt_utils" with "version: [\\">=1.0.0\\", \\"<2.0.0\\"]".',
    });
  const raw = entry as Record<string, unknown>;
  const base = { where, requiredBy, raw };
  if (typeof raw.package === 'string') {
    if (!/^[\w.-]+\/[\w.-]+$/.test(raw.package))
      throw new DemaError('DEPS_SPEC', `${where}: package "${raw.package}" is not of the form org/name.`, {
        hint: 'Hub packages are named like dbt-labs/dbt_utils.',
      });
    if (raw.version === undefined)
      throw new DemaError('DEPS_SPEC', `${where}: package "${raw.package}" has no version.`, {
        hint: 'Pin a version or a range, e.g. version: [">=1.0.0", "<2.0.0"].',
      });
    const texts = (Array.isArray(raw.version) ? raw.version : [raw.version]).map(String);
    let range: Range = {};
    for (const text of texts) {
      const parsed = parseSpec(text);
      if (!parsed)
        throw new DemaError('DEPS_SPEC', `${where}: "${text}" is not a version or a version range.`, {
          hint: 'Use major.minor.patch with an optional >=, >, <=, < or = in front.',
        });
      range = intersect(range, parsed);
    }
    return {
      kind: 'hub',
      ...base,
      package: raw.package,
      range,
      installPrerelease: raw['install-prerelease'] === true,
    };
  }
  if (typeof raw.git === 'string') {
    const revision = raw.revision === undefined ? undefined : String(raw.revision);
    const subdirectory = raw.subdirectory === undefined ? undefined : String(raw.subdirectory);
    return { kind: 'git', ...base, git: raw.git, revision, subdirectory };
  }
  if (typeof raw.local === 'string')
    return { kind: 'local', ...base, local: raw.local, path: resolve(dir, raw.local) };
  if (typeof raw.tarball === 'string') {
    if (typeof raw.name !== 'string')
      throw new DemaError('DEPS_SPEC', `${where}: tarball package ${raw.tarball} needs a name:.`, {
        hint: 'Add name: <the package name>, as dbt requires.',
      });
    return { kind: 'tarball', ...base, tarball: raw.tarball, name: raw.name };
  }
  const kind = ['tarball', 'private'].find((key) => key in raw);
  throw new DemaError(
    'DEPS_SPEC',
    kind
      ? `${where}: "${kind}:" packages are not supported by dema deps.`
      : `${where}: a package entry needs one of package:, git:, local: or tarball:.`,
    { hint: 'Use a hub package (package: org/name), a git: URL or a local: path.' },
  );
}

/**
 * dbt's `sha1_hash` of the declared packages: each entry as JSON with sorted keys (Python's
 * separators), the lines sorted, joined by newlines. A lock file whose hash differs is stale.
 */
export function specsHash(specs: readonly PackageSpec[]): string {
  const lines = specs.map((spec) => pythonJson(spec.raw)).sort();
  return createHash('sha1').update(lines.join('\n')).digest('hex');
}

function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}: ${pythonJson((value as Record<string, unknown>)[key])}`)
      .join(', ')}}`;
  // Python's json.dumps escapes every non-ASCII character (ensure_ascii).
  return JSON.stringify(value ?? null).replace(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
