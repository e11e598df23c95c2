/**
 * An SCD type 2 oracle written from dbt's documented snapshot semantics (dbt docs "Snapshots",
 * "hard_deletes"), independent of dema's SQL: given the source states of successive runs, the rows
 * a snapshot must hold. Times are labels: `u<n>` for a source updated_at, `run<i>` for the i-th
 * run's snapshot time.
 */

export interface SourceRow {
  readonly id: number;
  readonly v: string | null;
  readonly w: string;
  /** updated_at, as a small number (the test's source holds 2020-01-01 + u seconds). */
  readonly u: number;
}

export interface SnapshotSpec {
  readonly strategy: 'timestamp' | 'check';
  /** check: the compared columns. */
  readonly checkCols?: readonly ('v' | 'w' | 'u')[];
  /** check: versions dated by updated_at rather than the snapshot time (dbt-core#5076). */
  readonly checkUpdatedAt?: boolean;
  readonly hardDeletes: 'ignore' | 'invalidate' | 'new_record';
}

export interface HistoryRow {
  id: number;
  v: string | null;
  w: string;
  u: number;
  from: string;
  to: string | null;
  deleted: boolean;
}

export function expectedHistory(spec: SnapshotSpec, runs: readonly (readonly SourceRow[])[]): HistoryRow[] {
  const history: HistoryRow[] = [];
  runs.forEach((source, index) => {
    const now = `run${index + 1}`;
    const versionTime = (row: SourceRow) =>
      spec.strategy === 'timestamp' || spec.checkUpdatedAt ? `u${row.u}` : now;
    const version = (row: SourceRow): HistoryRow => ({
      ...row,
      from: versionTime(row),
      to: null,
      deleted: false,
    });
    if (index === 0) {
      for (const row of source) history.push(version(row));
      return;
    }
    const current = new Map(history.filter((h) => h.to === null).map((h) => [h.id, h]));
    const bySource = new Map(source.map((row) => [row.id, row]));
    const added: HistoryRow[] = [];
    for (const [id, row] of current) {
      const now_ = bySource.get(id);
      if (now_) {
        const changed =
          row.deleted ||
          (spec.strategy === 'timestamp'
            ? Number(row.from.slice(1)) < now_.u
            : (spec.checkCols ?? []).some((c) => row[c] !== now_[c]));
        if (changed) {
          const next = version(now_);
          row.to = next.from;
          added.push(next);
        }
      } else if (spec.hardDeletes === 'invalidate' || (spec.hardDeletes === 'new_record' && !row.deleted)) {
        row.to = now;
        if (spec.hardDeletes === 'new_record') added.push({ ...row, from: now, to: null, deleted: true });
      }
    }
    for (const row of source) if (!current.has(row.id)) added.push(version(row));
    history.push(...added);
  });
  return history;
}
