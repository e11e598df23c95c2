import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DemaError } from '../../errors.ts';
import { currentProcess, identityAlive } from '../../process-alive.ts';
import { ClickHouseError } from '../clickhouse-error.ts';
import { qualified, quoteString } from '../sql.ts';
import type { Warehouse } from '../warehouse.ts';

/**
 * The server warehouse's lock: one dema command at a time per database, whatever host it runs on.
 *
 * Built only from DDL that is atomic on every server since 18.16:
 * - Taking it is `CREATE VIEW _dema_lock AS SELECT <token, owner, acquired, ttl>`: it fails if the
 *   view exists, and the owner is part of the definition, so no one ever sees a lock without owner.
 * - The owner refreshes it every ttl/4 by appending (token, now()) to `_dema_lock_beats`; the lock
 *   expires ttl seconds after its last beat (server clock only, so client clocks do not matter).
 * - An expired lock (its process died, or lost the server for a whole ttl), or one whose owner ran
 *   on this host and is gone (pid + process start time, so a reused pid does not fool it), is broken with
 *   `RENAME TABLE _dema_lock TO _dema_lock_broken_<breaker>`: of several breakers exactly one
 *   rename succeeds. The breaker then checks it moved the expired owner's view; if a new owner had
 *   taken the lock in between, it is put back, and if that fails the new owner finds its lock gone
 *   at its next `check()` (called before every publish commit) and stops.
 * - Release drops the view after checking it is still ours.
 */

const LOCK = '_dema_lock';
const BEATS = '_dema_lock_beats';
const POLL_MS = 250;
const DEFAULT_TTL_SECONDS = 60;

interface LockRow {
  readonly token: string;
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
  readonly start: string;
  readonly acquired: number;
  readonly ttl: number;
}

export interface ServerLock {
  /** Throws when this process no longer holds the lock (it expired and was broken). */
  check(): Promise<void>;
  release(): Promise<void>;
}

type Sql = Pick<Warehouse, 'command' | 'query' | 'database'>;

async function readLock(sql: Sql, table = LOCK): Promise<LockRow | undefined> {
  try {
    const { rows } = await sql.query<LockRow>(
      `SELECT token, owner, host, toUInt64(pid) AS pid, start, toUInt64(acquired) AS acquired, toUInt64(ttl) AS ttl FROM ${qualified(sql.database, table)}`,
    );
    const row = rows[0];
    return row && { ...row, pid: Number(row.pid), acquired: Number(row.acquired), ttl: Number(row.ttl) };
  } catch (error) {
    if (error instanceof ClickHouseError && error.clickhouseCode === UNKNOWN_TABLE) return undefined;
    throw error;
  }
}

/** Seconds until the lock expires (negative: expired), by the server's clock. */
async function secondsLeft(sql: Sql, lock: LockRow): Promise<number> {
  const { rows } = await sql.query<{ now: string; beat: string }>(
    `SELECT toUInt64(now()) AS now, toUInt64(max(at)) AS beat FROM ${qualified(sql.database, BEATS)} WHERE token = ${quoteString(lock.token)}`,
  );
  const last = Math.max(lock.acquired, Number(rows[0]?.beat ?? 0));
  return last + lock.ttl - Number(rows[0]?.now ?? 0);
}

const UNKNOWN_TABLE = 60;
const TABLE_ALREADY_EXISTS = 57;

/** Runs DDL; false when it lost a race (the table exists / no longer exists), else throws. */
async function ddl(sql: Sql, statement: string): Promise<boolean> {
  try {
    await sql.command(statement);
    return true;
  } catch (error) {
    if (
      error instanceof ClickHouseError &&
      (error.clickhouseCode === UNKNOWN_TABLE || error.clickhouseCode === TABLE_ALREADY_EXISTS)
    )
      return false;
    throw error;
  }
}

/** An owner on this host whose process is gone need not be waited out (one elsewhere must). */
function ownerGone(lock: LockRow): boolean {
  return (
    lock.host === hostname() &&
    !identityAlive({ pid: lock.pid, ...(lock.start ? { start: lock.start } : {}) })
  );
}

