import { makeFloat } from '../py/values.ts';
import type { Args, Expr, MacroNode, Stmt, Target } from './ast.ts';
import { TemplateSyntaxError, type Token, tokenize } from './lexer.ts';

/**
 * Jinja2's grammar, precedence included: or < and < not < comparisons < + - < ~ < * / // % < ** <
 * unary - + < filters and tests < postfix (. [] ()). `{{ a, b }}` is a tuple, as in Jinja2.
 */

const COMPARE_OPS = new Set(['==', '!=', '<', '>', '<=', '>=']);
/** Tags the parser knows but dema does not run: a clear error instead of a silent difference. */
const UNSUPPORTED_TAGS = new Set([
  'extends',
  'block',
  'include',
  'import',
  'from',
  'autoescape',
  'break',
  'continue',
  'trans',
]);

export class UnsupportedTagError extends TemplateSyntaxError {}

export function parseTemplate(source: string): Stmt[] {
  return new Parser(tokenize(source)).parseAll();
}

class Parser {
  private pos = 0;
  private readonly reads: Set<string>[] = [];

  constructor(private readonly tokens: Token[]) {}

  parseAll(): Stmt[] {
    const body = this.subparse([]);
    if (this.peek.type !== 'eof') this.fail(`unexpected '${this.peek.value}'`);
    return body;
  }

  private get peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private fail(message: string, line = this.peek.line): never {
    throw new TemplateSyntaxError(message, line);
  }

  private isOp(value: string): boolean {
    return this.peek.type === 'op' && this.peek.value === value;
  }

  private isName(value: string): boolean {
    return this.peek.type === 'name' && this.peek.value === value;
  }

  private skipOp(value: string): boolean {
    if (!this.isOp(value)) return false;
    this.pos++;
    return true;
  }

  private skipName(value: string): boolean {
    if (!this.isName(value)) return false;
    this.pos++;
    return true;
  }

  private expectOp(value: string): Token {
    if (!this.isOp(value)) this.fail(`expected '${value}', got '${this.peek.value || this.peek.type}'`);
    return this.next();
  }

  private expectName(value?: string): Token {
    if (this.peek.type !== 'name' || (value !== undefined && this.peek.value !== value))
      this.fail(`expected ${value ? `'${value}'` : 'a name'}, got '${this.peek.value || this.peek.type}'`);
    return this.next();
  }

  private expectBlockEnd(): void {
    if (this.peek.type !== 'block_end')
      this.fail(`expected end of statement block, got '${this.peek.value}'`);
    this.pos++;
  }

  /** Statements up to one of the `end` tag names (left unconsumed, after its `{%`). */
  private subparse(end: readonly string[]): Stmt[] {
    const body: Stmt[] = [];
    for (;;) {
      const token = this.peek;
      if (token.type === 'eof') {
        if (end.length) this.fail(`unexpected end of template, expected '${end.join("' or '")}'`);
        return body;
      }
      if (token.type === 'data') {
        this.pos++;
        body.push({ t: 'data', text: token.value, line: token.line });
      } else if (token.type === 'var_begin') {
        this.pos++;
        const expr = this.parseTuple();
        if (this.peek.type !== 'var_end')
          this.fail(`expected end of print statement, got '${this.peek.value}'`);
        this.pos++;
        body.push({ t: 'print', expr, line: token.line });
      } else if (token.type === 'block_begin') {
        const tag = this.tokens[this.pos + 1]!;
        if (tag.type === 'name' && end.includes(tag.value)) {
          this.pos++;
          return body;
        }
        this.pos++;
        body.push(this.parseStatement());
      } else this.fail(`unexpected '${token.value}'`);
    }
  }

