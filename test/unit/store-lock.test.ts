import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs, { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { bootId, currentProcess, identityAlive, processStartTicks } from '../../src/process-alive.ts';
import { acquireStoreLock, commandLine, lockedError } from '../../src/warehouse/embedded/store-lock.ts';
import { refusal } from '../helpers/refusal.ts';

/** The embedded store lock on its own, against real processes (pids, start times from /proc). */

function directory(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dema-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sleeper(t: TestContext): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return child;
}

function plant(dir: string, owner: Record<string, unknown>): string {
  const path = join(dir, 'dema.lock');
  writeFileSync(path, JSON.stringify({ command: 'dema build', since: '2026-01-01T00:00:00Z', ...owner }));
  return path;
}

test('identity: this process is alive; a dead pid, another start time or another boot is not', () => {
  const me = currentProcess();
  assert.equal(me.pid, process.pid);
  assert.match(me.start ?? '', /^\d+$/);
  assert.ok(identityAlive(me));
  assert.ok(!identityAlive({ ...me, start: `${Number(me.start) + 1}` }));
  assert.ok(!identityAlive({ ...me, boot: 'another-boot' }));
  assert.ok(identityAlive({ pid: process.pid }));
  const dead = spawnSync('true').pid!;
  assert.ok(!identityAlive({ pid: dead }));
  assert.equal(processStartTicks(dead), undefined);
});

test('taken, refused while held (naming the owner and how to clear it), free again once released', async (t) => {
  const dir = directory(t);
  const release = await acquireStoreLock(dir);
  const path = join(dir, 'dema.lock');
  const owner = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(owner.pid, process.pid);
  assert.equal(owner.start, processStartTicks(process.pid));
  assert.equal(owner.boot, bootId());
  const holder = sleeper(t);
  release();
  assert.ok(!existsSync(path));
  plant(dir, { pid: holder.pid, start: processStartTicks(holder.pid!), boot: bootId() });
  const error = await refusal(acquireStoreLock(dir));
  assert.equal(error.code, 'WAREHOUSE_LOCKED');
  assert.match(
    error.message,
    new RegExp(`in use by process ${holder.pid} \\(dema build\\), running since 2026`),
  );
  assert.match(error.hint ?? '', /--wait/);
  assert.ok(error.hint?.includes(`delete ${path}`));
  assert.ok(existsSync(path), 'a live owner keeps its lock');
});

test('a stale lock is taken over: dead pid, reused pid (other start time), other boot', async (t) => {
  const holder = sleeper(t);
  const start = processStartTicks(holder.pid!);
  const dead = spawnSync('true').pid!;
  for (const owner of [
    { pid: dead, start: '1', boot: bootId() },
    { pid: holder.pid, start: `${Number(start) + 1}`, boot: bootId() },
    { pid: holder.pid, start, boot: 'an-earlier-boot' },
  ]) {
    const dir = directory(t);
    plant(dir, owner);
    const release = await acquireStoreLock(dir);
    assert.equal(
      JSON.parse(readFileSync(join(dir, 'dema.lock'), 'utf8')).pid,
      process.pid,
      JSON.stringify(owner),
    );
    release();
  }
});

test('waits for the owner to go, up to the limit', async (t) => {
  const dir = directory(t);
  const holder = sleeper(t);
  plant(dir, { pid: holder.pid, start: processStartTicks(holder.pid!), boot: bootId() });
  const started = Date.now();
  const error = await refusal(acquireStoreLock(dir, 600));
  assert.ok(Date.now() - started >= 600);
  assert.match(error.message, /waited 1 s|waited 0 s/);
  setTimeout(() => holder.kill('SIGKILL'), 500);
  const release = await acquireStoreLock(dir, 30_000);
  release();
});

test('release leaves a lock that is not ours alone', async (t) => {
  const dir = directory(t);
  const release = await acquireStoreLock(dir);
  const holder = sleeper(t);
  const path = plant(dir, { pid: holder.pid, start: processStartTicks(holder.pid!), boot: bootId() });
  release();
  assert.ok(existsSync(path));
});

test('a breaker that finds a live owner in the lock it moved aside puts it back, and is refused', async (t) => {
  const dir = directory(t);
  const holder = sleeper(t);
  const dead = spawnSync('true').pid!;
  const path = plant(dir, { pid: dead, start: '1', boot: bootId() });
  const live = {
    pid: holder.pid,
    start: processStartTicks(holder.pid!),
    boot: bootId(),
    command: 'dema ingest',
  };
  // Between this process's look at the stale lock and its rename, another breaks it and takes it.
  const rename = fs.renameSync;
  t.mock.method(fs, 'renameSync', (from: string, to: string) => {
    if (from === path) writeFileSync(path, JSON.stringify({ ...live, since: 'now' }));
    rename(from, to);
  });
  syncBuiltinESMExports();
  t.after(() => {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  });
  const error = await refusal(acquireStoreLock(dir));
  assert.match(error.message, new RegExp(`in use by process ${holder.pid} \\(dema ingest\\)`));
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, holder.pid, 'the live owner keeps its lock');
  assert.deepEqual(readdirSync(dir), ['dema.lock'], 'nothing left aside');
});

