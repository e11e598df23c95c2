import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A value computed from files (the project's parsed sources), recomputed only when one of them
 * changes: the fingerprint is every file's path, size and mtime under `dirs` (not `target/`,
 * `logs/` or hidden folders, which runs write) and of `files`. Walking stats costs a fraction
 * of a parse.
 *
 * Invariant: never a value older than the files. The fingerprint is taken *before* computing, so
 * an edit made while computing changes the next fingerprint and the value is computed again.
 * A failed computation is not kept.
 */
export function cachedByFiles<T>(
  sources: () => { dirs: readonly string[]; files: readonly string[] },
  compute: () => Promise<T>,
): () => Promise<T> {
  let cached: { fingerprint: string; value: Promise<T> } | undefined;
  return () => {
    const { dirs, files } = sources();
    const fingerprint = filesFingerprint(dirs, files);
    if (cached?.fingerprint === fingerprint) return cached.value;
    const value = compute();
    const entry = { fingerprint, value };
    cached = entry;
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  };
}

const SKIPPED_DIRS = new Set(['target', 'logs', 'node_modules']);

export function filesFingerprint(dirs: readonly string[], files: readonly string[]): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    try {
      const stat = statSync(path);
      hash.update(`${path}\0${stat.size}\0${stat.mtimeMs}\n`);
    } catch {
      hash.update(`${path}\0missing\n`);
    }
  };
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      hash.update(`${dir}\0missing\n`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(path);
      } else add(path);
    }
  };
  for (const dir of dirs) walk(dir);
  for (const file of files) add(file);
  return hash.digest('hex');
}
