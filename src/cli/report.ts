import type { NodeResult, RunSummary } from '../dbt/run/results.ts';
import type { SourceOutcome } from '../ingest/ingest.ts';

/**
 * The pipeline's closing report, built from data (ingest outcomes, the dbt run's results, rows of the
 * marts) and rendered in ≤ ~40 lines of ≤ 100 characters. The same object is the `pipeline.report`
 * JSON event, so a script sees exactly what a person reads.
 */
export const REPORT_WIDTH = 100;

export interface SourceLine {
  readonly source: string;
  readonly status: 'loaded' | 'skipped' | 'failed';
  readonly rowsRead: number;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly loadId?: string;
  readonly error?: string;
}

export interface Counts {
  pass: number;
  warn: number;
  error: number;
  skip: number;
  total: number;
}

export interface BuildLine {
  readonly models: Counts;
  readonly tests: Counts;
  readonly failing: { uniqueId: string; status: string; message: string }[];
}

/** A mart's latest month as a small table; numbers stay numbers (rendering formats them). */
export interface MartTable {
  readonly title: string;
  readonly month: string;
  readonly columns: string[];
  readonly rows: (string | number)[][];
}

export interface PipelineReport {
  readonly ok: boolean;
  /** The failing step, named: "ingest failed: …" or "build failed: …". */
  readonly failure?: string;
  readonly steps: { name: 'ingest' | 'build'; status: 'ok' | 'failed' | 'not run'; seconds: number }[];
  readonly sources: SourceLine[];
  readonly build?: BuildLine;
  readonly marts: MartTable[];
  readonly next: string[];
}

export function sourceLines(outcomes: readonly SourceOutcome[]): SourceLine[] {
  return outcomes.map((o) => {
    if (o.status === 'failed')
      return {
        source: o.source,
        status: 'failed',
        rowsRead: 0,
        rowsLoaded: 0,
        rowsRejected: 0,
        error: `[${o.error.code}] ${o.error.message}`,
      };
    const r = o.status === 'success' ? o.record : o.previous;
    return {
      source: o.source,
      status: o.status === 'success' ? 'loaded' : 'skipped',
      // A skipped source loaded nothing this run: its earlier load is named, its rows not counted.
      rowsRead: o.status === 'success' ? r.rows_read : 0,
      rowsLoaded: o.status === 'success' ? r.rows_loaded : 0,
      rowsRejected: o.status === 'success' ? r.rows_rejected : 0,
      loadId: r.load_id,
    };
  });
}

const zero = (): Counts => ({ pass: 0, warn: 0, error: 0, skip: 0, total: 0 });

/** As dbt's summary (results.ts): success/pass pass, fail/error error, skipped skip. */
function count(into: Counts, status: NodeResult['status']): void {
  into.total++;
  if (status === 'success' || status === 'pass') into.pass++;
  else if (status === 'warn') into.warn++;
  else if (status === 'skipped') into.skip++;
  else into.error++;
}

export function buildLine(summary: RunSummary): BuildLine {
  const models = zero();
  const tests = zero();
  const failing: BuildLine['failing'] = [];
  for (const r of summary.results) {
    count(r.resourceType === 'test' || r.resourceType === 'unit_test' ? tests : models, r.status);
    if (r.status === 'error' || r.status === 'fail')
      failing.push({ uniqueId: r.uniqueId, status: r.status, message: r.message });
  }
  return { models, tests, failing };
}

/** Names the failing step; undefined when everything passed (warnings do not fail). */
export function failureOf(sources: readonly SourceLine[], build: BuildLine | undefined): string | undefined {
  const failed = sources.filter((s) => s.status === 'failed');
  if (failed.length > 0)
    return `ingest failed: ${failed.length} source${failed.length === 1 ? '' : 's'} failed — ${failed.map((s) => `${s.source} ${s.error}`).join('; ')}`;
  if (!build) return undefined;
  const parts: string[] = [];
  const modelErrors = build.failing.filter((f) => !f.uniqueId.startsWith('test.'));
  const testErrors = build.failing.filter((f) => f.uniqueId.startsWith('test.'));
  if (modelErrors.length)
    parts.push(`${modelErrors.length} node${modelErrors.length === 1 ? '' : 's'} errored`);
  if (testErrors.length) parts.push(`${testErrors.length} test${testErrors.length === 1 ? '' : 's'} failed`);
  const skipped = build.models.skip + build.tests.skip;
  if (skipped) parts.push(`${skipped} skipped`);
  if (parts.length === 0) return undefined;
  // unique ids are resource.package.name[.hash]: the name is the third part.
  const names = [...modelErrors, ...testErrors].map((f) => f.uniqueId.split('.')[2] ?? f.uniqueId);
  return `build failed: ${parts.join(', ')}${names.length ? ` — ${names.join(', ')}` : ''}`;
}

