import assert from 'node:assert/strict';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cachedByFiles } from '../../src/web/file-cache.ts';
import { tempDir } from '../helpers/fixtures.ts';

test('cachedByFiles: computed once while the files stand still, again after any change to them', async (t) => {
  const dir = tempDir(t, 'dema-file-cache-');
  const project = join(dir, 'project');
  mkdirSync(join(project, 'models'), { recursive: true });
  mkdirSync(join(project, 'target'), { recursive: true });
  writeFileSync(join(project, 'models/sources.yml'), 'warn_after: 24');
  const outside = join(dir, 'profiles.yml');
  let computed = 0;
  let failNext = false;
  let during: (() => void) | undefined;
  const get = cachedByFiles(
    () => ({ dirs: [project], files: [outside] }),
    async () => {
      computed++;
      during?.();
      during = undefined;
      if (failNext) {
        failNext = false;
        throw new Error('parse failed');
      }
      return computed;
    },
  );
  assert.equal(await get(), 1);
  assert.equal(await get(), 1, 'nothing changed: cached');
  writeFileSync(join(project, 'target/manifest.json'), '{}');
  mkdirSync(join(project, 'logs'));
  writeFileSync(join(project, 'logs/dbt.log'), 'x');
  assert.equal(await get(), 1, 'what runs write (target/, logs/) does not count');

  const bump = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
  // Another size: an edit of the same size within one tick of the kernel's coarse clock (older
  // kernels) keeps the mtime; the same size with another mtime is the next case.
  writeFileSync(join(project, 'models/sources.yml'), 'warn_after: 6');
  assert.equal(await get(), 2, 'an edited file');
  bump(join(project, 'models/sources.yml'), 1_000_000);
  assert.equal(await get(), 3, 'same size, another mtime');
  writeFileSync(join(project, 'models/more.yml'), 'x');
  assert.equal(await get(), 4, 'a new file');
  rmSync(join(project, 'models/more.yml'));
  assert.equal(await get(), 5, 'a removed file');
  writeFileSync(outside, 'profile');
  assert.equal(await get(), 6, 'a named file outside the folders appears');
  assert.equal(await get(), 6);

  failNext = true;
  bump(outside, 2_000_000);
  await assert.rejects(get(), /parse failed/);
  assert.equal(await get(), 8, 'a failure is not kept');

  // Edited while computing: the value may hold the old text, so the next call computes again.
  during = () => bump(join(project, 'models/sources.yml'), 3_000_000);
  bump(outside, 4_000_000);
  assert.equal(await get(), 9);
  assert.equal(await get(), 10, 'edited during the computation: never served as current');
  assert.equal(await get(), 10);
});
