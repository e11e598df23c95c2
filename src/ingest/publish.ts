import { hostname } from 'node:os';
import { DemaError, errorMessage } from '../errors.ts';
import type { Reporter } from '../events.ts';
import { killPoint } from '../kill-point.ts';
import { qualified, quoteString } from '../warehouse/sql.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { attachStageSql, LEDGER_TABLE, stageTableName } from './landing-sql.ts';
import { type LoadRecord, listLoads, writeLoadRecord } from './ledger.ts';
import {
  deleteStep,
  type LoadOwner,
  recoveryAction,
  rollForwardStep,
  stagesToDrop,
} from './recovery-plan.ts';

/**
 * The publish protocol: how a fully staged load becomes visible, and how a load interrupted at any
 * instant is finished or undone. The invariant and the argument for it are in README.md (here);
 * in short:
 *
 *   stage fully → validate → ledger `publishing` (COMMIT POINT) → ATTACH PARTITION FROM stage →
 *   ledger `success` → drop stage
 *
 * ATTACH of a many-part stage is not atomic (each part is renamed in separately), so readers
 * through dema never look at landing before `recoverLoads` has run under the warehouse lock:
 * a `running` load of a dead process is rolled back (it never attached: its stage is dropped), a
 * `publishing` one is rolled forward (its rows are deleted from landing, then the whole stage is
 * attached again). Every step is idempotent, so a recovery killed half-way is finished by the next.
 */

const MUTATION_POLL_MS = 100;
const MUTATION_TIMEOUT_MS = 30 * 60_000;

function landingOf(warehouse: Warehouse, load: LoadRecord) {
  return { database: warehouse.database, table: load.landing_table };
}

