import type { DemaEvent, Reporter } from '../events.ts';

/** Everything the CLI writes goes through here, so tests can capture it and modes stay consistent. */
export interface Output {
  readonly json: boolean;
  readonly color: boolean;
  line(text: string): void;
  /** Raw text to stdout (no newline added), e.g. a query result in CSV. */
  write(text: string): void;
  error(text: string): void;
  reporter: Reporter;
}

const paint = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
export const colors = { green: paint(32), red: paint(31), yellow: paint(33), dim: paint(2), bold: paint(1) };

export function humanBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

class ProgressLine {
  private lastDraw = 0;
  private started = Date.now();
  private label = '';
  private active = false;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  /** rows is undefined while only bytes are known (a fetch, or a file ClickHouse is parsing). */
  draw(
    label: string,
    done: number,
    total: number,
    rows: number | undefined,
    rejected: number,
    unit?: string,
  ): void {
    const now = Date.now();
    // Elapsed time and rates are per bar: a new label starts the clock again.
    if (label !== this.label) [this.label, this.started] = [label, now];
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const seconds = (now - this.started) / 1000;
    const eta = fraction > 0 && fraction < 1 ? Math.round((seconds / fraction) * (1 - fraction)) : 0;
    const amount = unit
      ? `${formatCount(done)}/${formatCount(total)} ${unit}`
      : `${humanBytes(done)}/${total > 0 ? humanBytes(total) : '?'}`;
    const counts = unit
      ? ''
      : rows === undefined
        ? `${humanBytes(seconds > 0 ? done / seconds : 0)}/s`
        : `${formatCount(rows)} rows ${formatCount(Math.round(seconds > 0 ? rows / seconds : 0))} rows/s`;
    const text = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${amount}${counts ? ` ${counts}` : ''}${rejected ? ` ${formatCount(rejected)} rejected` : ''} ${Math.floor(seconds)}s${eta ? ` ETA ${eta}s` : ''}`;
    writeTo(this.stream, `\r\u001b[2K${text}`);
    this.active = true;
  }

  clear(): void {
    if (this.active) writeTo(this.stream, '\r\u001b[2K');
    this.active = false;
  }
}

const clock = () => new Date().toISOString().slice(11, 19);

function dotted(text: string, width = 64): string {
  return text.length >= width ? text : `${text} ${'.'.repeat(width - text.length - 1)}`;
}

function verb(status: string): string {
  switch (status) {
    case 'success':
      return 'OK';
    case 'pass':
      return 'PASS';
    case 'fail':
      return 'FAIL';
    case 'warn':
      return 'WARN';
    case 'skipped':
      return 'SKIP';
    default:
      return 'ERROR';
  }
}

type Painter = Record<'green' | 'red' | 'yellow' | 'dim' | 'bold', (text: string) => string>;

function statusLabel(status: string, message: string, c: Painter): string {
  switch (status) {
    case 'success':
      return c.green(message);
    case 'pass':
      // Source freshness passes carry their age ("PASS: newest row 5m old (…)").
      return c.green(message.startsWith('PASS:') ? message : 'PASS');
    case 'warn':
      return c.yellow('WARN');
    case 'skipped':
      return c.yellow('SKIP');
    case 'fail':
      return c.red('FAIL');
    default:
      return c.red('ERROR');
  }
}

function describe(event: DemaEvent, color: boolean, failures: readonly NodeDone[] = []): string | undefined {
  const c: Painter = color
    ? colors
    : { green: String, red: String, yellow: String, dim: String, bold: String };
  switch (event.type) {
    case 'fetch.start':
      return `${c.dim('fetch')} ${event.source} ← ${event.location}`;
    case 'fetch.retry':
      return `${c.yellow('retry')} ${event.source}: attempt ${event.attempt} failed (${event.reason}); retrying in ${event.delayMs} ms`;
    case 'fetch.done':
      return `${c.dim('saved')} ${event.source}: ${humanBytes(event.bytes)} sha256 ${event.sha256.slice(0, 12)} → ${event.path}`;
    case 'load.skipped':
      return `${c.yellow('skip')}  ${event.source} (${event.merchant}): this file (sha256 ${event.sha256.slice(0, 12)}) was already loaded by ${event.previousLoadId}; --force loads it again`;
    case 'load.recovered':
      return `${c.yellow('note')}  ${event.source}: load ${event.loadId} had been interrupted; marked failed and cleaned up`;
    case 'load.start':
    case 'generate.progress':
    case 'pipeline.report':
    case 'load.progress':
    case 'fetch.progress':
      return undefined;
    case 'load.done':
      return `${c.green('loaded')} ${event.source} (${event.merchant}): ${formatCount(event.rowsRead)} read = ${formatCount(event.rowsLoaded)} loaded + ${formatCount(event.rowsRejected)} rejected in ${(event.elapsedMs / 1000).toFixed(1)}s (load ${event.loadId})`;
    case 'log':
      return event.level === 'warn' ? `${c.yellow('warn')}  ${event.message}` : event.message;
    case 'dbt.start':
      return `Found ${event.description || 'nothing to run'}\n`;
    case 'dbt.node.start':
      return `${c.dim(clock())} ${event.index} of ${event.total} START ${dotted(event.description)} [RUN]`;
    case 'dbt.node.done': {
      const label = statusLabel(event.status, event.message, c);
      const head = `${c.dim(clock())} ${event.index} of ${event.total} ${verb(event.status)} ${dotted(event.description)} [${label}${event.status === 'skipped' ? '' : ` in ${event.seconds.toFixed(2)}s`}]`;
      if (
        event.status === 'error' ||
        event.status === 'fail' ||
        event.status === 'warn' ||
        event.status === 'skipped'
      )
        return `${head}\n    ${event.status === 'warn' ? c.yellow(event.message) : event.status === 'skipped' ? c.dim(event.message) : c.red(event.message)}${event.hint ? `\n    hint: ${event.hint}` : ''}`;
      return head;
    }
    case 'dbt.done':
      return closingSummary(event, failures, c);
  }
}

type NodeDone = Extract<DemaEvent, { type: 'dbt.node.done' }>;

/**
 * As dbt's closing summary: the counts, then each error and failure again (then each warning), with
 * its message and where its compiled SQL is, so a long log need not be scrolled back.
 */
function closingSummary(
  event: Extract<DemaEvent, { type: 'dbt.done' }>,
  notes: readonly NodeDone[],
  c: Painter,
) {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const totals = `PASS=${event.pass} WARN=${event.warn} ERROR=${event.error} SKIP=${event.skip} TOTAL=${event.total}`;
  let closing: string;
  if (event.error > 0 || event.skip > 0)
    closing = c.red(
      `Completed with ${plural(event.error, 'error')}${event.skip ? ` and ${event.skip} skipped` : ''}${event.warn ? ` (${plural(event.warn, 'warning')})` : ''}:`,
    );
  else if (event.warn > 0) closing = c.yellow(`Completed with ${plural(event.warn, 'warning')}:`);
  else closing = c.green('Completed successfully');
  const ordered = [...notes.filter((n) => n.status !== 'warn'), ...notes.filter((n) => n.status === 'warn')];
  const details = ordered.map((note) => `\n\n${describeNote(note, c)}`).join('');
  return `\nFinished running ${plural(event.total, 'node')} in ${event.seconds.toFixed(2)}s.\n${closing}${details}\n\nDone. ${totals}`;
}

function describeNote(event: NodeDone, c: Painter): string {
  const head =
    event.status === 'warn'
      ? c.yellow(`Warning in ${event.uniqueId}`)
      : c.red(`${event.status === 'fail' ? 'Failure' : 'Error'} in ${event.uniqueId}`);
  const lines = [head, `  ${event.message.split('\n').join('\n  ')}`];
  if (event.hint) lines.push(`  hint: ${event.hint}`);
  if (event.path) lines.push(`  compiled code at ${event.path}`);
  return lines.join('\n');
}

/**
 * A reader that goes away (`dema build | head -1`) closes the pipe: writing then fails with EPIPE.
 * That ends the output, quietly, and never the work: the build goes on and writes its artifacts.
 */
const closedStreams = new WeakSet<NodeJS.WritableStream>();

function guard(stream: NodeJS.WritableStream): void {
  if ((stream as { demaGuarded?: boolean }).demaGuarded) return;
  (stream as { demaGuarded?: boolean }).demaGuarded = true;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') closedStreams.add(stream);
    else throw error;
  });
}

/** Called first thing, so even help text written by commander cannot die of EPIPE. */
export function guardStandardStreams(): void {
  guard(process.stdout);
  guard(process.stderr);
}

function writeTo(stream: NodeJS.WritableStream, text: string): void {
  if (closedStreams.has(stream)) return;
  try {
    stream.write(text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    closedStreams.add(stream);
  }
}

/** Shown even with --quiet: what failed, and the closing summary. */
function showWhenQuiet(event: DemaEvent): boolean {
  if (event.type === 'dbt.done') return true;
  return event.type === 'dbt.node.done' && (event.status === 'error' || event.status === 'fail');
}

export function createOutput(options: { json: boolean; quiet: boolean }): Output {
  const stdout = process.stdout;
  const stderr = process.stderr;
  guard(stdout);
  guard(stderr);
  const color = !options.json && stdout.isTTY === true && !process.env.NO_COLOR;
  const progress = stderr.isTTY && !options.json && !options.quiet ? new ProgressLine(stderr) : undefined;
  let failures: NodeDone[] = [];
  const reporter: Reporter = {
    emit(event) {
      if (options.json) {
        writeTo(stdout, `${JSON.stringify({ ...event, time: new Date().toISOString() })}\n`);
        return;
      }
      if (event.type === 'load.progress') {
        progress?.draw(event.source, event.bytesDone, event.bytesTotal, event.rows, event.rejected);
        return;
      }
      if (event.type === 'generate.progress') {
        progress?.draw(`generate ${event.merchant}`, event.lines, event.total, undefined, 0, 'lines');
        return;
      }
      if (event.type === 'fetch.progress') {
        progress?.draw(event.source, event.bytesDone, event.bytesTotal, undefined, 0);
        return;
      }
      if (event.type === 'dbt.start') failures = [];
      if (event.type === 'dbt.node.done' && ['error', 'fail', 'warn'].includes(event.status))
        failures.push(event);
      const text = describe(event, color, failures);
      if (text === undefined || (options.quiet && !showWhenQuiet(event))) return;
      progress?.clear();
      writeTo(stdout, `${text}\n`);
    },
  };
  return {
    json: options.json,
    color,
    line: (text) => {
      progress?.clear();
      writeTo(stdout, `${text}\n`);
    },
    write: (text) => {
      progress?.clear();
      writeTo(stdout, text);
    },
    error: (text) => {
      progress?.clear();
      writeTo(stderr, `${text}\n`);
    },
    reporter,
  };
}
