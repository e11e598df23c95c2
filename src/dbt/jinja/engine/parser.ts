import type { Expr, MacroNode, Stmt, Target } from './ast.ts';
import { TemplateSyntaxError, tokenize } from './lexer.ts';
import { ExpressionParser } from './parse-expr.ts';

/** Jinja2's statements (tags) over the expression parser: a template becomes a list of `Stmt`. */

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

class Parser extends ExpressionParser {
  parseAll(): Stmt[] {
    const body = this.subparse([]);
    if (this.peek.type !== 'eof') this.fail(`unexpected '${this.peek.value}'`);
    return body;
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
}
