import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { DemaError } from '../errors.ts';
import {
  type ArchivedFile,
  type FetchOptions,
  fetchToArchive,
  isHttp,
  localPath,
  statSource,
} from './fetch-source.ts';

/**
 * A source's bytes, readable at `path` now. A local file is read in place while its copy is
 * archived and hashed alongside — the load does not wait for the archive (on 1.2 GB that wait was
 * a fifth of the ingest) — and `settled()` then proves the bytes loaded are the bytes archived.
 * A download is read from its archived copy.
 */
export interface SourceFile {
  readonly path: string;
  /** The file's name at its location: what the merchant calls it. */
  readonly name: string;
  readonly bytes: number;
  /** The archived copy with its sha256 (for a local file, it may still be copying). */
  readonly archived: Promise<ArchivedFile>;
  /** The archived copy, once it is certain the file at `path` did not change since it was opened. */
  settled(): Promise<ArchivedFile>;
}

export async function openSource(options: FetchOptions): Promise<SourceFile> {
  const { location } = options;
  if (isHttp(location)) {
    const archived = await fetchToArchive(options);
    const name = basename(new URL(location).pathname) || `${options.source}.csv`;
    return {
      path: archived.path,
      name,
      bytes: archived.bytes,
      archived: Promise.resolve(archived),
      settled: () => Promise.resolve(archived),
    };
  }
  const path = localPath(location);
  const opened = statSource(path, options.source);
  const archived = fetchToArchive(options);
  // Awaited by settled(); this keeps an early failure from counting as unhandled meanwhile.
  archived.catch(() => {});
  return {
    path,
    name: basename(path),
    bytes: opened.size,
    archived,
    async settled() {
      const copy = await archived;
      const now = statSync(path, { throwIfNoEntry: false });
      if (!now || now.size !== opened.size || now.mtimeMs !== opened.mtimeMs || copy.bytes !== opened.size)
        throw new DemaError(
          'INGEST_SOURCE_CHANGED',
          `Source "${options.source}": ${path} changed while it was being loaded.`,
          {
            hint: 'Nothing was loaded. Run the ingest again once the file is completely written (write to a temporary name, then rename).',
          },
        );
      return copy;
    },
  };
}
