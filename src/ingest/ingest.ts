import { resolve } from 'node:path';
import type { DemaConfig, SourceConfig } from '../config/dema-config.ts';
import { DemaError } from '../errors.ts';
import type { Reporter } from '../events.ts';
import { fsError } from '../fs-error.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { DEFAULT_RECORD_LIMITS } from './csv-scanner.ts';
import { resolveBudget } from './error-budget.ts';
import { type LoadResult, loadSource } from './load-source.ts';
import { openSource } from './open-source.ts';

export interface IngestOptions {
  /** Source names to ingest; all when empty. */
  readonly only: readonly string[];
  /** Per-run location overrides: source name → URL or path. */
  readonly locations: Readonly<Record<string, string>>;
  readonly force: boolean;
  readonly chunkBytes?: number;
  /** Overrides of dema.yml's `fetch` settings (tests shorten the waits). */
  readonly fetch?: {
    maxAttempts?: number;
    baseDelayMs?: number;
    connectTimeoutMs?: number;
    idleTimeoutMs?: number;
  };
}

export type SourceOutcome =
  | LoadResult
  | { readonly status: 'failed'; readonly source: string; readonly error: DemaError };

function selectSources(config: DemaConfig, options: IngestOptions): SourceConfig[] {
  const known = new Set(config.sources.map((source) => source.name));
  for (const name of [...options.only, ...Object.keys(options.locations)]) {
    if (!known.has(name))
      throw new DemaError('INGEST_SOURCE_UNKNOWN', `Unknown source "${name}".`, {
        hint: `Sources declared in ${config.file}: ${[...known].join(', ') || '(none)'}.`,
      });
  }
  return config.sources.filter((source) => options.only.length === 0 || options.only.includes(source.name));
}

/** A source's failure as a coded error; a filesystem error the user can cause is one too. */
function asSourceError(error: unknown): DemaError {
  if (error instanceof DemaError) return error;
  const { path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  const coded = path === undefined ? error : fsError('INGEST_LOAD', error, path, syscall ?? 'use');
  if (coded instanceof DemaError) return coded;
  throw error;
}

/** Fetches and loads each selected source; one source failing does not stop the others. */
export async function ingest(
  config: DemaConfig,
  warehouse: Warehouse,
  options: IngestOptions,
  reporter: Reporter,
): Promise<SourceOutcome[]> {
  const outcomes: SourceOutcome[] = [];
  for (const source of selectSources(config, options)) {
    const location = options.locations[source.name] ?? source.location;
    const budget = resolveBudget(source, config);
    try {
      const file = await openSource({
        source: source.name,
        merchant: source.merchant,
        location,
        archiveDir: resolve(config.root, config.archive_dir),
        reporter,
        maxAttempts: config.fetch.retries + 1,
        connectTimeoutMs: config.fetch.connect_timeout_ms,
        idleTimeoutMs: config.fetch.idle_timeout_ms,
        maxRedirects: config.fetch.max_redirects,
        ...options.fetch,
      });
      const loading = loadSource(
        warehouse,
        source,
        file,
        {
          force: options.force,
          location,
          ...budget,
          recordLimits: {
            maxRecordLines:
              source.max_record_lines ?? config.max_record_lines ?? DEFAULT_RECORD_LIMITS.maxRecordLines,
            maxRecordBytes:
              source.max_record_bytes ?? config.max_record_bytes ?? DEFAULT_RECORD_LIMITS.maxRecordBytes,
          },
          ...(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}),
        },
        reporter,
      );
      // Whatever the load's fate, the raw copy is finished before the next source (or the exit).
      await Promise.allSettled([loading, file.archived]);
      outcomes.push(await loading);
    } catch (error) {
      outcomes.push({ status: 'failed', source: source.name, error: asSourceError(error) });
    }
  }
  return outcomes;
}
