import { createHash } from 'node:crypto';
import { DemaError } from '../../errors.ts';
import { formatRange, formatVersion, newestSatisfying, type Range } from './semver.ts';
import type { HubSpec } from './spec.ts';

/**
 * The dbt package hub's JSON API (`<hub>/api/v1/<org>/<name>.json` lists `versions`;
 * `<hub>/api/v1/<org>/<name>/<version>.json` has `name`, `packages` and `downloads.tarball`).
 * The hub is `DBT_PACKAGE_HUB_URL` when set, as in dbt. Only `dema deps` calls this module.
 */

export const DEFAULT_HUB_URL = 'https://hub.getdbt.com/';

export function hubUrl(env: Readonly<Record<string, string | undefined>>): string {
  const url = env.DBT_PACKAGE_HUB_URL || DEFAULT_HUB_URL;
  return url.endsWith('/') ? url : `${url}/`;
}

export interface HubRelease {
  /** The package's project name (what it is installed as). */
  readonly name: string;
  readonly version: string;
  readonly tarball: string;
  readonly sha1: string | undefined;
  /** Its own dependencies, as packages.yml entries. */
  readonly packages: unknown[];
}

async function get(url: string, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new DemaError('DEPS_FETCH', `${what}: cannot reach ${url} (${(error as Error).message}).`, {
      hint: 'Check the network, or set DBT_PACKAGE_HUB_URL to a reachable package hub.',
      cause: error,
    });
  }
  return response;
}

async function getJson(url: string, what: string, notFound: () => DemaError): Promise<unknown> {
  const response = await get(url, what);
  if (response.status === 404) throw notFound();
  if (!response.ok)
    throw new DemaError('DEPS_FETCH', `${what}: ${url} answered HTTP ${response.status}.`, {
      hint: 'Retry later, or check DBT_PACKAGE_HUB_URL.',
    });
  try {
    return await response.json();
  } catch (error) {
    throw new DemaError('DEPS_FETCH', `${what}: ${url} did not answer JSON.`, { cause: error });
  }
}

type ReleaseRecord = { name?: string; packages?: unknown[]; downloads?: { tarball?: string; sha1?: string } };
const MISSING = new DemaError('DEPS_NOT_FOUND', 'not found');

function exactVersion(range: Range): string | undefined {
  const { lower, upper } = range;
  return lower &&
    upper &&
    lower.inclusive &&
    upper.inclusive &&
    formatVersion(lower.version) === formatVersion(upper.version)
    ? formatVersion(lower.version)
    : undefined;
}

async function newestListed(
  hub: string,
  spec: Pick<HubSpec, 'package' | 'range' | 'installPrerelease'>,
  what: string,
  requirers: string,
): Promise<string> {
  const index = (await getJson(
    `${hub}api/v1/${spec.package}.json`,
    what,
    () =>
      new DemaError('DEPS_NOT_FOUND', `${what} is not on the package hub (${hub}).`, {
        hint: 'Check the spelling (org/name, as on hub.getdbt.com), or use a git: or local: entry.',
      }),
  )) as { versions?: Record<string, unknown> };
  const available = Object.keys(index.versions ?? {});
  const version = newestSatisfying(available, spec.range, spec.installPrerelease);
  if (!version)
    throw new DemaError(
      'DEPS_NOT_FOUND',
      `${what}: no version satisfies ${formatRange(spec.range)} (required by ${requirers}); the hub has ${available.join(', ') || 'none'}.`,
      { hint: 'Widen the version range, or pick one of the listed versions.' },
    );
  return version;
}

/** The newest release of a hub package inside its (merged) range. */
export async function resolveHubRelease(
  hub: string,
  spec: Pick<HubSpec, 'package' | 'range' | 'installPrerelease' | 'where'>,
  requirers: string,
): Promise<HubRelease> {
  const what = `${spec.where}: package ${spec.package}`;
  // An exact pin (a lock file entry, or `version: 1.2.3`) needs only the release record.
  const pinned = exactVersion(spec.range);
  const version = pinned ?? (await newestListed(hub, spec, what, requirers));
  let release: ReleaseRecord | undefined;
  try {
    release = (await getJson(
      `${hub}api/v1/${spec.package}/${version}.json`,
      what,
      () => MISSING,
    )) as ReleaseRecord;
  } catch (error) {
    if (error !== MISSING) throw error;
    // Say whether the package or the version is missing.
    if (pinned) await newestListed(hub, spec, what, requirers);
    throw new DemaError('DEPS_NOT_FOUND', `${what}: version ${version} is listed but has no release record.`);
  }
  const tarball = release.downloads?.tarball;
  if (!tarball)
    throw new DemaError(
      'DEPS_FETCH',
      `${what}@${version}: the hub's release record has no downloads.tarball.`,
    );
  return {
    name: release.name ?? spec.package.split('/')[1]!,
    version,
    tarball,
    sha1: release.downloads?.sha1,
    packages: release.packages ?? [],
  };
}

export async function downloadTarball(
  release: { readonly tarball: string; readonly sha1?: string | undefined },
  what: string,
): Promise<Buffer> {
  const response = await get(release.tarball, what);
  if (!response.ok)
    throw new DemaError('DEPS_FETCH', `${what}: ${release.tarball} answered HTTP ${response.status}.`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (release.sha1) {
    const actual = createHash('sha1').update(bytes).digest('hex');
    if (actual !== release.sha1)
      throw new DemaError(
        'DEPS_FETCH',
        `${what}: the tarball's sha1 is ${actual}, the hub says ${release.sha1}.`,
        { hint: 'The download was corrupted or changed; retry.' },
      );
  }
  return bytes;
}
