import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Cron } from 'croner';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { DemaError } from '../errors.ts';

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)');

const sourceSchema = z
  .object({
    name: identifier,
    location: z.string().min(1),
    format: z.literal('csv').default('csv'),
    table: identifier,
    columns: z.array(identifier).min(1),
    key: z.array(identifier).min(1),
    merchant: z.string().min(1).default('default'),
    /** Rejected rows allowed per load (count); the load fails beyond it. */
    max_rejects: z.number().int().nonnegative().optional(),
    /** Rejected rows allowed per load as a share of rows read (0..1). */
    max_reject_ratio: z.number().min(0).max(1).optional(),
  })
  .strict()
  .refine((source) => source.key.every((column) => source.columns.includes(column)), {
    message: 'every key column must be one of the declared columns',
    path: ['key'],
  });

const chdbTarget = z
  .object({
    type: z.literal('chdb'),
    path: z.string().default('.dema/warehouse'),
    schema: identifier.default('dema'),
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

const configSchema = z
  .object({
    target: z.string().default('embedded'),
    targets: z.record(z.string(), targetSchema),
    archive_dir: z.string().default('data/raw'),
    /** The dbt project `dema run/build/…` use when no dbt_project.yml is at or above the current directory. */
    project_dir: z.string().default('project'),
    max_rejects: z.number().int().nonnegative().optional(),
    max_reject_ratio: z.number().min(0).max(1).optional(),
    sources: z.array(sourceSchema).default([]),
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
      const node = document.getIn(issue.path as (string | number)[], true) as
        | { range?: [number] }
        | undefined;
      const line = lineOf(text, node?.range?.[0]);
      return `${file}${line ? `:${line}` : ''}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`;
    });
    throw new DemaError('CONFIG_INVALID', `Invalid configuration:\n  ${problems.join('\n  ')}`, {
      hint: 'See the README section "Configuration" for every key and its accepted values.',
    });
  }
  const names = new Set<string>();
  for (const source of parsed.data.sources) {
    if (names.has(source.name))
      throw new DemaError('CONFIG_INVALID', `${file}: source "${source.name}" is declared twice`, {
        hint: 'Give each source a unique name.',
      });
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
