import nunjucks from 'nunjucks';
import { DemaError } from '../../errors.ts';
import { installPythonCompat } from './python-compat.ts';

/**
 * One nunjucks environment for every dbt render. Names are resolved through a scope set for the
 * duration of one synchronous render (the node's context plus the macro namespace), so a macro is
 * compiled once and serves every node. nunjucks renders synchronously, so one active scope stack is safe.
 */

export interface Scope {
  has(name: string): boolean;
  get(name: string): unknown;
}

/** `{{ return(x) }}`: carries a native value out of a macro to the caller. */
export class ReturnSignal {
  constructor(readonly value: unknown) {}
}

export interface Kwargs {
  readonly [name: string]: unknown;
}

/** Splits nunjucks call arguments into positional ones and keyword ones (the trailing `__keywords` object). */
export function splitArgs(args: readonly unknown[]): { positional: unknown[]; kwargs: Kwargs } {
  const last = args.at(-1) as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && last.__keywords === true) {
    const { __keywords: _, ...kwargs } = last;
    return { positional: args.slice(0, -1), kwargs };
  }
  return { positional: [...args], kwargs: {} };
}

const BUILTIN_GLOBALS = (() => {
  const probe = new nunjucks.Environment();
  return (probe as unknown as { globals: Record<string, unknown> }).globals;
})();

const scopes: Scope[] = [];

export function currentScope(): Scope | undefined {
  return scopes.at(-1);
}

function jinjaTest(
  name: string,
  test: (value: unknown, other?: unknown) => boolean,
  env: nunjucks.Environment,
) {
  (env as unknown as { addTest(n: string, t: (v: unknown, o?: unknown) => boolean): void }).addTest(
    name,
    test,
  );
}

function asNative(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'True' || text === 'true') return true;
  if (text === 'False' || text === 'false') return false;
  if (text === 'None') return null;
  if (/^[[{]/.test(text)) {
    try {
      return JSON.parse(text.replace(/'/g, '"'));
    } catch {
      return value;
    }
  }
  return value;
}

function createEnvironment(): nunjucks.Environment {
  installPythonCompat();
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false, dev: false });
  (env as unknown as { globals: unknown }).globals = new Proxy(BUILTIN_GLOBALS, {
    has: (target, name) => typeof name === 'string' && (currentScope()?.has(name) === true || name in target),
    get: (target, name) => {
      if (typeof name !== 'string') return undefined;
      const scope = currentScope();
      if (scope?.has(name)) return scope.get(name);
      return target[name];
    },
  });
  env.addGlobal('return', (value: unknown) => {
    throw new ReturnSignal(value);
  });
  env.addFilter('as_text', (value: unknown) => (value === null || value === undefined ? '' : String(value)));
  env.addFilter('as_bool', (value: unknown) => asNative(value) === true);
  env.addFilter('as_number', (value: unknown) => Number(value));
  env.addFilter('as_native', asNative);
  env.addFilter('tojson', (value: unknown) => JSON.stringify(value));
  env.addFilter('string', (value: unknown) =>
    value === null || value === undefined ? 'None' : String(value),
  );
  env.addFilter(
    'map',
    function map(this: { env: nunjucks.Environment }, items: unknown[], ...args: unknown[]) {
      const { positional, kwargs } = splitArgs(args);
      // `map(attribute=0)` (dbt_utils on `load_result(…)['data']` rows) indexes by number.
      if (typeof kwargs.attribute === 'string' || typeof kwargs.attribute === 'number') {
        const attribute = kwargs.attribute;
        return [...items].map((item) => (item as Record<string, unknown>)[attribute]);
      }
      const filter = (env as unknown as { getFilter(n: string): (...a: unknown[]) => unknown }).getFilter(
        String(positional[0]),
      );
      return [...items].map((item) => filter.call(this, item, ...positional.slice(1)));
    },
  );
  env.addFilter('is_list', (value: unknown) => Array.isArray(value));
  env.addFilter('unique', (value: unknown[]) => [...new Set(value)]);
  env.addFilter('map_lower', (value: string[]) => value.map((item) => item.toLowerCase()));
  jinjaTest('none', (value) => value === null || value === undefined, env);
  jinjaTest('boolean', (value) => typeof value === 'boolean', env);
  jinjaTest('integer', (value) => Number.isInteger(value), env);
  jinjaTest('float', (value) => typeof value === 'number' && !Number.isInteger(value), env);
  jinjaTest('sequence', (value) => Array.isArray(value) || typeof value === 'string', env);
  jinjaTest(
    'in',
    (value, other) =>
      Array.isArray(other) || typeof other === 'string' ? other.includes(value as string) : false,
    env,
  );
  jinjaTest('sameas', (value, other) => value === other, env);
  return env;
}

let environment: nunjucks.Environment | undefined;

export function jinjaEnvironment(): nunjucks.Environment {
  environment ??= createEnvironment();
  return environment;
}

/**
 * Jinja syntax nunjucks lacks, rewritten before compiling: `{% do x %}` is a `set` whose value is
 * dropped; Python's trailing commas in calls and literals (`config(a=1,)`) are removed.
 */
export function toNunjucksSource(source: string): string {
  return source
    .replace(/\{%(-?)\s*do\s/g, '{%$1 set __dema_do = ')
    .replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (tag) => tag.replace(/,(\s*)(?=[)\]}])/g, '$1'));
}

