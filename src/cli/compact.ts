import type { DemaEvent, Reporter } from '../events.ts';
import { formatCount, humanBytes, type Output } from './output.ts';
import { REPORT_WIDTH } from './report.ts';

/**
 * The pipeline's terminal output: one line per source and one per dbt node, none longer than
 * REPORT_WIDTH (long messages are cut, with a pointer to target/run_results.json where they are
 * whole). The closing report replaces dbt's closing summary. JSON output is left as it is: every
 * event, unabridged. On a TTY a running node shows a ticking timer on stderr (never in JSON or a pipe).
 */
const POINTER = ' … (target/run_results.json)';

export function cut(text: string, width = REPORT_WIDTH, pointer = '…'): string {
  const one = text.replace(/\s*\n\s*/g, ' ');
  return one.length > width ? `${one.slice(0, width - pointer.length)}${pointer}` : one;
}

const clock = () => new Date().toISOString().slice(11, 19);
const VERB: Record<string, string> = {
  success: 'OK',
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  skipped: 'SKIP',
  error: 'ERROR',
};

type NodeDone = Extract<DemaEvent, { type: 'dbt.node.done' }>;

export function nodeLine(e: NodeDone, time = clock()): string[] {
  const verb = VERB[e.status] ?? 'ERROR';
  const tail = e.status === 'skipped' ? '' : ` ${e.seconds.toFixed(2)}s`;
  const detail = e.status === 'success' && e.message && e.message !== 'OK' ? ` [${e.message}]` : '';
  const index = `${e.index}/${e.total}`.padStart(2 * String(e.total).length + 1);
  const head = `${time} ${index} ${verb.padEnd(5)}`;
  const room = REPORT_WIDTH - head.length - 1 - tail.length - detail.length;
  const lines = [`${head} ${cut(e.description, room)}${detail}${tail}`];
  if (e.status !== 'success' && e.status !== 'pass')
    lines.push(cut(`    ${e.message}`, REPORT_WIDTH, POINTER));
  return lines;
}

function sourceLine(e: DemaEvent): string | undefined {
  if (e.type === 'load.done')
    return cut(
      `loaded ${e.source} (${e.merchant}): ${formatCount(e.rowsLoaded)} rows, ${formatCount(e.rowsRejected)} rejected in ${(e.elapsedMs / 1000).toFixed(1)}s`,
    );
  if (e.type === 'load.skipped')
    return cut(`skip   ${e.source} (${e.merchant}): same file already loaded by ${e.previousLoadId}`);
  return undefined;
}

/** A ticking "running …" line on stderr while nodes run, for a terminal only. */
class Ticker {
  private readonly running = new Map<string, { description: string; since: number }>();
  private timer: NodeJS.Timeout | undefined;
  private shown = false;
  constructor(private readonly stream: NodeJS.WriteStream) {}
  start(id: string, description: string): void {
    this.running.set(id, { description, since: Date.now() });
    this.timer ??= setInterval(() => this.draw(), 1000);
    this.timer.unref();
  }
  stop(id: string): void {
    this.running.delete(id);
    if (this.running.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
  clear(): void {
    if (this.shown) this.stream.write('\r\u001b[2K');
    this.shown = false;
  }
  private draw(): void {
    const oldest = [...this.running.values()].sort((a, b) => a.since - b.since)[0];
    if (!oldest) return;
    const seconds = Math.round((Date.now() - oldest.since) / 1000);
    const others = this.running.size > 1 ? ` (+${this.running.size - 1} more)` : '';
    this.stream.write(`\r\u001b[2K${cut(`running ${oldest.description} ${seconds}s${others}`, 99)}`);
    this.shown = true;
  }
}

export function compactOutput(
  output: Output,
  quiet: boolean,
  stderr: NodeJS.WriteStream = process.stderr,
): Output {
  if (output.json) return output;
  const ticker = stderr.isTTY && !quiet ? new Ticker(stderr) : undefined;
  // --quiet keeps what failed (and the report); the rest is progress.
  const say = (text: string) => {
    if (!quiet) print(text);
  };
  const print = (text: string) => {
    ticker?.clear();
    output.line(text);
  };
  // A load ClickHouse parses itself reports nothing until it ends: the ticker shows it is alive.
  // The archive copy's progress bar (it comes after load.start) pauses it; the load's own bar (a
  // load dema scans), its end, or anything after it (the next source, an error, the build) ends it.
  let loading: { id: string; description: string } | undefined;
  const loadEnded = () => {
    if (loading !== undefined) ticker?.stop(loading.id);
    loading = undefined;
  };
  const reporter: Reporter = {
    emit(event) {
      if (event.type === 'fetch.progress' && loading) ticker?.stop(loading.id);
      else if (event.type === 'fetch.done' && loading) ticker?.start(loading.id, loading.description);
      else if (event.type !== 'load.start') loadEnded();
      switch (event.type) {
        case 'fetch.start':
        case 'fetch.done':
        case 'dbt.done':
          return;
        case 'load.start':
          loadEnded();
          loading = {
            id: `load ${event.loadId}`,
            description: `load ${event.source} (${humanBytes(event.bytes)})`,
          };
          return ticker?.start(loading.id, loading.description);
        case 'load.done':
        case 'load.skipped':
          return say(sourceLine(event)!);
        case 'dbt.start':
          return say(cut(`Found ${event.description || 'nothing to run'}`));
        case 'dbt.node.start':
          return ticker?.start(event.uniqueId, event.description);
        case 'dbt.node.done':
          ticker?.stop(event.uniqueId);
          if (quiet && event.status !== 'error' && event.status !== 'fail') return;
          return nodeLine(event).forEach(print);
        default:
          ticker?.clear();
          return output.reporter.emit(event);
      }
    },
  };
  return {
    ...output,
    reporter,
    line: print,
    error: (text) => {
      loadEnded();
      ticker?.clear();
      output.error(text);
    },
  };
}