/**
 * The commands to try next, as the user can type them: `dema` where it is on the PATH (a global
 * install), `npx dema` when the run came through npm (`npm start`, `npx dema …`), where it is not.
 */
export function nextCommands(
  sources: readonly SourceLine[],
  marts: readonly MartTable[],
  dema = 'dema',
): string[] {
  const next = [
    marts.length
      ? `${dema} query "SELECT * FROM mart_finance__orders_per_month ORDER BY month_start DESC LIMIT 10"`
      : `${dema} query "SHOW TABLES"`,
    `${dema} docs generate && ${dema} docs serve`,
    `${dema} serve`,
    `${dema} runs`,
  ];
  if (sources.some((s) => s.rowsRejected > 0)) next.push(`${dema} rejects`);
  return next;
}

/** How the user runs dema: npm sets npm_lifecycle_event for `npm start` and `npx`. */
export function demaCommand(env: NodeJS.ProcessEnv): string {
  return env.npm_lifecycle_event ? 'npx dema' : 'dema';
}

const fit = (text: string, width = REPORT_WIDTH) =>
  text.length > width ? `${text.slice(0, width - 1)}…` : text;

const num = (value: string | number, decimals = 0) =>
  typeof value === 'number'
    ? value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
    : value;

function countsText(c: Counts): string {
  return `${c.total} (pass ${c.pass}, warn ${c.warn}, error ${c.error}, skip ${c.skip})`;
}

/** Right-aligned numbers, left-aligned text; every cell cut so the row stays inside the width. */
function table(t: MartTable): string[] {
  // A column with any fraction (money) shows two decimals in every row, so the points line up.
  const decimals = t.columns.map((_, i) =>
    t.rows.some((r) => typeof r[i] === 'number' && !Number.isInteger(r[i])) ? 2 : 0,
  );
  const cells = t.rows.map((row) => row.map((v, i) => fit(num(v, decimals[i]), 24)));
  const widths = t.columns.map((name, i) => Math.max(name.length, ...cells.map((r) => r[i]!.length)));
  const numeric = t.columns.map((_, i) => t.rows.length > 0 && t.rows.every((r) => typeof r[i] === 'number'));
  const line = (r: string[]) =>
    `  ${r.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ')}`.trimEnd();
  return [`${t.title} — ${t.month}`, line(t.columns), ...cells.map(line)];
}

function stepLine(step: PipelineReport['steps'][number]): string {
  return `${step.name.padEnd(7)}${step.status}${step.status === 'not run' ? '' : ` in ${step.seconds.toFixed(1)}s`}`;
}

function sourceText(s: SourceLine): string {
  if (s.status === 'failed') return `  ${s.source}: FAILED ${s.error}`;
  if (s.status === 'skipped') return `  ${s.source}: skipped (same file already loaded by ${s.loadId})`;
  return `  ${s.source}: ${num(s.rowsLoaded)} rows loaded, ${num(s.rowsRejected)} rejected`;
}

function buildText(build: BuildLine): string[] {
  const lines = [`  models ${countsText(build.models)}`, `  tests  ${countsText(build.tests)}`];
  for (const f of build.failing.slice(0, 5))
    lines.push(`  ${f.status.toUpperCase()} ${f.uniqueId}: ${f.message.split('\n')[0]}`);
  if (build.failing.length > 5)
    lines.push(`  … and ${build.failing.length - 5} more (target/run_results.json)`);
  return lines;
}

export function renderReport(r: PipelineReport): string[] {
  const [ingest, build] = r.steps;
  const lines: string[] = ['', `── dema pipeline: ${r.ok ? 'done' : 'FAILED'} ──`];
  if (ingest) lines.push(stepLine(ingest), ...r.sources.map(sourceText));
  if (build) lines.push(stepLine(build), ...(r.build ? buildText(r.build) : []));
  for (const mart of r.marts) lines.push('', ...table(mart));
  if (r.failure) lines.push('', r.failure);
  lines.push('', 'Next:', ...r.next.map((c) => `  ${c}`));
  return lines.map((l) => fit(l));
}
