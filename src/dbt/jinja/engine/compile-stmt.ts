import { iterate } from '../py/methods.ts';
import { PyError, str, truthy, tuple, typeError, Undefined } from '../py/values.ts';
import type { MacroNode, Stmt, Target } from './ast.ts';
import { compileExpr, type ExprFn, resolveName } from './compile-expr.ts';
import {
  Frame,
  iterateValue,
  LoopContext,
  Namespace,
  type PyCallable,
  pyFunction,
  ReturnSignal,
} from './runtime.ts';

/**
 * Statements compiled once into closures `(frame, out)`. Scoping follows Jinja2: a loop
 * iteration, a macro call, a call/filter/with block each get a new frame; `if` does not.
 * Every statement stamps the file and line on an error passing through it (innermost wins).
 */

export type StmtFn = (frame: Frame, out: string[]) => void;

export interface Location {
  readonly path: string;
  readonly lineOffset: number;
}

export interface Located {
  jinjaPath?: string;
  jinjaLine?: number;
}

function locate(error: unknown, location: Location, line: number): unknown {
  if (error instanceof ReturnSignal) return error;
  const target = (error !== null && typeof error === 'object' ? error : new Error(String(error))) as Located;
  if (target.jinjaLine === undefined) {
    target.jinjaPath = location.path;
    target.jinjaLine = line + location.lineOffset;
  }
  return target;
}

export function compileBody(body: readonly Stmt[], location: Location): StmtFn {
  const parts = body.map((stmt) => compileStmt(stmt, location));
  if (parts.length === 1) return parts[0]!;
  return (frame, out) => {
    for (const part of parts) part(frame, out);
  };
}

function compileStmt(stmt: Stmt, location: Location): StmtFn {
  if (stmt.t === 'data') {
    const text = stmt.text;
    return (_frame, out) => {
      out.push(text);
    };
  }
  const run = compileInner(stmt, location);
  const line = stmt.line;
  return (frame, out) => {
    try {
      run(frame, out);
    } catch (error) {
      throw locate(error, location, line);
    }
  };
}

/** Binds a value to an assignment target in `frame`. */
function assign(target: Target, value: unknown, frame: Frame): void {
  if (target.t === 'name') frame.vars.set(target.name, value);
  else if (target.t === 'tuple') {
    const items = iterate(value);
    if (items.length !== target.items.length)
      throw new PyError(
        'ValueError',
        items.length < target.items.length
          ? `not enough values to unpack (expected ${target.items.length}, got ${items.length})`
          : `too many values to unpack (expected ${target.items.length})`,
      );
    target.items.forEach((item, i) => {
      assign(item, items[i], frame);
    });
  } else {
    const ns = resolveName(target.name, frame);
    if (!(ns instanceof Namespace))
      throw new PyError('TemplateRuntimeError', 'cannot assign attribute on non-namespace object');
    ns.attrs[target.attr] = value;
  }
}

function capture(body: StmtFn, frame: Frame): string {
  const out: string[] = [];
  body(frame, out);
  return out.join('');
}

function compileInner(stmt: Exclude<Stmt, { t: 'data' }>, location: Location): StmtFn {
  switch (stmt.t) {
    case 'print': {
      const expr = compileExpr(stmt.expr);
      return (frame, out) => {
        const value = expr(frame);
        out.push(typeof value === 'string' ? value : value === undefined ? '' : str(value));
      };
    }
    case 'if': {
      const branches = stmt.branches.map(
        ([test, body]) => [compileExpr(test), compileBody(body, location)] as const,
      );
      const otherwise = compileBody(stmt.else_, location);
      return (frame, out) => {
        for (const [test, body] of branches) if (truthy(test(frame))) return body(frame, out);
        otherwise(frame, out);
      };
    }
    case 'for':
      return compileFor(stmt, location);
    case 'set': {
      const expr = compileExpr(stmt.expr);
      const target = stmt.target;
      return (frame) => assign(target, expr(frame), frame);
    }
    case 'setblock': {
      const body = compileBody(stmt.body, location);
      const filter = stmt.filter && compileExpr(stmt.filter);
      const target = stmt.target;
      return (frame) => {
        // The block's body has a frame of its own: what it sets stays inside (as in Jinja2).
        const text = capture(body, new Frame(frame));
        if (!filter) return assign(target, text, frame);
        const inner = new Frame(frame);
        inner.vars.set('\0body', text);
        assign(target, filter(inner), frame);
      };
    }
    case 'macro': {
      const make = compileMacro(stmt, location);
      const name = stmt.name;
      return (frame) => {
        frame.vars.set(name, make(frame));
      };
    }
    case 'callblock': {
      // dbt's return() ends the innermost dbt macro: a call block's body is a plain Jinja macro, so a
      // return() in it passes through caller() to the macro that called it (e.g. statement).
      const makeCaller = compileMacro(stmt.caller, location, false);
      const call = stmt.call;
      if (call.t !== 'call') throw typeError('expected a call');
      // The caller is passed as the keyword argument `caller`, read from a frame of its own.
      const invoke = compileExpr({
        ...call,
        kwargs: [...call.kwargs, ['caller', { t: 'name', name: '\0caller', line: stmt.line }]],
      });
      return (frame, out) => {
        const inner = new Frame(frame);
        inner.vars.set('\0caller', makeCaller(frame));
        const value = invoke(inner);
        out.push(typeof value === 'string' ? value : str(value));
      };
    }
    case 'filterblock': {
      const body = compileBody(stmt.body, location);
      const filter = compileExpr(stmt.filter);
      return (frame, out) => {
        const inner = new Frame(frame);
        inner.vars.set('\0body', capture(body, inner));
        out.push(str(filter(inner)));
      };
    }
    case 'do': {
      const expr = compileExpr(stmt.expr);
      return (frame) => {
        expr(frame);
      };
    }
    case 'with': {
      const assigns = stmt.assigns.map(([target, value]) => [target, compileExpr(value)] as const);
      const body = compileBody(stmt.body, location);
      return (frame, out) => {
        const inner = new Frame(frame);
        for (const [target, value] of assigns) assign(target, value(frame), inner);
        body(inner, out);
      };
    }
  }
}

