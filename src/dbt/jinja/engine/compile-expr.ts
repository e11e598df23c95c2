import { FILTERS, type FilterEnv } from '../py/filters.ts';
import { binary, negate } from '../py/ops.ts';
import { contains, GLOBALS, TESTS } from '../py/tests.ts';
import {
  isDict,
  isNumber,
  isString,
  pyCompare,
  pyEquals,
  str,
  truthy,
  tuple,
  typeError,
  Undefined,
} from '../py/values.ts';
import type { Args, Expr } from './ast.ts';
import { TemplateSyntaxError } from './lexer.ts';
import {
  callValue,
  currentScope,
  type Frame,
  getAttr,
  getItem,
  iterateValue,
  NOT_FOUND,
  UndefinedError,
  undefinedName,
} from './runtime.ts';

/** Expressions compiled once into closures over a frame. */

export type ExprFn = (frame: Frame) => unknown;

/** Local frames first, then the render's scope (dbt context and macros), then Jinja's globals. */
export function resolveName(name: string, frame: Frame): unknown {
  const local = frame.lookup(name);
  if (local !== NOT_FOUND) return local;
  const scope = currentScope();
  if (scope?.has(name)) {
    const value = scope.get(name);
    return value === undefined ? undefinedName(name) : value;
  }
  if (Object.hasOwn(GLOBALS, name)) return GLOBALS[name];
  return undefinedName(name);
}

export const filterEnv: FilterEnv = {
  callFilter(name, value, args, kwargs) {
    const filter = FILTERS[name];
    if (!filter) throw new TemplateSyntaxError(`No filter named '${name}'.`, 0);
    return filter(value, args, kwargs, filterEnv);
  },
  callTest(name, value, args) {
    const test = TESTS[name];
    if (!test) throw new TemplateSyntaxError(`No test named '${name}'.`, 0);
    return test(value, args);
  },
};

function describe(expr: Expr): string {
  if (expr.t === 'name') return expr.name;
  if (expr.t === 'getattr') return `${describe(expr.obj)}.${expr.name}`;
  return 'expression';
}

type ArgsFn = (frame: Frame) => [unknown[], Record<string, unknown>];

function compileArgs(node: Args, extraFirst?: ExprFn): ArgsFn {
  const args = node.args.map(compileExpr);
  const kwargs = node.kwargs.map(([name, value]) => [name, compileExpr(value)] as const);
  const star = node.star && compileExpr(node.star);
  const dstar = node.dstar && compileExpr(node.dstar);
  return (frame) => {
    const positional = args.map((arg) => arg(frame));
    if (extraFirst) positional.unshift(extraFirst(frame));
    if (star) positional.push(...iterateValue(star(frame)));
    const named: Record<string, unknown> = {};
    for (const [name, value] of kwargs) named[name] = value(frame);
    if (dstar) {
      const extra = dstar(frame);
      if (!isDict(extra) && !(extra instanceof Undefined))
        throw typeError('argument after ** must be a mapping');
      if (isDict(extra)) Object.assign(named, extra);
    }
    return [positional, named];
  };
}

const COMPARE: Record<string, (a: unknown, b: unknown) => boolean> = {
  '==': pyEquals,
  '!=': (a, b) => !pyEquals(a, b),
  '<': (a, b) => pyCompare(a, b, '<') < 0,
  '>': (a, b) => pyCompare(a, b, '>') > 0,
  '<=': (a, b) => pyCompare(a, b, '<=') <= 0,
  '>=': (a, b) => pyCompare(a, b, '>=') >= 0,
  in: (a, b) => contains(b, a),
  notin: (a, b) => !contains(b, a),
};

