import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DemaError } from '../../errors.ts';

/**
 * A small reader for the hub's `.tar.gz` archives (ustar, with GNU long names and pax `path`
 * records): regular files and directories only. The archive's single top-level directory is
 * stripped, as dbt does (`dbt-labs-dbt-utils-<sha>/macros/x.sql` → `macros/x.sql`). Entries that
 * would land outside the destination are refused.
 */

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function octal(header: Buffer, start: number, length: number): number {
  const text = field(header, start, length).trim();
  return text ? Number.parseInt(text, 8) : 0;
}

interface Entry {
  readonly path: string;
  readonly type: 'file' | 'dir';
  readonly data: Buffer;
}

export function readTarGz(archive: Buffer, what: string): Entry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (error) {
    throw new DemaError('DEPS_FETCH', `${what}: the download is not a gzip archive.`, { cause: error });
  }
  const entries: Entry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'x') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (path) longName = path[1];
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if (type === '0' || type === '\0' || type === '7') entries.push({ path: name, type: 'file', data });
    else if (type === '5') entries.push({ path: name, type: 'dir', data });
    // Links, devices and fifos are not part of a dbt package; they are skipped.
  }
  return entries;
}

/** Writes the archive's files under `destination`, without its top-level directory. */
export function extractPackage(archive: Buffer, destination: string, what: string): void {
  const entries = readTarGz(archive, what);
  const tops = new Set(entries.map((entry) => entry.path.split('/')[0]));
  const strip = tops.size === 1 && entries.some((entry) => entry.path.includes('/'));
  for (const entry of entries) {
    const relative = strip ? entry.path.split('/').slice(1).join('/') : entry.path;
    if (!relative) continue;
    const safe = normalize(relative);
    if (safe.startsWith('..') || safe.startsWith('/'))
      throw new DemaError('DEPS_FETCH', `${what}: the archive holds an unsafe path "${entry.path}".`);
    const target = join(destination, safe);
    if (entry.type === 'dir') mkdirSync(target, { recursive: true });
    else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, entry.data);
    }
  }
}