function compileFor(stmt: Stmt & { t: 'for' }, location: Location): StmtFn {
  const iter = compileExpr(stmt.iter);
  const filter = stmt.filter && compileExpr(stmt.filter);
  const body = compileBody(stmt.body, location);
  const otherwise = compileBody(stmt.else_, location);
  const target = stmt.target;
  return (frame, out) => {
    let items = [...iterateValue(iter(frame))];
    if (filter)
      items = items.filter((item) => {
        const inner = new Frame(frame);
        assign(target, item, inner);
        return truthy(filter(inner));
      });
    if (items.length === 0) return otherwise(new Frame(frame), out);
    const loop = new LoopContext(items);
    for (let i = 0; i < items.length; i++) {
      loop.index0 = i;
      const inner = new Frame(frame);
      inner.vars.set('loop', loop);
      assign(target, items[i], inner);
      body(inner, out);
    }
  };
}

/** A macro definition: called with Python's argument binding (varargs, kwargs, caller as Jinja2). */
function compileMacro(node: MacroNode, location: Location, catchReturn = true): (frame: Frame) => unknown {
  const body = compileBody(node.body, location);
  const names = node.params.map(([name]) => name);
  const defaults = node.params.map(([, value]) => (value ? compileExpr(value) : undefined)) as (
    | ExprFn
    | undefined
  )[];
  const catchVarargs = node.reads.has('varargs');
  const catchKwargs = node.reads.has('kwargs');
  const usesCaller = node.reads.has('caller');
  const name = node.name;
  return (definedIn) => {
    const invoke: PyCallable = (positional, kwargs) => {
      const frame = new Frame(definedIn);
      const rest: Record<string, unknown> = { ...kwargs };
      if (positional.length > names.length && !catchVarargs)
        throw typeError(`macro '${name}' takes not more than ${names.length} argument(s)`);
      names.forEach((param, i) => {
        if (i < positional.length) {
          if (Object.hasOwn(rest, param))
            throw typeError(`macro '${name}' got multiple values for argument '${param}'`);
          frame.vars.set(param, positional[i]);
        } else if (Object.hasOwn(rest, param)) {
          frame.vars.set(param, rest[param]);
          delete rest[param];
        } else {
          const fallback = defaults[i];
          frame.vars.set(
            param,
            fallback ? fallback(frame) : new Undefined(`parameter '${param}' was not provided`),
          );
        }
      });
      if (usesCaller) {
        frame.vars.set(
          'caller',
          Object.hasOwn(rest, 'caller') ? rest.caller : new Undefined('No caller defined'),
        );
        delete rest.caller;
      }
      if (catchVarargs) frame.vars.set('varargs', tuple(positional.slice(names.length)));
      if (catchKwargs) frame.vars.set('kwargs', rest);
      else {
        const extra = Object.keys(rest)[0];
        if (extra !== undefined) throw typeError(`macro '${name}' takes no keyword argument '${extra}'`);
      }
      const out: string[] = [];
      try {
        body(frame, out);
      } catch (signal) {
        if (catchReturn && signal instanceof ReturnSignal) return signal.value;
        throw signal;
      }
      return out.join('');
    };
    const fn = pyFunction(invoke);
    return Object.assign(fn, {
      jinjaMacro: {
        name,
        arguments: tuple([...names]),
        catch_kwargs: catchKwargs,
        catch_varargs: catchVarargs,
        caller: usesCaller,
      },
    });
  };
}