  private parseStatement(): Stmt {
    const tag = this.peek;
    if (tag.type !== 'name') this.fail('tag name expected');
    this.pos++;
    const line = tag.line;
    switch (tag.value) {
      case 'if':
        return this.parseIf(line);
      case 'for':
        return this.parseFor(line);
      case 'set':
        return this.parseSet(line);
      case 'macro':
        return this.parseMacro(line);
      case 'call':
        return this.parseCallBlock(line);
      case 'filter': {
        const filter = this.parseFilter(undefined, true);
        this.expectBlockEnd();
        const body = this.subparse(['endfilter']);
        this.pos++;
        this.expectBlockEnd();
        return { t: 'filterblock', filter, body, line };
      }
      case 'do': {
        const expr = this.parseTuple();
        this.expectBlockEnd();
        return { t: 'do', expr, line };
      }
      case 'with':
        return this.parseWith(line);
    }
    if (UNSUPPORTED_TAGS.has(tag.value))
      throw new UnsupportedTagError(`unknown block tag: ${tag.value}`, line);
    throw new UnsupportedTagError(`Encountered unknown tag '${tag.value}'.`, line);
  }

  private parseIf(line: number): Stmt {
    const branches: [Expr, Stmt[]][] = [];
    let else_: Stmt[] = [];
    let test = this.parseTuple(false);
    for (;;) {
      this.expectBlockEnd();
      const body = this.subparse(['elif', 'else', 'endif']);
      branches.push([test, body]);
      const tag = this.next().value;
      if (tag === 'elif') {
        test = this.parseTuple(false);
        continue;
      }
      if (tag === 'else') {
        this.expectBlockEnd();
        else_ = this.subparse(['endif']);
        this.pos++;
      }
      this.expectBlockEnd();
      return { t: 'if', branches, else_, line };
    }
  }

  private parseFor(line: number): Stmt {
    const target = this.parseTarget(false);
    this.expectName('in');
    const iter = this.parseTuple(true, ['recursive'], false);
    let filter: Expr | undefined;
    if (this.skipName('if')) filter = this.parseExpression();
    if (this.isName('recursive')) this.fail('recursive loops are not supported');
    this.expectBlockEnd();
    const body = this.subparse(['endfor', 'else']);
    let else_: Stmt[] = [];
    if (this.next().value === 'else') {
      this.expectBlockEnd();
      else_ = this.subparse(['endfor']);
      this.pos++;
    }
    this.expectBlockEnd();
    return { t: 'for', target, iter, filter, body, else_, line };
  }

  private parseSet(line: number): Stmt {
    const target = this.parseTarget(true);
    if (this.skipOp('=')) {
      const expr = this.parseTuple();
      this.expectBlockEnd();
      return { t: 'set', target, expr, line };
    }
    const filter = this.isOp('|') ? this.parseFilter(undefined, false) : undefined;
    this.expectBlockEnd();
    const body = this.subparse(['endset']);
    this.pos++;
    this.expectBlockEnd();
    return { t: 'setblock', target, body, filter, line };
  }

  private parseWith(line: number): Stmt {
    const assigns: [Target, Expr][] = [];
    while (this.peek.type !== 'block_end') {
      if (assigns.length) this.expectOp(',');
      const target = this.parseTarget(false);
      this.expectOp('=');
      assigns.push([target, this.parseExpression()]);
    }
    this.expectBlockEnd();
    const body = this.subparse(['endwith']);
    this.pos++;
    this.expectBlockEnd();
    return { t: 'with', assigns, body, line };
  }

  private parseParams(): [string, Expr | undefined][] {
    const params: [string, Expr | undefined][] = [];
    this.expectOp('(');
    while (!this.isOp(')')) {
      if (params.length) this.expectOp(',');
      if (this.isOp(')')) break;
      const name = this.expectName().value;
      const value = this.skipOp('=') ? this.parseExpression() : undefined;
      if (value === undefined && params.some(([, d]) => d))
        this.fail('non-default argument follows default argument');
      params.push([name, value]);
    }
    this.pos++;
    return params;
  }

  private parseMacroBody(name: string, params: [string, Expr | undefined][], endTag: string): MacroNode {
    this.expectBlockEnd();
    const reads = new Set<string>();
    this.reads.push(reads);
    const body = this.subparse([endTag]);
    this.reads.pop();
    this.pos++;
    if (this.peek.type === 'name' && this.peek.value === name) this.pos++;
    this.expectBlockEnd();
    return { name, params, body, reads };
  }

