import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real dbt packages of `shared/dbt-packages` (test fixtures, never copied into the repo), and a
 * loopback mock of the dbt package hub's JSON API serving tarballs built from them at test time.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** `shared/dbt-packages`: `../shared` from the repo root in CI, `../../shared` from a worktree. */
export function sharedPackagesDir(): string | undefined {
  const candidates = [
    process.env.DEMA_DBT_PACKAGES_DIR,
    join(REPO, '..', 'shared', 'dbt-packages'),
    join(REPO, '..', '..', 'shared', 'dbt-packages'),
  ].filter((dir): dir is string => Boolean(dir));
  const found = candidates.find((dir) => existsSync(join(dir, 'dbt_utils', 'dbt_project.yml')));
  if (!found && process.env.CI)
    throw new Error(`CI: shared/dbt-packages not found (tried ${candidates.join(', ')})`);
  return found;
}

export interface HubRelease {
  /** org/name on the hub. */
  readonly id: string;
  readonly version: string;
  /** Folder of shared/dbt-packages whose files the tarball holds. */
  readonly folder: string;
  readonly dependencies?: { package: string; version: string | string[] }[];
}

export interface MockHub {
  readonly url: string;
  /** Paths asked for, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * Builds one `.tar.gz` per release with the `tar` CLI, laid out as GitHub's codeload archives
 * are (one top-level `<org>-<name>-<version>/` directory), with a `hub-version.txt` marker.
 */
function buildTarball(release: HubRelease, packagesDir: string, workDir: string): Buffer {
  const top = `${release.id.replace('/', '-')}-${release.version}`;
  const stage = join(workDir, 'stage', top);
  mkdirSync(stage, { recursive: true });
  cpSync(join(packagesDir, release.folder), stage, { recursive: true, dereference: true });
  writeFileSync(join(stage, 'hub-version.txt'), release.version);
  const file = join(workDir, `${top}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', join(workDir, 'stage'), top]);
  return readFileSync(file);
}

export async function startMockHub(
  releases: readonly HubRelease[],
  packagesDir: string,
  workDir: string,
): Promise<MockHub> {
  const tarballs = new Map(
    releases.map((r) => [`${r.id}/${r.version}`, buildTarball(r, packagesDir, workDir)]),
  );
  const requests: string[] = [];
  let base = '';
  const record = (r: HubRelease) => {
    const tarball = tarballs.get(`${r.id}/${r.version}`)!;
    return {
      id: `${r.id}/${r.version}`,
      name: r.id.split('/')[1],
      version: r.version,
      published_at: '2024-01-01T00:00:00Z',
      packages: r.dependencies ?? [],
      works_with: [],
      _source: { type: 'github', url: `https://github.com/${r.id}/tree/${r.version}/`, readme: '' },
      downloads: {
        tarball: `${base}tarballs/${r.id}/${r.version}.tar.gz`,
        format: 'tgz',
        sha1: createHash('sha1').update(tarball).digest('hex'),
      },
    };
  };
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://hub').pathname;
    requests.push(path);
    const send = (status: number, body: unknown, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type });
      response.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    let match = /^\/api\/v1\/([\w.-]+\/[\w.-]+)\.json$/.exec(path);
    if (match) {
      const mine = releases.filter((r) => r.id === match![1]);
      if (mine.length === 0) return send(404, { error: 'not found' });
      const [namespace, name] = match[1]!.split('/');
      return send(200, {
        name,
        namespace,
        latest: mine.at(-1)!.version,
        versions: Object.fromEntries(mine.map((r) => [r.version, record(r)])),
      });
    }
    match = /^\/api\/v1\/([\w.-]+\/[\w.-]+)\/([\w.-]+)\.json$/.exec(path);
    if (match) {
      const release = releases.find((r) => r.id === match![1] && r.version === match![2]);
      return release ? send(200, record(release)) : send(404, { error: 'not found' });
    }
    match = /^\/tarballs\/([\w.-]+\/[\w.-]+)\/([\w.-]+)\.tar\.gz$/.exec(path);
    const tarball = match && tarballs.get(`${match[1]}/${match[2]}`);
    if (tarball) return send(200, tarball, 'application/gzip');
    send(404, 'not found', 'text/plain');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
