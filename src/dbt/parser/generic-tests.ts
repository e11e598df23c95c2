import { createHash } from 'node:crypto';
import { DemaError } from '../../errors.ts';
import type { TestSpec } from '../manifest/types.ts';
import type { NodeConfig } from '../project/config-tree.ts';

/** Normalising schema-YAML test entries and naming tests exactly as dbt does (dbt-semantics.md §2.2, §6.3). */

const CONFIG_KEYS = new Set([
  'severity',
  'tags',
  'enabled',
  'where',
  'limit',
  'warn_if',
  'error_if',
  'fail_calc',
  'store_failures',
  'store_failures_as',
  'meta',
  'database',
  'schema',
  'alias',
]);

export function normaliseTestEntry(entry: unknown, at: string | (() => string)): TestSpec {
  if (typeof entry === 'string') return withNamespace(entry, {}, {});
  const where = () => (typeof at === 'string' ? at : at());
  if (!entry || typeof entry !== 'object' || Array.isArray(entry))
    throw new DemaError(
      'PARSE_YAML',
      `${where()}: a test must be a name or a mapping, got ${JSON.stringify(entry)}.`,
      {
        hint: 'Write e.g. "- unique" or "- accepted_values: {values: [a, b]}".',
      },
    );
  const record = entry as Record<string, unknown>;
  let testName: string;
  let body: Record<string, unknown>;
  if (typeof record.test_name === 'string') {
    testName = record.test_name;
    body = record;
  } else {
    const keys = Object.keys(record);
    if (keys.length !== 1)
      throw new DemaError(
        'PARSE_YAML',
        `${where()}: a test mapping must have exactly one key (the test name), got ${keys.join(', ')}.`,
        {
          hint: 'Nest the arguments under the test name: "- relationships: {to: ref(\'x\'), field: id}".',
        },
      );
    testName = keys[0]!;
    body = (record[testName] ?? {}) as Record<string, unknown>;
  }
  const config: NodeConfig = { ...((body.config as NodeConfig | undefined) ?? {}) };
  const kwargs: Record<string, unknown> = {
    ...((body.arguments as Record<string, unknown> | undefined) ?? {}),
  };
  let customName: string | undefined;
  let description: string | undefined;
  for (const [key, value] of Object.entries(body)) {
    if (key === 'config' || key === 'arguments' || key === 'test_name') continue;
    if (key === 'name') customName = String(value);
    else if (key === 'description') description = String(value);
    else if (CONFIG_KEYS.has(key)) config[key] = value;
    else kwargs[key] = value;
  }
  return withNamespace(testName, kwargs, config, customName, description);
}

function withNamespace(
  fullName: string,
  kwargs: Record<string, unknown>,
  config: NodeConfig,
  customName?: string,
  description?: string,
): TestSpec {
  const dot = fullName.indexOf('.');
  const namespace = dot > 0 ? fullName.slice(0, dot) : undefined;
  const name = dot > 0 ? fullName.slice(dot + 1) : fullName;
  return {
    name,
    kwargs,
    config,
    ...(namespace ? { namespace } : {}),
    ...(customName ? { customName } : {}),
    ...(description ? { description } : {}),
  };
}

function flatten(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(flatten);
  if (value && typeof value === 'object') return Object.values(value).flatMap(flatten);
  return [pyStr(value)];
}

function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}

function pyRepr(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${pyRepr(key)}: ${pyRepr((value as Record<string, unknown>)[key])}`)
      .join(', ')}}`;
  const text = typeof value === 'string' ? value : pyStr(value);
  if (text.includes("'") && !text.includes('"')) return `"${text}"`;
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export interface TestNaming {
  readonly fullName: string;
  readonly alias: string;
  readonly uniqueIdSuffix: string;
}

/**
 * `<[namespace_]test>_<target>_<args>`; ≥ 64 characters → the first 30 of `<test>_<target>` + md5.
 * unique_id suffix: last 10 hex of md5(full name + repr of the test metadata).
 */
export function nameGenericTest(
  spec: TestSpec,
  target: string,
  isSource: boolean,
  columnName?: string,
): TestNaming {
  const testPart = `${isSource ? 'source_' : ''}${spec.namespace ? `${spec.namespace}_` : ''}${spec.name}`;
  const args: Record<string, unknown> = {
    ...spec.kwargs,
    ...(columnName !== undefined ? { column_name: columnName } : {}),
  };
  const argText = Object.keys(args)
    .filter((key) => key !== 'model')
    .sort()
    .flatMap((key) => flatten(args[key]))
    .map((value) => value.replace(/[^0-9a-zA-Z_]+/g, '_'))
    .join('__');
  const generated = `${testPart}_${target}${argText ? `_${argText}` : ''}`;
  const fullName = spec.customName ?? generated;
  const alias =
    spec.customName ??
    (fullName.length >= 64 ? `${`${testPart}_${target}`.slice(0, 30)}_${md5(fullName)}` : fullName);
  const metadata = {
    kwargs: Object.fromEntries(
      Object.entries(args).map(([k, v]) => [k, Array.isArray(v) ? v.map(pyStr) : pyStr(v)]),
    ),
    name: spec.name,
    namespace: spec.namespace ?? null,
  };
  const suffix = md5(fullName + pyRepr(metadata)).slice(-10);
  return { fullName, alias, uniqueIdSuffix: suffix };
}
