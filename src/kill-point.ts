import type { Reporter } from './events.ts';

/**
 * Fault injection for the crash tests, and nothing else. With `DEMA_TEST_KILL_AT=<point>` the
 * process SIGKILLs itself (no cleanup, no finally blocks: a real crash) when it reaches that point:
 * - `publish.committed` — at the named point in the code;
 * - `publish.committed@2` — the second time it gets there;
 * - `publish.committed+15` — 15 ms after it gets there, wherever the process is by then (inside
 *   a statement the engine runs on its own threads, for instance);
 * - `event:fetch.start+5` — when the reporter emits that event (see `killOnEvents`).
 * Unset, every call is one comparison with undefined.
 */

interface Target {
  readonly point: string;
  readonly nth: number;
  readonly delayMs: number | undefined;
}

function parse(spec: string | undefined): Target | undefined {
  if (!spec) return undefined;
  const match = /^([^@+]+)(?:@(\d+))?(?:\+(\d+))?$/.exec(spec);
  if (!match) return undefined;
  return {
    point: match[1]!,
    nth: match[2] ? Number(match[2]) : 1,
    delayMs: match[3] !== undefined ? Number(match[3]) : undefined,
  };
}

const target = parse(process.env.DEMA_TEST_KILL_AT);
let reached = 0;

export function killPoint(name: string): void {
  if (target === undefined || target.point !== name || ++reached !== target.nth) return;
  if (target.delayMs === undefined) process.kill(process.pid, 'SIGKILL');
  else setTimeout(() => process.kill(process.pid, 'SIGKILL'), target.delayMs);
}

/** The reporter, with a kill point at each event (`event:<type>`) when a kill is armed. */
export function killOnEvents(reporter: Reporter): Reporter {
  if (target === undefined || !target.point.startsWith('event:')) return reporter;
  return {
    emit(event) {
      reporter.emit(event);
      killPoint(`event:${event.type}`);
    },
  };
}

/**
 * Insert settings for the crash tests: `DEMA_TEST_BLOCK_ROWS=N` makes every insert write parts of
 * N rows, so a small file gives a stage of many parts and an ATTACH that can be cut half-way.
 */
export function testInsertSettings(): Record<string, number> {
  const rows = Number(process.env.DEMA_TEST_BLOCK_ROWS ?? 0);
  if (!rows) return {};
  return {
    max_insert_block_size: rows,
    min_insert_block_size_rows: rows,
    min_insert_block_size_bytes: 0,
    max_block_size: rows,
  };
}
