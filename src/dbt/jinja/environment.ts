import { DemaError } from '../../errors.ts';
import type { Stmt } from './engine/ast.ts';
import { compileBody, type Located, type StmtFn } from './engine/compile-stmt.ts';
import { TemplateSyntaxError } from './engine/lexer.ts';
import { parseTemplate, UnsupportedTagError } from './engine/parser.ts';
import { currentScope, Frame, pyFunction, ReturnSignal, type Scope, withScope } from './engine/runtime.ts';
import { GLOBALS } from './py/tests.ts';
import { PyError } from './py/values.ts';

/**
 * dema's Jinja: a Jinja2-compatible engine of its own (lexer → parser → closures) with Python's
 * value semantics, so templates print and compute what dbt's Jinja2 does (README.md here).
 * Names no template frame defines are resolved through a scope set for the duration of one
 * synchronous render (the node's context plus the macro namespace), so a macro is compiled once
 * and serves every node.
 */

export type { Kwargs, Scope } from './engine/runtime.ts';
export { splitArgs } from './engine/runtime.ts';
export { currentScope, pyFunction, ReturnSignal, withScope };

GLOBALS.return = pyFunction(([value]) => {
  throw new ReturnSignal(value ?? null);
});

export interface CompiledTemplate {
  readonly path: string;
  render(scope: Scope): string;
}

const templateCache = new Map<string, StmtFn>();

function compileSource(source: string, path: string, lineOffset: number): StmtFn {
  // The text itself is the key: a Map hashes it natively, cheaper than a digest on every render.
  const key = `${path}\0${lineOffset}\0${source}`;
  let compiled = templateCache.get(key);
  if (!compiled) {
    let body: Stmt[];
    try {
      body = parseTemplate(source);
      compiled = compileBody(body, { path, lineOffset });
    } catch (error) {
      throw jinjaError(error, path, lineOffset, 'JINJA_SYNTAX');
    }
    templateCache.set(key, compiled);
  }
  return compiled;
}

function run(compiled: StmtFn, frame: Frame): string {
  const out: string[] = [];
  compiled(frame, out);
  return out.join('');
}

/** The function of macro `name` defined in `source` (a template holding just that macro). */
export function exportMacro(
  source: string,
  path: string,
  lineOffset: number,
  name: string,
): (...args: unknown[]) => unknown {
  const compiled = compileSource(source, path, lineOffset);
  const frame = new Frame(undefined);
  try {
    run(compiled, frame);
  } catch (error) {
    throw jinjaError(error, path, lineOffset, 'JINJA_RENDER');
  }
  const macro = frame.vars.get(name);
  if (typeof macro !== 'function')
    throw new DemaError('JINJA_SYNTAX', `${path}: macro ${name} could not be compiled.`);
  return macro as (...args: unknown[]) => unknown;
}

/** Compiles a template once per distinct source; syntax errors name the file and line. */
export function compileTemplate(source: string, path: string, lineOffset = 0): CompiledTemplate {
  const compiled = compileSource(source, path, lineOffset);
  return {
    path,
    render(scope) {
      return withScope(scope, () => {
        try {
          return run(compiled, new Frame(undefined));
        } catch (error) {
          throw jinjaError(error, path, lineOffset, 'JINJA_RENDER');
        }
      });
    },
  };
}

/** Throws an error from a context function (ref, raise_compiler_error…); the render adds file:line. */
export function raise(error: DemaError): never {
  throw error;
}

const HINTS: Record<string, string> = {
  JINJA_SYNTAX: 'Check the Jinja syntax at that line (unclosed tags, missing %} or }}).',
  JINJA_RENDER: 'Check the Jinja expression at that line.',
};

/** Any error out of a render or compile, as a DemaError naming the file and line it happened at. */
export function jinjaError(
  error: unknown,
  path: string,
  lineOffset: number,
  code: 'JINJA_SYNTAX' | 'JINJA_RENDER',
): DemaError {
  const located = (error ?? {}) as Located;
  const syntaxLine = error instanceof TemplateSyntaxError ? error.line + lineOffset : undefined;
  const file = located.jinjaPath ?? path;
  const line = located.jinjaLine ?? syntaxLine;
  const where = line ? `${file}:${line}` : file;
  if (error instanceof DemaError) {
    if (error.message.startsWith(file) || located.jinjaLine === undefined) return error;
    return new DemaError(error.code, `${where}: ${error.message}`, { hint: error.hint, cause: error });
  }
  if (error instanceof ReturnSignal)
    return new DemaError('JINJA_RENDER', `${where}: return() outside of a macro.`, {
      hint: HINTS.JINJA_RENDER,
    });
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UnsupportedTagError) {
    const tag = /tag:? '?(\w+)/.exec(message)?.[1] ?? '';
    return new DemaError('JINJA_UNSUPPORTED', `${where}: ${message}`, {
      hint: `The Jinja tag "${tag}" is not supported by dema; rewrite it with macro/set/if/for/call.`,
    });
  }
  const finalCode = error instanceof TemplateSyntaxError ? 'JINJA_SYNTAX' : code;
  const kind =
    error instanceof PyError && !['UndefinedError', 'TemplateRuntimeError'].includes(error.kind)
      ? `${error.kind}: `
      : '';
  const undefinedCall = /Unable to call `([^`]+)`/.exec(message);
  const hint = undefinedCall
    ? `"${undefinedCall[1]}" is not a macro or function here: check its name, or that its macro file is under macro-paths.`
    : HINTS[finalCode]!;
  return new DemaError(finalCode, `${where}: ${kind}${message}`, { hint, cause: error });
}
