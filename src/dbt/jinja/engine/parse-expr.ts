import { makeFloat } from '../py/values.ts';
import type { Args, Expr } from './ast.ts';
import { TemplateSyntaxError, type Token } from './lexer.ts';

/**
 * Jinja2's expression grammar, precedence included: or < and < not < comparisons < + - < ~ <
 * * / // % < ** < unary - + < filters and tests < postfix (. [] ()). `{{ a, b }}` is a tuple.
 * The statement parser (parser.ts) extends it.
 */

const COMPARE_OPS = new Set(['==', '!=', '<', '>', '<=', '>=']);

export class ExpressionParser {
  protected pos = 0;
  /** The names read inside each enclosing macro body (see MacroNode.reads). */
  protected readonly reads: Set<string>[] = [];

  constructor(protected readonly tokens: Token[]) {}

  protected get peek(): Token {
    return this.tokens[this.pos]!;
  }

  protected next(): Token {
    return this.tokens[this.pos++]!;
  }

  protected fail(message: string, line = this.peek.line): never {
    throw new TemplateSyntaxError(message, line);
  }

  protected isOp(value: string): boolean {
    return this.peek.type === 'op' && this.peek.value === value;
  }

  protected isName(value: string): boolean {
    return this.peek.type === 'name' && this.peek.value === value;
  }

  protected skipOp(value: string): boolean {
    if (!this.isOp(value)) return false;
    this.pos++;
    return true;
  }

  protected skipName(value: string): boolean {
    if (!this.isName(value)) return false;
    this.pos++;
    return true;
  }

  protected expectOp(value: string): Token {
    if (!this.isOp(value)) this.fail(`expected '${value}', got '${this.peek.value || this.peek.type}'`);
    return this.next();
  }

  protected expectName(value?: string): Token {
    if (this.peek.type !== 'name' || (value !== undefined && this.peek.value !== value))
      this.fail(`expected ${value ? `'${value}'` : 'a name'}, got '${this.peek.value || this.peek.type}'`);
    return this.next();
  }

  protected expectBlockEnd(): void {
    if (this.peek.type !== 'block_end')
      this.fail(`expected end of statement block, got '${this.peek.value}'`);
    this.pos++;
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

  protected isTupleEnd(extraEnd: string[]): boolean {
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

  protected parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName('or')) {
      const line = this.next().line;
      left = { t: 'or', left, right: this.parseAnd(), line };
    }
    return left;
  }

  protected parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName('and')) {
      const line = this.next().line;
      left = { t: 'and', left, right: this.parseNot(), line };
    }
    return left;
  }

  protected parseNot(): Expr {
    if (this.isName('not')) {
      const line = this.next().line;
      return { t: 'not', node: this.parseNot(), line };
    }
    return this.parseCompare();
  }

  protected parseCompare(): Expr {
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

  protected parseMath1(): Expr {
    let left = this.parseConcat();
    while (this.isOp('+') || this.isOp('-')) {
      const token = this.next();
      left = { t: 'bin', op: token.value, left, right: this.parseConcat(), line: token.line };
    }
    return left;
  }

  protected parseConcat(): Expr {
    const line = this.peek.line;
    const items = [this.parseMath2()];
    while (this.skipOp('~')) items.push(this.parseMath2());
    return items.length === 1 ? items[0]! : { t: 'concat', items, line };
  }

  protected parseMath2(): Expr {
    let left = this.parsePow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const token = this.next();
      left = { t: 'bin', op: token.value, left, right: this.parsePow(), line: token.line };
    }
    return left;
  }

  protected parsePow(): Expr {
    let left = this.parseUnary();
    while (this.isOp('**')) {
      const token = this.next();
      left = { t: 'bin', op: '**', left, right: this.parseUnary(), line: token.line };
    }
    return left;
  }

  protected parseUnary(withFilter = true): Expr {
    const line = this.peek.line;
    let node: Expr;
    if (this.skipOp('-')) node = { t: 'neg', node: this.parseUnary(false), line };
    else if (this.skipOp('+')) node = { t: 'pos', node: this.parseUnary(false), line };
    else node = this.parsePostfix(this.parsePrimary());
    return withFilter ? this.parseFilterExpr(node) : node;
  }

  protected parsePrimary(): Expr {
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

  protected parsePostfix(node: Expr): Expr {
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

  protected parseSubscript(): Expr {
    const line = this.peek.line;
    const items: Expr[] = [];
    while (!this.skipOp(']')) {
      if (items.length) this.expectOp(',');
      items.push(this.parseSliceItem());
    }
    if (items.length !== 1) return { t: 'tuple', items, line };
    return items[0]!;
  }

  protected parseSliceItem(): Expr {
    const line = this.peek.line;
    const part = () =>
      this.isOp(':') || this.isOp(']') || this.isOp(',') ? undefined : this.parseExpression();
    const start = part();
    if (!this.skipOp(':')) return start!;
    const stop = part();
    const step = this.skipOp(':') ? part() : undefined;
    return { t: 'slice', start, stop, step, line };
  }

  protected parseArgs(): Args {
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

  protected parseFilterExpr(node: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) node = this.parseFilter(node, false);
      else if (this.isName('is')) node = this.parseTest(node);
      else if (this.isOp('(')) node = { t: 'call', fn: node, ...this.parseArgs(), line: node.line };
      else return node;
    }
  }

  protected parseFilter(node: Expr | undefined, startInline: boolean): Expr {
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

  protected parseTest(node: Expr): Expr {
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
      (next.type === 'op' && ['(', '[', '{'].includes(next.value))
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