  private parseMacro(line: number): Stmt {
    const name = this.expectName().value;
    const params = this.parseParams();
    return { t: 'macro', ...this.parseMacroBody(name, params, 'endmacro'), line };
  }

  private parseCallBlock(line: number): Stmt {
    const params = this.isOp('(') ? this.parseParams() : [];
    const call = this.parseExpression();
    if (call.t !== 'call') this.fail('expected call', line);
    return { t: 'callblock', call, caller: this.parseMacroBody('caller', params, 'endcall'), line };
  }

  private parseTarget(withNamespace: boolean): Target {
    const one = (): Target => {
      if (this.skipOp('(')) {
        const inner = this.parseTargetList();
        this.expectOp(')');
        return inner;
      }
      const name = this.expectName().value;
      if (withNamespace && this.skipOp('.')) return { t: 'nsattr', name, attr: this.expectName().value };
      return { t: 'name', name };
    };
    const first = one();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.skipOp(',')) {
      if (this.peek.type !== 'name' && !this.isOp('(')) break;
      items.push(one());
    }
    return { t: 'tuple', items };
  }

  private parseTargetList(): Target {
    const items: Target[] = [];
    let comma = false;
    while (!this.isOp(')')) {
      if (items.length) {
        this.expectOp(',');
        comma = true;
      }
      if (this.isOp(')')) break;
      items.push(this.parseTarget(false));
    }
    return items.length === 1 && !comma ? items[0]! : { t: 'tuple', items };
  }

  /** An expression, or a tuple of them without parentheses (`a, b`). */
  parseTuple(allowTuple = true, extraEnd: string[] = [], withCondition = true): Expr {
    const line = this.peek.line;
    const items: Expr[] = [];
    let comma = false;
    for (;;) {
      if (items.length) {
        if (!allowTuple || !this.skipOp(',')) break;
        comma = true;
      }
      if (this.isTupleEnd(extraEnd)) break;
      items.push(this.parseExpression(withCondition));
    }
    if (!comma) {
      if (items.length === 0) this.fail(`expected an expression, got '${this.peek.value || this.peek.type}'`);
      return items[0]!;
    }
    return { t: 'tuple', items, line };
  }

  private isTupleEnd(extraEnd: string[]): boolean {
    const token = this.peek;
    if (token.type === 'var_end' || token.type === 'block_end' || token.type === 'eof') return true;
    if (token.type === 'op' && [')', ']', '}'].includes(token.value)) return true;
    return token.type === 'name' && extraEnd.includes(token.value);
  }

  parseExpression(withCondition = true): Expr {
    const line = this.peek.line;
    let expr = this.parseOr();
    if (!withCondition) return expr;
    while (this.skipName('if')) {
      const test = this.parseOr();
      const else_ = this.skipName('else') ? this.parseExpression() : undefined;
      expr = { t: 'cond', test, body: expr, else_, line };
    }
    return expr;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName('or')) {
      const line = this.next().line;
      left = { t: 'or', left, right: this.parseAnd(), line };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName('and')) {
      const line = this.next().line;
      left = { t: 'and', left, right: this.parseNot(), line };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isName('not')) {
      const line = this.next().line;
      return { t: 'not', node: this.parseNot(), line };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const line = this.peek.line;
    const first = this.parseMath1();
    const ops: [string, Expr][] = [];
    for (;;) {
      if (this.peek.type === 'op' && COMPARE_OPS.has(this.peek.value))
        ops.push([this.next().value, this.parseMath1()]);
      else if (this.skipName('in')) ops.push(['in', this.parseMath1()]);
      else if (
        this.isName('not') &&
        this.tokens[this.pos + 1]?.type === 'name' &&
        this.tokens[this.pos + 1]?.value === 'in'
      ) {
        this.pos += 2;
        ops.push(['notin', this.parseMath1()]);
      } else break;
    }
    return ops.length ? { t: 'compare', first, ops, line } : first;
  }

  private parseMath1(): Expr {
    let left = this.parseConcat();
    while (this.isOp('+') || this.isOp('-')) {
      const token = this.next();
      left = { t: 'bin', op: token.value, left, right: this.parseConcat(), line: token.line };
    }
    return left;
  }

  private parseConcat(): Expr {
    const line = this.peek.line;
    const items = [this.parseMath2()];
    while (this.skipOp('~')) items.push(this.parseMath2());
    return items.length === 1 ? items[0]! : { t: 'concat', items, line };
  }

  private parseMath2(): Expr {
    let left = this.parsePow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const token = this.next();
      left = { t: 'bin', op: token.value, left, right: this.parsePow(), line: token.line };
    }
    return left;
  }

  private parsePow(): Expr {
    let left = this.parseUnary();
    while (this.isOp('**')) {
      const token = this.next();
      left = { t: 'bin', op: '**', left, right: this.parseUnary(), line: token.line };
    }
    return left;
  }

  private parseUnary(withFilter = true): Expr {
    const line = this.peek.line;
    let node: Expr;
    if (this.skipOp('-')) node = { t: 'neg', node: this.parseUnary(false), line };
    else if (this.skipOp('+')) node = { t: 'pos', node: this.parseUnary(false), line };
    else node = this.parsePostfix(this.parsePrimary());
    return withFilter ? this.parseFilterExpr(node) : node;
  }

  private parsePrimary(): Expr {
    const token = this.next();
    const line = token.line;
    switch (token.type) {
      case 'name': {
        const constants: Record<string, unknown> = {
          true: true,
          True: true,
          false: false,
          False: false,
          none: null,
          None: null,
        };
        if (token.value in constants) return { t: 'const', value: constants[token.value], line };
        // A name read anywhere inside a macro, nested call blocks and macros included, counts
        // for it (Jinja2's find_undeclared descends into them).
        for (const reads of this.reads) reads.add(token.value);
        return { t: 'name', name: token.value, line };
      }
      case 'string': {
        let value = token.parsed as string;
        while (this.peek.type === 'string') value += this.next().parsed as string;
        return { t: 'const', value, line };
      }
      case 'int':
        return { t: 'const', value: intValue(token.parsed as bigint), line };
      case 'float':
        return { t: 'const', value: floatValue(token.parsed as number), line };
    }
    if (token.type === 'op') {
      if (token.value === '(') {
        if (this.skipOp(')')) return { t: 'tuple', items: [], line };
        const first = this.parseExpression();
        if (this.skipOp(')')) return first;
        const items = [first];
        while (this.skipOp(',')) {
          if (this.isOp(')')) break;
          items.push(this.parseExpression());
        }
        this.expectOp(')');
        return { t: 'tuple', items, line };
      }
      if (token.value === '[') {
        const items: Expr[] = [];
        while (!this.skipOp(']')) {
          if (items.length) this.expectOp(',');
          if (this.skipOp(']')) break;
          items.push(this.parseExpression());
        }
        return { t: 'list', items, line };
      }
      if (token.value === '{') {
        const pairs: [Expr, Expr][] = [];
        while (!this.skipOp('}')) {
          if (pairs.length) this.expectOp(',');
          if (this.skipOp('}')) break;
          const key = this.parseExpression();
          this.expectOp(':');
          pairs.push([key, this.parseExpression()]);
        }
        return { t: 'dict', pairs, line };
      }
    }
    return this.fail(`unexpected '${token.value || token.type}'`, line);
  }

  private parsePostfix(node: Expr): Expr {
    for (;;) {
      const line = this.peek.line;
      if (this.skipOp('.')) {
        const token = this.next();
        if (token.type === 'name') node = { t: 'getattr', obj: node, name: token.value, line };
        else if (token.type === 'int')
          node = {
            t: 'getitem',
            obj: node,
            key: { t: 'const', value: intValue(token.parsed as bigint), line },
            line,
          };
        else this.fail('expected name or number', line);
      } else if (this.skipOp('[')) {
        node = { t: 'getitem', obj: node, key: this.parseSubscript(), line };
      } else if (this.isOp('(')) node = { t: 'call', fn: node, ...this.parseArgs(), line };
      else return node;
    }
  }

  private parseSubscript(): Expr {
    const line = this.peek.line;
    const items: Expr[] = [];
    while (!this.skipOp(']')) {
      if (items.length) this.expectOp(',');
      items.push(this.parseSliceItem());
    }
    if (items.length !== 1) return { t: 'tuple', items, line };
    return items[0]!;
  }

  private parseSliceItem(): Expr {
    const line = this.peek.line;
    const part = () =>
      this.isOp(':') || this.isOp(']') || this.isOp(',') ? undefined : this.parseExpression();
    const start = part();
    if (!this.skipOp(':')) return start!;
    const stop = part();
    const step = this.skipOp(':') ? part() : undefined;
    return { t: 'slice', start, stop, step, line };
  }

  private parseArgs(): Args {
    this.expectOp('(');
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    let star: Expr | undefined;
    let dstar: Expr | undefined;
    let first = true;
    while (!this.skipOp(')')) {
      if (!first) {
        this.expectOp(',');
        if (this.skipOp(')')) break;
      }
      first = false;
      if (this.skipOp('*')) star = this.parseExpression();
      else if (this.skipOp('**')) dstar = this.parseExpression();
      else if (
        this.peek.type === 'name' &&
        this.tokens[this.pos + 1]?.type === 'op' &&
        this.tokens[this.pos + 1]?.value === '='
      ) {
        const name = this.next().value;
        this.pos++;
        kwargs.push([name, this.parseExpression()]);
      } else {
        if (kwargs.length || dstar) this.fail('positional argument follows keyword argument');
        args.push(this.parseExpression());
      }
    }
    return { args, kwargs, star, dstar };
  }

  private parseFilterExpr(node: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) node = this.parseFilter(node, false);
      else if (this.isName('is')) node = this.parseTest(node);
      else if (this.isOp('(')) node = { t: 'call', fn: node, ...this.parseArgs(), line: node.line };
      else return node;
    }
  }

  private parseFilter(node: Expr | undefined, startInline: boolean): Expr {
    let current = node;
    let inline = startInline;
    while (this.isOp('|') || inline) {
      if (!inline) this.pos++;
      inline = false;
      const token = this.expectName();
      let name = token.value;
      while (this.skipOp('.')) name += `.${this.expectName().value}`;
      const args: Args = this.isOp('(') ? this.parseArgs() : { args: [], kwargs: [] };
      current = { t: 'filter', node: current, name, ...args, line: token.line };
    }
    return current!;
  }

  private parseTest(node: Expr): Expr {
    const line = this.next().line;
    const negated = this.skipName('not');
    const token = this.expectName();
    let name = token.value;
    while (this.skipOp('.')) name += `.${this.expectName().value}`;
    let args: Args = { args: [], kwargs: [] };
    const next = this.peek;
    if (this.isOp('(')) args = this.parseArgs();
    else if (
      ['name', 'string', 'int', 'float'].includes(next.type) ||
      (next.type === 'op' && ['(', '[', '{', '-'].includes(next.value) && next.value !== '-')
    ) {
      if (!(next.type === 'name' && ['else', 'or', 'and'].includes(next.value))) {
        if (next.type === 'name' && next.value === 'is') this.fail('You cannot chain multiple tests with is');
        args = { args: [this.parsePostfix(this.parsePrimary())], kwargs: [] };
      }
    }
    const test: Expr = { t: 'test', node, name, ...args, line };
    return negated ? { t: 'not', node: test, line } : test;
  }
}

function intValue(value: bigint): number | bigint {
  return value <= 9007199254740991n ? Number(value) : value;
}

function floatValue(value: number): unknown {
  return makeFloat(value);
}