async function tableExists(warehouse: Warehouse, table: string): Promise<boolean> {
  const { rows } = await warehouse.query<{ n: string }>(
    `SELECT count() AS n FROM system.tables WHERE database = ${quoteString(warehouse.database)} AND name = ${quoteString(table)}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

async function countLoadRows(warehouse: Warehouse, table: string, loadId: string): Promise<number> {
  const { rows } = await warehouse.query<{ n: string }>(
    `SELECT count() AS n FROM ${qualified(warehouse.database, table)} WHERE _load_id = ${quoteString(loadId)}`,
  );
  return Number(rows[0]?.n ?? 0);
}

async function pendingMutations(warehouse: Warehouse, table: string): Promise<number> {
  const { rows } = await warehouse.query<{ n: string }>(
    `SELECT count() AS n FROM system.mutations WHERE database = ${quoteString(warehouse.database)} AND table = ${quoteString(table)} AND is_done = 0`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Removes a load's rows from its landing table and returns once they are gone and no mutation is
 * pending on the table (a later ATTACH must not race a DELETE). ALTER … DELETE is asynchronous on
 * every version (a mutation), so completion is polled; no mutation is issued when no row is there,
 * and none while one is still running (it may be a killed recovery's own DELETE).
 */
export async function deleteLoadRows(warehouse: Warehouse, table: string, loadId: string): Promise<void> {
  if (!(await tableExists(warehouse, table))) return;
  const started = Date.now();
  for (;;) {
    const rows = await countLoadRows(warehouse, table, loadId);
    const step = deleteStep(rows, await pendingMutations(warehouse, table));
    if (step === 'done') return;
    if (step === 'delete') {
      await warehouse.command(
        `ALTER TABLE ${qualified(warehouse.database, table)} DELETE WHERE _load_id = ${quoteString(loadId)}`,
      );
      killPoint('recover.delete-issued');
    }
    if (Date.now() - started > MUTATION_TIMEOUT_MS)
      throw new DemaError(
        'INGEST_LOAD',
        `Deleting the rows of load ${loadId} from ${table} did not finish.`,
        {
          hint: `See SELECT * FROM system.mutations WHERE table = '${table}' AND is_done = 0; the next dema command tries again.`,
        },
      );
    await new Promise((done) => setTimeout(done, MUTATION_POLL_MS));
  }
}

async function dropStage(warehouse: Warehouse, stage: string): Promise<void> {
  await warehouse.command(`DROP TABLE IF EXISTS ${qualified(warehouse.database, stage)}`);
}

async function attach(warehouse: Warehouse, load: LoadRecord): Promise<void> {
  if (load.rows_loaded === 0) return; // an empty stage has no partition to attach
  const stage = stageTableName(load.landing_table, load.load_id);
  await warehouse.command(attachStageSql(landingOf(warehouse, load), stage, load.merchant));
}

/**
 * Makes a fully staged and validated load visible. From the commit point on, a failure does not
 * fail the load: it is rolled forward here once more, else by the next command's recovery.
 */
export async function publishLoad(warehouse: Warehouse, load: LoadRecord): Promise<LoadRecord> {
  const stage = stageTableName(load.landing_table, load.load_id);
  killPoint('publish.validated');
  // A server lock can expire under a stalled process: never commit without holding it.
  await warehouse.checkLock?.();
  await writeLoadRecord(warehouse, { ...load, status: 'publishing' });
  killPoint('publish.committed');
  let done: LoadRecord;
  try {
    killPoint('publish.attach');
    await attach(warehouse, load);
    killPoint('publish.attached');
    done = { ...load, status: 'success', finished_at: Date.now() / 1000 };
    await writeLoadRecord(warehouse, done);
    killPoint('publish.recorded');
  } catch (error) {
    try {
      done = await rollForward(warehouse, load);
    } catch {
      throw new DemaError(
        'INGEST_PUBLISH_PENDING',
        `Load ${load.load_id} of "${load.source}" was committed but not completely published: ${errorMessage(error)}`,
        {
          hint: 'Nothing of it is shown until it is complete: the next dema command on this warehouse completes it.',
          cause: error,
        },
      );
    }
  }
  // Only now may the stage go: until the ledger says success, it is what recovery re-attaches.
  await dropStage(warehouse, stage).catch(() => {});
  killPoint('publish.dropped');
  return done;
}

/** Completes a committed load: its rows out of landing (however many got in), the whole stage in. */
async function rollForward(warehouse: Warehouse, load: LoadRecord): Promise<LoadRecord> {
  const stage = stageTableName(load.landing_table, load.load_id);
  const stageExists = load.rows_loaded === 0 || (await tableExists(warehouse, stage));
  const step = rollForwardStep({
    rowsLoaded: load.rows_loaded,
    stageExists,
    rowsInLanding: stageExists ? undefined : await countLoadRows(warehouse, load.landing_table, load.load_id),
  });
  // The stage goes only after `success`, or when the commit write's fate was unknown and the load
  // failed before any ATTACH: then none of its rows is in landing and it stays failed.
  if (step === 'mark-failed') {
    await writeLoadRecord(warehouse, { ...load, status: 'failed', error: 'failed before it was published' });
    return { ...load, status: 'failed' };
  }
  if (step === 'stage-lost')
    throw new DemaError(
      'INGEST_LOAD',
      `Load ${load.load_id} of "${load.source}" is marked publishing but its stage table ${stage} is gone.`,
      {
        hint: `Delete its rows (ALTER TABLE ${load.landing_table} DELETE WHERE _load_id = '${load.load_id}'), and load the file again with --force.`,
      },
    );
  await deleteLoadRows(warehouse, load.landing_table, load.load_id);
  killPoint('recover.deleted');
  await attach(warehouse, load);
  killPoint('recover.attached');
  const done: LoadRecord = { ...load, status: 'success', finished_at: Date.now() / 1000 };
  await writeLoadRecord(warehouse, done);
  killPoint('recover.recorded');
  await dropStage(warehouse, stage);
  return done;
}

/** Undoes a load that never reached the commit point: no row of it can be in landing but its stage. */
async function rollBack(warehouse: Warehouse, load: LoadRecord): Promise<void> {
  // Rows of a `running` load exist only where an older dema attached before its commit point.
  await deleteLoadRows(warehouse, load.landing_table, load.load_id);
  await dropStage(warehouse, stageTableName(load.landing_table, load.load_id));
  killPoint('recover.dropped');
  await writeLoadRecord(warehouse, {
    ...load,
    status: 'failed',
    finished_at: Date.now() / 1000,
    error: load.error || 'interrupted: the loading process ended before the load finished',
  });
}

const me = (): LoadOwner => ({ host: hostname(), pid: process.pid });

/**
 * Finishes or undoes every load left `running` or `publishing` by a process that is gone, and drops
 * stage tables nothing will use. Must run under the warehouse lock, before anything reads landing:
 * the lock makes every other process's unfinished load a dead one.
 */
export async function recoverLoads(warehouse: Warehouse, reporter: Reporter): Promise<void> {
  if (!(await tableExists(warehouse, LEDGER_TABLE))) return;
  const unfinished = await listLoads(warehouse, { status: ['running', 'publishing'] }, 1_000_000);
  const kept = new Set<string>();
  for (const load of unfinished) {
    const action = recoveryAction(load, me());
    if (action === 'keep') {
      kept.add(stageTableName(load.landing_table, load.load_id));
      continue;
    }
    killPoint('recover.start');
    let outcome: 'published' | 'failed' = 'failed';
    if (action === 'roll-forward' && (await rollForward(warehouse, load)).status === 'success')
      outcome = 'published';
    if (action === 'roll-back') await rollBack(warehouse, load);
    reporter.emit({
      type: 'load.recovered',
      source: load.source,
      loadId: load.load_id,
      outcome,
    });
  }
  const tables = (await warehouse.listTables(warehouse.database)).map((table) => table.name);
  for (const stage of stagesToDrop(tables, kept)) await dropStage(warehouse, stage);
}
