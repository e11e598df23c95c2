import nunjucks from 'nunjucks';

/**
 * dbt projects call Python methods on strings, lists and dicts (`x.upper()`, `cols.extend(…)`,
 * `d.items()`). nunjucks' Jinja compatibility layer covers dicts and most list methods; this adds
 * the string methods and the list methods it lacks. Installed once per process.
 */

type Member = (this: never, ...args: never[]) => unknown;

const STRING_MEMBERS: Record<string, (self: string, ...args: never[]) => unknown> = {
  upper: (self) => self.toUpperCase(),
  lower: (self) => self.toLowerCase(),
  strip: (self, chars?: string) => (chars ? trimChars(self, chars, true, true) : self.trim()),
  lstrip: (self, chars?: string) => (chars ? trimChars(self, chars, true, false) : self.trimStart()),
  rstrip: (self, chars?: string) => (chars ? trimChars(self, chars, false, true) : self.trimEnd()),
  startswith: (self, prefix: string) => self.startsWith(prefix),
  endswith: (self, suffix: string) => self.endsWith(suffix),
  split: (self, separator?: string, limit?: number) => pySplit(self, separator, limit),
  replace: (self, from: string, to: string) => self.split(from).join(to),
  join: (self, items: unknown[]) => [...items].map(String).join(self),
  find: (self, needle: string) => self.indexOf(needle),
  count: (self, needle: string) => self.split(needle).length - 1,
  title: (self) => self.replace(/\w\S*/g, (word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase()),
  capitalize: (self) => self.charAt(0).toUpperCase() + self.slice(1).toLowerCase(),
  isdigit: (self) => /^\d+$/.test(self),
  format: (self, ...args: unknown[]) => {
    let index = 0;
    return self.replace(/\{(\d*)\}/g, (_, position: string) =>
      String(args[position === '' ? index++ : Number(position)]),
    );
  },
};

const LIST_MEMBERS: Record<string, (self: unknown[], ...args: never[]) => unknown> = {
  extend: (self, items: unknown[]) => {
    self.push(...items);
    return '';
  },
  copy: (self) => [...self],
  sort: (self) => {
    self.sort();
    return '';
  },
  reverse: (self) => {
    self.reverse();
    return '';
  },
};

function trimChars(text: string, chars: string, start: boolean, end: boolean): string {
  let from = 0;
  let to = text.length;
  while (start && from < to && chars.includes(text[from]!)) from++;
  while (end && to > from && chars.includes(text[to - 1]!)) to--;
  return text.slice(from, to);
}

function pySplit(text: string, separator?: string, limit?: number): string[] {
  if (separator === undefined || separator === null) return text.trim().split(/\s+/).filter(Boolean);
  const parts = text.split(separator);
  if (limit === undefined || limit < 0 || parts.length <= limit + 1) return parts;
  return [...parts.slice(0, limit), parts.slice(limit).join(separator)];
}

/** Python truthiness: empty lists, dicts and strings are false (in JavaScript `[]` and `{}` are true). */
export function pyTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (value && typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) return Object.keys(value).length > 0;
    if (typeof (value as { length?: unknown }).length === 'number')
      return (value as { length: number }).length > 0;
    return true;
  }
  return Boolean(value);
}

interface CompilerInternals {
  _emit(code: string): void;
  _emitLine(code: string): void;
  compile(node: unknown, frame: unknown): void;
  _compileExpression(node: unknown, frame: unknown): void;
  _withScopedSyntax(work: () => void): void;
}

type CompilerNode = {
  cond: unknown;
  body: unknown;
  else_: unknown;
  left: unknown;
  right: unknown;
  target: unknown;
};

/** Compiles `if`, inline `x if c else y`, `not`, `and`, `or` with Python truthiness and operand values. */
function installTruthiness(): void {
  const runtime = nunjucks.runtime as unknown as Record<string, unknown>;
  runtime.pyTruthy = pyTruthy;
  runtime.pyOr = (left: unknown, right: () => unknown) => (pyTruthy(left) ? left : right());
  runtime.pyAnd = (left: unknown, right: () => unknown) => (pyTruthy(left) ? right() : left);
  const proto = (nunjucks as unknown as { compiler: { Compiler: { prototype: Record<string, unknown> } } })
    .compiler.Compiler.prototype;
  proto.compileIf = function compileIf(
    this: CompilerInternals,
    node: CompilerNode,
    frame: unknown,
    async?: boolean,
  ) {
    this._emit('if(runtime.pyTruthy(');
    this._compileExpression(node.cond, frame);
    this._emitLine(')) {');
    this._withScopedSyntax(() => {
      this.compile(node.body, frame);
      if (async) this._emit('cb()');
    });
    if (node.else_) {
      this._emitLine('}\nelse {');
      this._withScopedSyntax(() => {
        this.compile(node.else_, frame);
        if (async) this._emit('cb()');
      });
    } else if (async) {
      this._emitLine('}\nelse {');
      this._emit('cb()');
    }
    this._emitLine('}');
  };
  proto.compileInlineIf = function compileInlineIf(
    this: CompilerInternals,
    node: CompilerNode,
    frame: unknown,
  ) {
    this._emit('(runtime.pyTruthy(');
    this.compile(node.cond, frame);
    this._emit(')?');
    this.compile(node.body, frame);
    this._emit(':');
    if (node.else_ !== null) this.compile(node.else_, frame);
    else this._emit('""');
    this._emit(')');
  };
  proto.compileNot = function compileNot(this: CompilerInternals, node: CompilerNode, frame: unknown) {
    this._emit('!runtime.pyTruthy(');
    this.compile(node.target, frame);
    this._emit(')');
  };
  // Jinja dict keys are expressions (`{col.name: col.type}`; `{key: 1}` uses the variable key);
  // nunjucks accepts only literal strings and bare names (as strings).
  const { Literal, Symbol: NameNode } = (
    nunjucks as unknown as { nodes: { Literal: new () => unknown; Symbol: new () => unknown } }
  ).nodes;
  proto.compilePair = function compilePair(
    this: CompilerInternals,
    node: { key: { value?: unknown }; value: unknown },
    frame: unknown,
  ) {
    if (node.key instanceof NameNode) this._emit(JSON.stringify(node.key.value));
    else if (node.key instanceof Literal && typeof node.key.value === 'string') this.compile(node.key, frame);
    else {
      this._emit('[');
      this._compileExpression(node.key, frame);
      this._emit(']');
    }
    this._emit(': ');
    this._compileExpression(node.value, frame);
  };
  for (const [name, helper] of [
    ['compileOr', 'pyOr'],
    ['compileAnd', 'pyAnd'],
  ] as const)
    proto[name] = function compileBoolean(this: CompilerInternals, node: CompilerNode, frame: unknown) {
      this._emit(`runtime.${helper}(`);
      this.compile(node.left, frame);
      this._emit(', () => (');
      this.compile(node.right, frame);
      this._emit('))');
    };
}