test('an unreadable lock file is never broken: refused as "another process", with the file to delete', async (t) => {
  const dir = directory(t);
  const path = join(dir, 'dema.lock');
  writeFileSync(path, '{"pid": 1');
  const error = await refusal(acquireStoreLock(dir));
  assert.match(error.message, /^The embedded warehouse at \S+ is in use by another process\.$/);
  assert.equal(
    error.hint,
    `One command at a time per warehouse: wait for it with --wait [SECONDS], or stop it. If no dema command is running, delete ${path}.`,
  );
  assert.ok(existsSync(path));
});

test('the lock is re-entrant within its process; `dema serve` as owner points at its HTTP interface', async (t) => {
  const dir = directory(t);
  const release = await acquireStoreLock(dir);
  const again = await acquireStoreLock(dir);
  again();
  assert.ok(!existsSync(join(dir, 'dema.lock')));
  release();
  const holder = sleeper(t);
  plant(dir, {
    pid: holder.pid,
    start: processStartTicks(holder.pid!),
    boot: bootId(),
    command: 'dema serve --port 8080',
  });
  const error = await refusal(acquireStoreLock(dir));
  assert.match(
    error.hint ?? '',
    new RegExp(
      `^dema serve owns the warehouse.*or stop it \\(Ctrl-C, or kill ${holder.pid}\\) and retry\\.$`,
    ),
  );
});

test('a lock naming this pid with another start time, or this start time with a dead pid, is stale: rewritten, then released', async (t) => {
  const me = currentProcess();
  const dead = spawnSync('true').pid!;
  for (const owner of [
    { pid: process.pid, start: '1', boot: me.boot },
    { pid: dead, start: me.start, boot: me.boot },
  ]) {
    const dir = directory(t);
    const path = plant(dir, owner);
    const release = await acquireStoreLock(dir);
    const now = JSON.parse(readFileSync(path, 'utf8'));
    assert.deepEqual([now.pid, now.start], [process.pid, me.start], JSON.stringify(owner));
    release();
    assert.ok(!existsSync(path), JSON.stringify(owner));
  }
  // Release removes only this very process's lock: same pid, other start time, is kept.
  const dir = directory(t);
  const release = await acquireStoreLock(dir);
  const path = plant(dir, { pid: process.pid, start: '1', boot: me.boot });
  release();
  assert.ok(existsSync(path));
});

test('a file system without hard links is an error of its own, not a phantom lock', async (t) => {
  const dir = directory(t);
  t.mock.method(fs, 'linkSync', () => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  });
  syncBuiltinESMExports();
  t.after(() => {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  });
  await assert.rejects(acquireStoreLock(dir), /EPERM: operation not permitted, link/);
});

test('the refusal names the owner, says how long it waited only when it waited, and where the lock is', () => {
  const owner = { pid: 77, start: '5', command: 'dema build', since: '2026-01-01T00:00:00Z' };
  const error = lockedError('/data/wh', owner);
  assert.equal(
    error.message,
    'The embedded warehouse at /data/wh is in use by process 77 (dema build), running since 2026-01-01T00:00:00Z.',
  );
  assert.match(
    error.hint ?? '',
    /If no dema command is running as process 77, delete \/data\/wh\/dema.lock\.$/,
  );
  assert.match(lockedError('/data/wh', owner, 2600).message, / \(waited 3 s\)\.$/);
  assert.equal(commandLine(['node', '/x/bin/dema', 'build', 'y'.repeat(300)]).length, 200);
});
