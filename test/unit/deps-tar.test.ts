import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { extractPackage, readTarGz } from '../../src/dbt/deps/tar.ts';
import { tempDir } from '../helpers/fixtures.ts';

/** Archives made by GNU tar (the oracle) in each format must read back byte for byte. */
test('archives from GNU tar (gnu and pax formats; long names; binary) extract exactly, without their top directory', (t) => {
  const dir = tempDir(t);
  const top = 'org-pkg-0123456789abcdef';
  const long = `macros/${'deep/'.repeat(25)}very_long_macro_name_beyond_one_hundred_bytes.sql`;
  const files: Record<string, Buffer> = {
    'dbt_project.yml': Buffer.from('name: pkg\n'),
    'macros/a.sql': Buffer.from('{% macro a() %}1{% endmacro %}\n'),
    [long]: Buffer.from('{% macro b() %}ü{% endmacro %}\n'),
    'data/blob.bin': Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256)),
    'empty.txt': Buffer.alloc(0),
  };
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, 'src', top, path, '..'), { recursive: true });
    writeFileSync(join(dir, 'src', top, path), bytes);
  }
  // (ustar cannot hold a path over 255 bytes at all; gnu and pax store it in an extra record.)
  for (const format of ['gnu', 'pax']) {
    const archive = join(dir, `${format}.tar.gz`);
    execFileSync('tar', [`--format=${format}`, '-czf', archive, '-C', join(dir, 'src'), top]);
    const out = join(dir, `out-${format}`);
    extractPackage(readFileSync(archive), out, format);
    for (const [path, bytes] of Object.entries(files))
      assert.deepEqual(readFileSync(join(out, path)), bytes, `${format}: ${path}`);
  }
});

function header(name: string, size: number, type = '0'): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write(type, 156);
  return block;
}

test('an archive entry that would land outside the destination is refused, and garbage is a clear error', (t) => {
  const dir = tempDir(t);
  const body = Buffer.from('x');
  const evil = gzipSync(
    Buffer.concat([header('top/../../evil.sql', 1), body, Buffer.alloc(511), Buffer.alloc(1024)]),
  );
  assert.throws(() => extractPackage(evil, join(dir, 'out'), 'evil'), /DEPS_FETCH|unsafe path/);
  assert.throws(() => readTarGz(Buffer.from('not gzip'), 'junk'), /not a gzip archive/);
});
