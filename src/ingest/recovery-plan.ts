import { STAGE_PREFIX } from './landing-sql.ts';
import type { LoadStatus } from './ledger.ts';

/**
 * The decisions of the publish protocol's recovery (publish.ts; invariant in README.md), as pure
 * functions of what the ledger and the warehouse show, so every branch is pinned by fast unit tests.
 * publish.ts does the I/O and follows these answers.
 */

/** Who wrote a ledger row (or who is asking). */
export interface LoadOwner {
  readonly host: string;
  readonly pid: number;
}

/** What recovery does with a `running` / `publishing` load it finds. */
export type RecoveryAction = 'keep' | 'roll-forward' | 'roll-back';

/**
 * This process's own unfinished loads are kept (it is still working on them); any other's process
 * is gone (recovery runs under the warehouse lock). Committed (`publishing`) ones are rolled
 * forward, anything before the commit point is rolled back.
 */
export function recoveryAction(
  load: LoadOwner & { readonly status: LoadStatus },
  me: LoadOwner,
): RecoveryAction {
  if (load.host === me.host && load.pid === me.pid) return 'keep';
  return load.status === 'publishing' ? 'roll-forward' : 'roll-back';
}

/** What completing a committed load does. */
export type RollForwardStep = 'republish' | 'mark-failed' | 'stage-lost';

/**
 * `republish` (delete its rows from landing, attach the whole stage, mark success) whenever the stage
 * holds its rows, or it has none. A stage missing for a load with rows: when none of its rows is in
 * landing, the commit write's fate was unknown and the load failed before any ATTACH, so it stays
 * failed; otherwise its rows cannot be completed (`stage-lost`: the user must intervene).
 * `rowsInLanding` is only needed (and only counted) when the stage is missing.
 */
export function rollForwardStep(state: {
  readonly rowsLoaded: number;
  readonly stageExists: boolean;
  readonly rowsInLanding?: number | undefined;
}): RollForwardStep {
  if (state.rowsLoaded === 0 || state.stageExists) return 'republish';
  return state.rowsInLanding === 0 ? 'mark-failed' : 'stage-lost';
}

/** One turn of deleting a load's rows: the mutation queue is shared with a killed recovery's DELETE. */
export type DeleteStep = 'done' | 'delete' | 'wait';

/**
 * Done when no row is left and no mutation is pending (a later ATTACH must not race one); a DELETE
 * is issued only when rows are there and none is pending (a pending one may be a killed recovery's
 * own DELETE, which will remove them); otherwise wait.
 */
export function deleteStep(rowsLeft: number, pendingMutations: number): DeleteStep {
  if (pendingMutations > 0) return 'wait';
  return rowsLeft > 0 ? 'delete' : 'done';
}

/** Stage tables nothing will use: every `_dema_stage_*` table but the stages of loads kept. */
export function stagesToDrop(tables: readonly string[], keptStages: ReadonlySet<string>): string[] {
  return tables.filter((name) => name.startsWith(STAGE_PREFIX) && !keptStages.has(name));
}