export function compileExpr(expr: Expr): ExprFn {
  switch (expr.t) {
    case 'const': {
      const value = expr.value;
      return () => value;
    }
    case 'name': {
      const name = expr.name;
      return (frame) => resolveName(name, frame);
    }
    case 'tuple':
    case 'list': {
      const items = expr.items.map(compileExpr);
      const isTuple = expr.t === 'tuple';
      return (frame) => {
        const values = items.map((item) => item(frame));
        return isTuple ? tuple(values) : values;
      };
    }
    case 'dict': {
      const pairs = expr.pairs.map(([key, value]) => [compileExpr(key), compileExpr(value)] as const);
      return (frame) => {
        const out: Record<string, unknown> = {};
        for (const [key, value] of pairs) out[str(key(frame))] = value(frame);
        return out;
      };
    }
    case 'getattr': {
      const obj = compileExpr(expr.obj);
      const name = expr.name;
      return (frame) => getAttr(obj(frame), name);
    }
    case 'getitem': {
      const obj = compileExpr(expr.obj);
      const key = compileExpr(expr.key);
      return (frame) => getItem(obj(frame), key(frame));
    }
    case 'slice': {
      const part = (e?: Expr) => (e ? compileExpr(e) : () => null);
      const [start, stop, step] = [part(expr.start), part(expr.stop), part(expr.step)];
      return (frame) => ({ slice: true, start: start(frame), stop: stop(frame), step: step(frame) });
    }
    case 'call': {
      const fn = compileExpr(expr.fn);
      const args = compileArgs(expr);
      const callee = describe(expr.fn);
      return (frame) => {
        const target = fn(frame);
        if (target instanceof Undefined) {
          if (currentScope()?.lenientUndefined) return target;
          throw new UndefinedError(`Unable to call \`${callee}\`, which is undefined (${target.message})`);
        }
        const [positional, kwargs] = args(frame);
        return callValue(target, positional, kwargs);
      };
    }
    case 'filter':
      return compileFilter(expr, expr.node ? compileExpr(expr.node) : (frame) => frame.lookup('\0body'));
    case 'test': {
      const test = TESTS[expr.name];
      if (!test) throw new TemplateSyntaxError(`No test named '${expr.name}'.`, expr.line);
      const value = compileExpr(expr.node);
      const args = compileArgs(expr);
      return (frame) => test(value(frame), args(frame)[0]);
    }
    case 'bin': {
      const [left, right, op] = [compileExpr(expr.left), compileExpr(expr.right), expr.op];
      return (frame) => {
        const a = left(frame);
        const b = right(frame);
        if (a instanceof Undefined) throw new UndefinedError(a.message);
        // `'text' % x` takes any right operand (an Undefined is an empty mapping to Python).
        if (b instanceof Undefined && !(op === '%' && isString(a))) throw new UndefinedError(b.message);
        return binary(op, a, b);
      };
    }
    case 'concat': {
      const items = expr.items.map(compileExpr);
      return (frame) => items.map((item) => str(item(frame))).join('');
    }
    case 'compare': {
      const first = compileExpr(expr.first);
      const ops = expr.ops.map(([op, e]) => [COMPARE[op]!, compileExpr(e)] as const);
      return (frame) => {
        let left = first(frame);
        for (const [check, next] of ops) {
          const right = next(frame);
          if (!check(left, right)) return false;
          left = right;
        }
        return true;
      };
    }
    case 'and': {
      const [left, right] = [compileExpr(expr.left), compileExpr(expr.right)];
      return (frame) => {
        const a = left(frame);
        return truthy(a) ? right(frame) : a;
      };
    }
    case 'or': {
      const [left, right] = [compileExpr(expr.left), compileExpr(expr.right)];
      return (frame) => {
        const a = left(frame);
        return truthy(a) ? a : right(frame);
      };
    }
    case 'not': {
      const node = compileExpr(expr.node);
      return (frame) => !truthy(node(frame));
    }
    case 'neg': {
      const node = compileExpr(expr.node);
      return (frame) => {
        const value = node(frame);
        if (value instanceof Undefined) throw new UndefinedError(value.message);
        return negate(value);
      };
    }
    case 'pos': {
      const node = compileExpr(expr.node);
      return (frame) => {
        const value = node(frame);
        if (!isNumber(value) && typeof value !== 'boolean') throw typeError('bad operand type for unary +');
        return typeof value === 'boolean' ? Number(value) : value;
      };
    }
    case 'cond': {
      const [test, then] = [compileExpr(expr.test), compileExpr(expr.body)];
      const otherwise = expr.else_ ? compileExpr(expr.else_) : undefined;
      const line = expr.line;
      return (frame) => {
        if (truthy(test(frame))) return then(frame);
        return otherwise
          ? otherwise(frame)
          : new Undefined(
              `the inline if-expression on line ${line} evaluated to false and no else section was defined.`,
            );
      };
    }
  }
}

function compileFilter(expr: Expr & { t: 'filter' }, value: ExprFn): ExprFn {
  const filter = FILTERS[expr.name];
  if (!filter) throw new TemplateSyntaxError(`No filter named '${expr.name}'.`, expr.line);
  const args = compileArgs(expr);
  return (frame) => {
    const [positional, kwargs] = args(frame);
    return filter(value(frame), positional, kwargs, filterEnv);
  };
}
