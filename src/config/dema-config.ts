import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Cron } from 'croner';
import { type Document, isMap, isScalar, parseDocument } from 'yaml';
import { z } from 'zod';
import { DemaError } from '../errors.ts';

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)');

/**
 * How far one CSV record may reach (a quoted field may span lines): a longer one is a stray quote
 * or a runaway line, rejected as its first line (defaults: 1000 lines, 1 MiB; see csv-scanner.ts).
 */
const recordLimitKeys = {
  max_record_lines: z.number().int().positive().optional(),
  max_record_bytes: z
    .number()
    .int()
    .positive()
    .max(1 << 30, 'must be at most 1 GiB (1073741824)')
    .optional(),
};

/** A path setting: any text but a NUL byte, which no file system allows. */
const pathSetting = z
  .string()
  .min(1)
  .regex(/^[^\0]*$/, 'must not contain a NUL byte (\\0)');

/** A merchant id names a directory under archive_dir and a landing-table partition. */
export const MERCHANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const merchantId = z
  .string()
  .regex(
    MERCHANT_PATTERN,
    `must match ${MERCHANT_PATTERN.source} (1-100 letters, digits, _ . -, starting with a letter or digit: it names a directory under archive_dir)`,
  );

/** Source and table names also name directories and table files: kept short enough for any file system. */
const pathIdentifier = identifier.max(
  100,
  'must be at most 100 characters (it names a directory or a table)',
);

const sourceSchema = z
  .object({
    name: pathIdentifier,
    location: pathSetting,
    format: z.literal('csv').default('csv'),
    table: pathIdentifier,
    columns: z.array(identifier).min(1),
    key: z.array(identifier).min(1),
    merchant: merchantId.default('default'),
    /** Rejected rows allowed per load (count); the load fails beyond it. */
    max_rejects: z.number().int().nonnegative().optional(),
    /** Rejected rows allowed per load as a share of rows read (0..1). */
    max_reject_ratio: z.number().min(0).max(1).optional(),
    ...recordLimitKeys,
  })
  .strict()
  .refine((source) => source.key.every((column) => source.columns.includes(column)), {
    message: 'every key column must be one of the declared columns',
    path: ['key'],
  });

