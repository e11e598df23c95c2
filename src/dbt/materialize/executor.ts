import { DemaError } from '../../errors.ts';
import type { StatementStats, Warehouse } from '../../warehouse/warehouse.ts';
import { rel, type TableRef } from './ddl.ts';

/**
 * Runs a materialization's statements in order, keeping them for target/run and summing what the
 * engine reports. An interrupted run (the signal aborted) stops before the next statement.
 */
export class Executor {
  readonly statements: string[] = [];
  bytesRead = 0;
  rowsWritten = 0;

  constructor(
    readonly warehouse: Warehouse,
    private readonly signal?: AbortSignal,
  ) {}

  async run(sql: string | readonly string[]): Promise<void> {
    for (const statement of typeof sql === 'string' ? [sql] : sql) {
      this.checkInterrupted();
      this.statements.push(statement);
      const stats: StatementStats = await this.warehouse.command(statement);
      this.bytesRead += stats.bytesRead;
      this.rowsWritten += stats.rowsWritten;
    }
  }

  checkInterrupted(): void {
    if (this.signal?.aborted)
      throw new DemaError('INTERRUPTED', `Interrupted by ${String(this.signal.reason ?? 'a signal')}.`, {
        hint: 'The model was left as it was before this run; run the command again to build it.',
      });
  }

  async count(table: TableRef): Promise<number> {
    const { rows } = await this.warehouse.query<{ n: string | number }>(
      `select count() as n from ${rel(table)}`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Drops helper tables whatever happened before (also after an interruption); never throws. */
  async dropQuietly(tables: readonly TableRef[]): Promise<void> {
    for (const table of tables) {
      const statement = `drop table if exists ${rel(table)}`;
      this.statements.push(statement);
      await this.warehouse.command(statement).catch(() => undefined);
    }
  }
}
