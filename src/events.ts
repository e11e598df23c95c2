import type { PipelineReport } from './cli/report.ts';
import type { NodeStatus } from './dbt/run/results.ts';

/**
 * Core code never prints: it reports typed events to a Reporter the caller passes in.
 * The CLI renders them (progress bars on a terminal, JSON lines for machines); tests collect them.
 */
export type DemaEvent =
  | { type: 'fetch.start'; source: string; location: string }
  | { type: 'fetch.retry'; source: string; attempt: number; delayMs: number; reason: string }
  /** bytesTotal is 0 when a download did not say its length. */
  | { type: 'fetch.progress'; source: string; bytesDone: number; bytesTotal: number }
  | { type: 'fetch.done'; source: string; path: string; sha256: string; bytes: number }
  | { type: 'load.skipped'; source: string; merchant: string; sha256: string; previousLoadId: string }
  | { type: 'load.start'; source: string; merchant: string; loadId: string; bytes: number }
  | {
      type: 'load.progress';
      source: string;
      bytesDone: number;
      bytesTotal: number;
      rows: number;
      rejected: number;
    }
  /** A load of a dead process, completed (`published`) or undone (`failed`) by the recovery. */
  | { type: 'load.recovered'; source: string; loadId: string; outcome?: 'published' | 'failed' }
  | {
      type: 'load.done';
      source: string;
      merchant: string;
      loadId: string;
      rowsRead: number;
      rowsLoaded: number;
      rowsRejected: number;
      elapsedMs: number;
    }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  /** Sample data being written: order lines so far of this merchant's total. */
  | { type: 'generate.progress'; merchant: string; lines: number; total: number }
  | { type: 'dbt.start'; command: string; total: number; description: string }
  | { type: 'dbt.node.start'; index: number; total: number; uniqueId: string; description: string }
  | {
      type: 'dbt.node.done';
      index: number;
      total: number;
      uniqueId: string;
      description: string;
      status: NodeStatus;
      message: string;
      seconds: number;
      code?: string;
      hint?: string;
      /** Where the node's compiled SQL is written, relative to the project (for the closing summary). */
      path?: string;
    }
  | {
      type: 'dbt.done';
      command: string;
      seconds: number;
      pass: number;
      warn: number;
      error: number;
      skip: number;
      total: number;
    }
  /** The pipeline's closing report (src/cli/report.ts): the data its text rendering shows. */
  | { type: 'pipeline.report'; report: PipelineReport };

export interface Reporter {
  emit(event: DemaEvent): void;
}

export const silentReporter: Reporter = { emit: () => {} };