const chdbTarget = z
  .object({
    type: z.literal('chdb'),
    path: pathSetting.default('.dema/warehouse'),
    schema: identifier.default('dema'),
    settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .strict();

const clickhouseTarget = z
  .object({
    type: z.literal('clickhouse'),
    host: z.string().default('localhost'),
    port: z.number().int().positive().default(8123),
    secure: z.boolean().default(false),
    user: z.string().default('default'),
    password: z.string().default(''),
    schema: identifier.default('default'),
    request_timeout_ms: z.number().int().positive().default(300_000),
    /** A server that does not answer a ping within this long fails the connect (default 5000). */
    connect_timeout_ms: z.number().int().positive().optional(),
    settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .strict();

/** `dema schedule`: when the pipeline runs (croner syntax: 5 fields, or 6 with seconds first). */
const scheduleSchema = z
  .object({ cron: z.string().min(1), timezone: z.string().min(1).default('UTC') })
  .strict()
  .superRefine((schedule, context) => {
    try {
      new Cron(schedule.cron, { paused: true, timezone: schedule.timezone }).nextRun();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const path = /timezone/i.test(message) ? ['timezone'] : ['cron'];
      context.addIssue({ code: 'custom', path, message });
    }
  });

export const targetSchema = z.discriminatedUnion('type', [chdbTarget, clickhouseTarget]);

/** HTTP downloads: how long to wait, and how often to retry what a retry can fix. */
const fetchSchema = z
  .object({
    connect_timeout_ms: z.number().int().positive().default(5_000),
    idle_timeout_ms: z.number().int().positive().default(15_000),
    retries: z.number().int().nonnegative().max(20).default(3),
    max_redirects: z.number().int().nonnegative().max(20).default(5),
  })
  .strict();

const configSchema = z
  .object({
    target: z.string().default('embedded'),
    targets: z.record(z.string(), targetSchema),
    archive_dir: pathSetting.default('data/raw'),
    /** The dbt project `dema run/build/…` use when no dbt_project.yml is at or above the current directory. */
    project_dir: z.string().default('project'),
    max_rejects: z.number().int().nonnegative().optional(),
    max_reject_ratio: z.number().min(0).max(1).optional(),
    ...recordLimitKeys,
    sources: z.array(sourceSchema).default([]),
    fetch: fetchSchema.prefault({}),
    schedule: scheduleSchema.optional(),
  })
  .strict();

export type TargetConfig = z.infer<typeof targetSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type DemaConfig = z.infer<typeof configSchema> & { readonly root: string; readonly file: string };

export const CONFIG_FILE = 'dema.yml';

/** Nearest dema.yml at or above `start`. */
export function findConfigFile(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function lineOf(text: string, offset: number | undefined): number | undefined {
  if (offset === undefined) return undefined;
  return text.slice(0, offset).split('\n').length;
}

type Ranged = { range?: [number, ...number[]] | null };

/**
 * Where in the text an issue is: an unknown key's own line; else the value at the path; else (a
 * missing key) the nearest mapping that exists on the path, i.e. the one the key belongs in.
 */
function issueOffset(
  document: Document,
  path: (string | number)[],
  unknownKeys: string[],
): number | undefined {
  if (unknownKeys.length > 0) {
    const parent = path.length === 0 ? document.contents : document.getIn(path, true);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === unknownKeys[0]);
      const offset = (pair?.key as Ranged | undefined)?.range?.[0];
      if (offset !== undefined) return offset;
    }
  }
  for (let depth = path.length; depth >= 0; depth--) {
    const node = (depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true)) as
      | Ranged
      | null
      | undefined;
    if (node?.range) return node.range[0];
  }
  return undefined;
}

/** Parses and validates dema.yml; every problem names the file, line and key. */
export function parseConfig(text: string, file: string): DemaConfig {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    throw new DemaError('CONFIG_INVALID', `${file}:${first.linePos?.[0]?.line ?? '?'}: ${first.message}`, {
      hint: 'Fix the YAML syntax at that line.',
    });
  }
  const parsed = configSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path as (string | number)[];
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const line = lineOf(text, issueOffset(document, path, keys));
      const where = [...path, ...(keys.length === 1 ? keys : [])].join('.') || '(top level)';
      const missing = issue.code === 'invalid_type' && path.length > 0 && !document.hasIn(path);
      const message = missing ? `required key "${String(path.at(-1))}" is missing` : issue.message;
      return `${file}${line ? `:${line}` : ''}: ${where}: ${message}`;
    });
    throw new DemaError('CONFIG_INVALID', `Invalid configuration:\n  ${problems.join('\n  ')}`, {
      hint: 'See the README section "Configuration" for every key and its accepted values.',
    });
  }
  const names = new Set<string>();
  for (const [index, source] of parsed.data.sources.entries()) {
    if (names.has(source.name)) {
      const line = lineOf(text, issueOffset(document, ['sources', index, 'name'], []));
      throw new DemaError(
        'CONFIG_INVALID',
        `${file}${line ? `:${line}` : ''}: source "${source.name}" is declared twice`,
        { hint: 'Give each source a unique name.' },
      );
    }
    names.add(source.name);
  }
  return { ...parsed.data, root: dirname(resolve(file)), file };
}

export function loadConfig(path?: string): DemaConfig {
  const file = path ? resolve(path) : findConfigFile(process.cwd());
  if (!file || !existsSync(file)) {
    throw new DemaError(
      'CONFIG_NOT_FOUND',
      `No ${CONFIG_FILE} found${path ? ` at ${path}` : ' here or above'}.`,
      {
        hint: `Run dema from the project directory, or pass --config path/to/${CONFIG_FILE}.`,
      },
    );
  }
  return parseConfig(readFileSync(file, 'utf8'), file);
}