/** Breaks the lock if it is still the expired one seen; true when the name is free afterwards. */
async function breakExpired(sql: Sql, expired: LockRow, me: string): Promise<boolean> {
  const aside = `${LOCK}_broken_${me.replace(/-/g, '')}`;
  if (!(await ddl(sql, `RENAME TABLE ${qualified(sql.database, LOCK)} TO ${qualified(sql.database, aside)}`)))
    return false;
  const moved = await readLock(sql, aside);
  if (moved && moved.token !== expired.token)
    await ddl(sql, `RENAME TABLE ${qualified(sql.database, aside)} TO ${qualified(sql.database, LOCK)}`);
  await ddl(sql, `DROP TABLE IF EXISTS ${qualified(sql.database, aside)}`);
  return moved?.token === expired.token;
}

function lockedError(sql: Sql, lock: LockRow | undefined, left: number, waitedMs: number): DemaError {
  const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : '';
  return new DemaError(
    'WAREHOUSE_LOCKED',
    `Database ${sql.database} on the ClickHouse server is in use by ${lock?.owner ?? 'another dema command'}${waited}.`,
    {
      hint: `One command at a time per warehouse: wait for it with --wait [SECONDS], or stop it. If that command is gone, the lock expires by itself within ${Math.max(0, Math.ceil(left))} s; to clear it at once: DROP TABLE ${qualified(sql.database, LOCK)}.`,
    },
  );
}

export async function acquireServerLock(
  sql: Sql,
  options: { waitMs?: number; ttlSeconds?: number } = {},
): Promise<ServerLock> {
  const token = randomUUID();
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const owner = `process ${process.pid} on ${hostname()} (${process.argv.slice(2).join(' ').slice(0, 160)}), since ${new Date().toISOString()}`;
  const me = currentProcess();
  await sql.command(
    `CREATE TABLE IF NOT EXISTS ${qualified(sql.database, BEATS)} (token String, at DateTime) ENGINE = Log`,
  );
  const started = Date.now();
  for (;;) {
    const create = `CREATE VIEW ${qualified(sql.database, LOCK)} AS SELECT ${quoteString(token)} AS token, ${quoteString(owner)} AS owner, ${quoteString(hostname())} AS host, ${me.pid} AS pid, ${quoteString(me.start ?? '')} AS start, toDateTime(${Math.floor(Date.now() / 1000)}) AS acquired, ${ttl} AS ttl`;
    if (await ddl(sql, create)) break;
    const held = await readLock(sql);
    if (held === undefined) continue; // released in between
    const left = await secondsLeft(sql, held);
    if ((left < 0 || ownerGone(held)) && (await breakExpired(sql, held, token))) continue;
    const waited = Date.now() - started;
    // "(waited N s)" only when the caller asked to wait (--wait).
    if (waited >= (options.waitMs ?? 0)) throw lockedError(sql, held, left, options.waitMs ? waited : 0);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  const beat = () =>
    sql.command(
      `INSERT INTO ${qualified(sql.database, BEATS)} (token, at) SELECT ${quoteString(token)}, now()`,
    );
  let failedBeat: unknown;
  const timer = setInterval(() => beat().catch((error: unknown) => (failedBeat = error)), (ttl * 1000) / 4);
  timer.unref();
  return {
    async check() {
      const lock = await readLock(sql);
      if (lock?.token === token && (await secondsLeft(sql, lock)) >= 0) return;
      throw new DemaError(
        'WAREHOUSE_LOCKED',
        `This command lost its lock on database ${sql.database}${failedBeat ? ' (it could not refresh it)' : ''}; another command may be working on it.`,
        { hint: 'Nothing more was published by this command. Run it again.' },
      );
    },
    async release() {
      clearInterval(timer);
      // Best effort: with the server gone, the lock expires by itself (or is broken at once from this host).
      try {
        const lock = await readLock(sql);
        if (lock?.token === token) await ddl(sql, `DROP TABLE IF EXISTS ${qualified(sql.database, LOCK)}`);
      } catch {}
    },
  };
}