interface ParserInternals {
  nextToken(): { type: string; lineno: number; colno: number };
  peekToken(): { type: string };
  skip(type: string): boolean;
  fail(message: string, lineno?: number, colno?: number): never;
  parseExpression(): { lineno: number; colno: number };
}

/** nunjucks parses a dict key as a bare primary; Jinja allows any expression (`{col.name ~ '_x': 1}`). */
function installDictKeyExpressions(): void {
  const { lexer, nodes, parser } = nunjucks as unknown as {
    lexer: Record<string, string>;
    nodes: Record<
      string,
      new (
        ...args: unknown[]
      ) => { children: unknown[]; addChild(child: unknown): void }
    >;
    parser: { Parser: { prototype: Record<string, unknown> } };
  };
  parser.Parser.prototype.parseAggregate = function parseAggregate(this: ParserInternals) {
    const tok = this.nextToken();
    const kinds: Record<string, string> = {
      [lexer.TOKEN_LEFT_PAREN!]: 'Group',
      [lexer.TOKEN_LEFT_BRACKET!]: 'Array',
      [lexer.TOKEN_LEFT_CURLY!]: 'Dict',
    };
    const kind = kinds[tok.type];
    if (!kind) return null;
    const node = new nodes[kind]!(tok.lineno, tok.colno);
    const closers = new Set([lexer.TOKEN_RIGHT_PAREN, lexer.TOKEN_RIGHT_BRACKET, lexer.TOKEN_RIGHT_CURLY]);
    for (;;) {
      if (closers.has(this.peekToken().type)) {
        this.nextToken();
        break;
      }
      if (node.children.length > 0 && !this.skip(lexer.TOKEN_COMMA!))
        this.fail('parseAggregate: expected comma after expression', tok.lineno, tok.colno);
      if (kind === 'Dict') {
        // Wrapped in a group so the compiler tells a user's dict key (an expression) from the
        // bare-name keys nunjucks itself uses for keyword arguments.
        const parsed = this.parseExpression();
        const key = new nodes.Group!(parsed.lineno, parsed.colno) as unknown as {
          lineno: number;
          colno: number;
          addChild(c: unknown): void;
        };
        key.addChild(parsed);
        if (!this.skip(lexer.TOKEN_COLON!))
          this.fail('parseAggregate: expected colon after dict key', tok.lineno, tok.colno);
        const value = this.parseExpression();
        node.addChild(new nodes.Pair!(key.lineno, key.colno, key, value));
      } else node.addChild(this.parseExpression());
    }
    return node;
  };
}

let installed = false;

export function installPythonCompat(): void {
  if (installed) return;
  installed = true;
  installDictKeyExpressions();
  nunjucks.installJinjaCompat();
  installTruthiness();
  const runtime = nunjucks.runtime as unknown as {
    memberLookup: (obj: unknown, value: unknown, ...rest: unknown[]) => unknown;
  };
  const jinjaLookup = runtime.memberLookup;
  runtime.memberLookup = function memberLookup(obj: unknown, value: unknown, ...rest: unknown[]) {
    if (typeof obj === 'string' && typeof value === 'string' && value in STRING_MEMBERS) {
      const method = STRING_MEMBERS[value]!;
      return (...args: never[]) => method(obj, ...args);
    }
    if (Array.isArray(obj) && typeof value === 'string' && value in LIST_MEMBERS) {
      const method = LIST_MEMBERS[value]!;
      return (...args: never[]) => method(obj, ...args);
    }
    // Objects of our own classes (agate tables, relations) keep their methods, even where a
    // Python dict method has the same name (`column.values()`).
    if (obj && typeof obj === 'object' && typeof value === 'string' && !Array.isArray(obj)) {
      const prototype = Object.getPrototypeOf(obj);
      const member = (obj as Record<string, unknown>)[value];
      if (prototype !== Object.prototype && prototype !== null && typeof member === 'function')
        return member.bind(obj);
    }
    return jinjaLookup.call(this, obj, value, ...rest) as Member;
  };
}