export interface CompiledTemplate {
  readonly path: string;
  render(scope: Scope): string;
}

const templateCache = new Map<string, nunjucks.Template>();

function nunjucksTemplate(source: string, path: string, lineOffset: number): nunjucks.Template {
  // The text itself is the key: a Map hashes it natively, cheaper than a digest on every render.
  const key = `${path}\0${source}`;
  let template = templateCache.get(key);
  if (!template) {
    template = new nunjucks.Template(toNunjucksSource(source), jinjaEnvironment(), path, false);
    try {
      (template as unknown as { compile(): void }).compile();
    } catch (error) {
      throw jinjaError(error, path, lineOffset, 'JINJA_SYNTAX');
    }
    templateCache.set(key, template);
  }
  return template;
}

/** The function of macro `name` defined in `source` (a template holding just that macro). */
export function exportMacro(
  source: string,
  path: string,
  lineOffset: number,
  name: string,
): (...args: unknown[]) => unknown {
  const template = nunjucksTemplate(source, path, lineOffset);
  let macro: ((...args: unknown[]) => unknown) | undefined;
  const exporter = template as unknown as {
    getExported(
      cb: (error: Error | null, exported: Record<string, (...args: unknown[]) => unknown>) => void,
    ): void;
  };
  exporter.getExported((error, exported) => {
    if (error) throw jinjaError(error, path, lineOffset, 'JINJA_RENDER');
    macro = exported[name];
  });
  if (!macro) throw new DemaError('JINJA_SYNTAX', `${path}: macro ${name} could not be compiled.`);
  return macro;
}

/** Compiles a template once per distinct source; syntax errors name the file and line. */
export function compileTemplate(source: string, path: string, lineOffset = 0): CompiledTemplate {
  const compiled = nunjucksTemplate(source, path, lineOffset);
  return {
    path,
    render(scope) {
      return withScope(scope, () => {
        try {
          return compiled.render({});
        } catch (error) {
          throw jinjaError(error, path, lineOffset, 'JINJA_RENDER');
        }
      });
    },
  };
}

export function withScope<T>(scope: Scope, work: () => T): T {
  scopes.push(scope);
  try {
    return work();
  } finally {
    scopes.pop();
  }
}

/** The error thrown by our own context functions (ref, raise_compiler_error…) survives nunjucks' wrapping here. */
let lastThrown: DemaError | undefined;

export function raise(error: DemaError): never {
  lastThrown = error;
  throw error;
}

export function jinjaError(
  error: unknown,
  path: string,
  lineOffset: number,
  code: 'JINJA_SYNTAX' | 'JINJA_RENDER',
): DemaError {
  const message = error instanceof Error ? error.message : String(error);
  // nunjucks puts a 1-based line on syntax errors, and a 0-based one in the message of render errors.
  const position = /\[Line (\d+), Column (\d+)\]/.exec(message);
  const syntaxLine = (error as { lineno?: number }).lineno;
  const oneBased = syntaxLine ?? (position ? Number(position[1]) + 1 : undefined);
  const line = oneBased === undefined ? undefined : oneBased + lineOffset;
  const where = line ? `${path}:${line}` : path;
  const own = lastThrown && message.includes(lastThrown.message) ? lastThrown : undefined;
  lastThrown = undefined;
  if (own) {
    if (own.message.startsWith(path)) return own;
    return new DemaError(own.code, `${where}: ${own.message}`, { hint: own.hint, cause: own });
  }
  if (error instanceof DemaError) return error;
  const detail = message
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part && !part.startsWith('(') && !/^Template render error/.test(part))
    .join(' ')
    .replace(/^(Error|TypeError|Template render error):\s*/, '');
  const unknownTag = /unknown block tag: (\w+)/.exec(detail);
  const undefinedCall = /Unable to call `([^`]+)`, which is undefined/.exec(detail);
  const hint = unknownTag
    ? `The Jinja tag "${unknownTag[1]}" is not supported by dema; rewrite it with macro/set/if/for/call.`
    : undefinedCall
      ? `"${undefinedCall[1]}" is not a macro or function here: check its name, or that its macro file is under macro-paths.`
      : code === 'JINJA_SYNTAX'
        ? 'Check the Jinja syntax at that line (unclosed tags, missing %} or }}).'
        : 'Check the Jinja expression at that line.';
  return new DemaError(unknownTag ? 'JINJA_UNSUPPORTED' : code, `${where}: ${detail}`, { hint });
}
