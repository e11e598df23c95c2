import type { RunSummary } from '../dbt/run/results.ts';
import type { SourceOutcome } from '../ingest/ingest.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { Output } from './output.ts';
import {
  buildLine,
  demaCommand,
  failureOf,
  type MartTable,
  nextCommands,
  type PipelineReport,
  renderReport,
  sourceLines,
} from './report.ts';
import { martTables } from './report-marts.ts';

/** Gathers the pipeline's report, prints it (or emits it as one JSON event); true when a step failed. */
export async function closingReport(
  output: Output,
  warehouse: Warehouse,
  outcomes: readonly SourceOutcome[],
  ingestSeconds: number,
  summary: RunSummary | undefined,
  buildSeconds: number,
): Promise<boolean> {
  const sources = sourceLines(outcomes);
  const build = summary ? buildLine(summary) : undefined;
  let marts: MartTable[] = [];
  if (summary) {
    try {
      marts = await martTables(warehouse, summary);
    } catch (error) {
      // The report is a view of the run, not part of it: a mart that cannot be read costs its table only.
      output.reporter.emit({
        type: 'log',
        level: 'warn',
        message: `the report could not read the marts: ${(error as Error).message.split('\n')[0]}`,
      });
    }
  }
  const failure = failureOf(sources, build);
  const ingestFailed = sources.some((s) => s.status === 'failed');
  const report: PipelineReport = {
    ok: failure === undefined,
    ...(failure ? { failure } : {}),
    steps: [
      { name: 'ingest', status: ingestFailed ? 'failed' : 'ok', seconds: ingestSeconds },
      {
        name: 'build',
        status: !build ? 'not run' : failure ? 'failed' : 'ok',
        seconds: buildSeconds,
      },
    ],
    sources,
    ...(build ? { build } : {}),
    marts,
    next: nextCommands(sources, marts, demaCommand(process.env)),
  };
  if (output.json) output.reporter.emit({ type: 'pipeline.report', report });
  else for (const line of renderReport(report)) output.line(line);
  return failure !== undefined;
}
