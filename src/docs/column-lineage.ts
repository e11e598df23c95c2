import {
  type ColumnOrigin,
  columnsRel,
  dedupe,
  type LineageContext,
  type Rel,
  type ScopeEntry,
  tableRel,
  UNKNOWN,
} from './lineage-scope.ts';
import { findKeyword, isName, matchParen, splitTopLevel, type Token, tokenize } from './sql-tokens.ts';

export type { ColumnOrigin, LineageContext } from './lineage-scope.ts';

/**
 * Column-level lineage read from a model's compiled SQL: for each output column, the columns of
 * ref'd models, seeds and sources it comes from. `direct` means the column is a plain copy
 * (`select col`, `x.col as y`, through CTEs and subqueries); otherwise it is computed from them.
 * Only what the SQL states is reported — a name that cannot be resolved with certainty is left out
 * rather than guessed, so an edge shown in the docs is always true.
 */

/** Keywords that end a FROM clause. */
const CLAUSE_END = new Set(
  'where prewhere group order limit having settings qualify window format union'.split(' '),
);
/** Words that can follow an expression or table without being its alias. */
const NOT_ALIAS = new Set([
  ...'end null true false final on using join left right inner full cross any all'.split(' '),
  ...'asof semi anti outer global array paste sample'.split(' '),
  ...CLAUSE_END,
]);

export function columnLineage(sql: string, context: LineageContext): Map<string, ColumnOrigin[]> {
  const tokens = tokenize(sql);
  let end = tokens.length;
  while (end > 0 && tokens[end - 1]!.text === ';') end--;
  try {
    const rel = new Reader(tokens, context).query(0, end, new Map());
    const result = new Map<string, ColumnOrigin[]>();
    for (const name of rel.order ?? []) result.set(name, rel.lookup(name) ?? []);
    return result;
  } catch {
    // SQL this reader does not follow yields no lineage rather than a wrong one.
    return new Map();
  }
}

class Reader {
  constructor(
    private readonly t: readonly Token[],
    private readonly context: LineageContext,
  ) {}

  private is(i: number, lower: string): boolean {
    const token = this.t[i];
    return token !== undefined && token.kind === 'word' && token.lower === lower;
  }

  private punct(i: number, text: string): boolean {
    const token = this.t[i];
    return token !== undefined && token.kind === 'punct' && token.text === text;
  }

  /** WITH … SELECT … [UNION ALL SELECT …], or a parenthesised query. */
  query(from: number, to: number, outer: ReadonlyMap<string, Rel>): Rel {
    const ctes = new Map(outer);
    let i = from;
    if (this.is(i, 'with')) {
      const select = findKeyword(this.t, i + 1, to, new Set(['select']));
      for (const [start, stop] of splitTopLevel(this.t, i + 1, select)) {
        if (isName(this.t[start]) && this.is(start + 1, 'as') && this.punct(start + 2, '(')) {
          const close = matchParen(this.t, start + 2);
          if (close >= stop) throw new Error('unbalanced CTE');
          ctes.set(this.t[start]!.text, this.query(start + 3, close, ctes));
        }
      }
      i = select;
    }
    const branches: Rel[] = [];
    let start = i;
    for (;;) {
      const union = findKeyword(this.t, start, to, new Set(['union']));
      branches.push(this.branch(start, union, ctes));
      if (union >= to) break;
      start = union + 1;
      while (this.is(start, 'all') || this.is(start, 'distinct')) start++;
    }
    const first = branches[0]!;
    const order = [...(first.order ?? [])];
    // A UNION's columns take the first branch's names; each draws on every branch at that position.
    const origins = order.map((_name, k) =>
      dedupe(
        branches.flatMap((b) => {
          const column = b.order?.[k];
          return column === undefined ? [] : (b.lookup(column) ?? []);
        }),
      ),
    );
    return columnsRel(order, origins);
  }

  private branch(from: number, to: number, ctes: ReadonlyMap<string, Rel>): Rel {
    if (this.punct(from, '(')) return this.query(from + 1, matchParen(this.t, from), ctes);
    if (!this.is(from, 'select')) throw new Error('not a select');
    let listStart = from + 1;
    while (this.is(listStart, 'distinct') || this.is(listStart, 'all')) listStart++;
    const fromAt = findKeyword(this.t, listStart, to, new Set(['from']));
    const scope = fromAt < to ? this.fromClause(fromAt + 1, to, ctes) : [];
    return this.selectList(listStart, fromAt, scope);
  }

  private fromClause(from: number, to: number, ctes: ReadonlyMap<string, Rel>): ScopeEntry[] {
    const end = findKeyword(this.t, from, to, CLAUSE_END);
    const entries: ScopeEntry[] = [];
    let i = from;
    while (i < end) {
      const [entry, next] = this.tableItem(i, end, ctes);
      entries.push(entry);
      // Skip ON/USING conditions to the next JOIN or comma at this level.
      let j = next;
      while (j < end && !this.is(j, 'join') && !this.punct(j, ',')) {
        if (this.punct(j, '(')) j = matchParen(this.t, j);
        j++;
      }
      i = j + 1;
    }
    return entries;
  }

  private tableItem(i: number, end: number, ctes: ReadonlyMap<string, Rel>): [ScopeEntry, number] {
    let rel: Rel = UNKNOWN;
    const names: string[] = [];
    if (this.punct(i, '(')) {
      const close = matchParen(this.t, i);
      rel = this.query(i + 1, close, ctes);
      i = close + 1;
    } else if (isName(this.t[i])) {
      const parts = [this.t[i]!.text];
      i++;
      while (this.punct(i, '.') && isName(this.t[i + 1])) {
        parts.push(this.t[i + 1]!.text);
        i += 2;
      }
      if (this.punct(i, '('))
        i = matchParen(this.t, i) + 1; // a table function: columns unknown
      else {
        const table = parts[parts.length - 1]!;
        const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
        const cte = parts.length === 1 ? ctes.get(table) : undefined;
        const node = cte ? undefined : this.context.resolveRelation(schema, table);
        rel = cte ?? (node ? tableRel(node, this.context.columnsOf(node)) : UNKNOWN);
        names.push(table);
        if (schema) names.push(`${schema}.${table}`);
      }
    }
    if (this.is(i, 'final')) i++;
    if (this.is(i, 'as')) i++;
    const alias = this.t[i];
    if (i < end && isName(alias) && !(alias!.kind === 'word' && NOT_ALIAS.has(alias!.lower))) {
      names.length = 0;
      names.push(alias!.text);
      i++;
    }
    return [{ names, rel }, i];
  }

  private selectList(from: number, to: number, scope: readonly ScopeEntry[]): Rel {
    const order: string[] = [];
    const origins: ColumnOrigin[][] = [];
    const items = splitTopLevel(this.t, from, to).map(([s, e]) => this.splitAlias(s, e));
    const aliases = new Map(items.filter((x) => x.alias).map((x) => [x.alias!, x]));
    for (const item of items) {
      const star = this.starItem(item.start, item.end, scope);
      if (star) {
        for (const [name, o] of star) {
          order.push(name);
          origins.push(o);
        }
        continue;
      }
      const plain = this.plainRef(item.start, item.end);
      const name = item.alias ?? plain?.column ?? this.text(item.start, item.end);
      order.push(name);
      if (plain) {
        const viaAlias = !plain.qualifier && plain.column !== name ? aliases.get(plain.column) : undefined;
        origins.push(
          viaAlias
            ? this.derived(viaAlias.start, viaAlias.end, scope, new Map())
            : (this.resolve(plain.qualifier, plain.column, scope) ?? []),
        );
      } else origins.push(this.derived(item.start, item.end, scope, aliases, name));
    }
    return columnsRel(order, origins);
  }

  /** `expr AS name` or `expr name` → the expression's range and the alias. */
  private splitAlias(start: number, end: number): { start: number; end: number; alias?: string } {
    const last = this.t[end - 1];
    if (end - start >= 3 && this.is(end - 2, 'as') && isName(last))
      return { start, end: end - 2, alias: last!.text };
    const before = this.t[end - 2];
    if (
      end - start >= 2 &&
      isName(last) &&
      !(last!.kind === 'word' && NOT_ALIAS.has(last!.lower)) &&
      before !== undefined &&
      (isName(before) || before.text === ')' || before.kind === 'number' || before.kind === 'string') &&
      !(before.kind === 'word' && ['distinct', 'interval', 'not', 'and', 'or'].includes(before.lower))
    )
      return { start, end: end - 1, alias: last!.text };
    return { start, end };
  }

  /** `col`, `x.col` or `schema.table.col`. */
  private plainRef(start: number, end: number): { qualifier?: string; column: string } | undefined {
    const n = end - start;
    if (n === 1 && isName(this.t[start]) && !NOT_ALIAS.has(this.t[start]!.lower))
      return { column: this.t[start]!.text };
    if (n === 3 && isName(this.t[start]) && this.punct(start + 1, '.') && isName(this.t[start + 2]))
      return { qualifier: this.t[start]!.text, column: this.t[start + 2]!.text };
    if (n === 5 && this.punct(start + 1, '.') && this.punct(start + 3, '.') && isName(this.t[start + 4]))
      return { qualifier: this.t[start + 2]!.text, column: this.t[start + 4]!.text };
    return undefined;
  }

  /** `*`, `x.*`, `* EXCEPT (a, b)` → columns with their origins; undefined if not a star. */
  private starItem(
    start: number,
    end: number,
    scope: readonly ScopeEntry[],
  ): [string, ColumnOrigin[]][] | undefined {
    let entries: readonly ScopeEntry[];
    let i: number;
    if (this.punct(start, '*')) {
      entries = scope;
      i = start + 1;
    } else if (isName(this.t[start]) && this.punct(start + 1, '.') && this.punct(start + 2, '*')) {
      entries = scope.filter((e) => e.names.includes(this.t[start]!.text));
      i = start + 3;
    } else return undefined;
    const excluded = new Set<string>();
    if (this.is(i, 'except')) {
      const close = this.punct(i + 1, '(') ? matchParen(this.t, i + 1) : i + 2;
      for (let j = i + 1; j < Math.min(close, end); j++) if (isName(this.t[j])) excluded.add(this.t[j]!.text);
    }
    const out: [string, ColumnOrigin[]][] = [];
    for (const entry of entries)
      for (const column of entry.rel.order ?? [])
        if (!excluded.has(column)) out.push([column, entry.rel.lookup(column) ?? []]);
    return out;
  }

  /** The columns an expression reads, each marked computed (not a plain copy). */
  private derived(
    start: number,
    end: number,
    scope: readonly ScopeEntry[],
    aliases: ReadonlyMap<string, { start: number; end: number; alias?: string }>,
    self?: string,
  ): ColumnOrigin[] {
    const found: ColumnOrigin[] = [];
    // Lambda parameters (`x -> …`) name no column; collected first, they are skipped everywhere.
    const bound = new Set<string>();
    for (let i = start; i < end; i++)
      if (isName(this.t[i]) && this.punct(i + 1, '->')) bound.add(this.t[i]!.text);
    for (let i = start; i < end; i++) {
      const token = this.t[i]!;
      if (this.punct(i, '(') && this.is(i + 1, 'select')) {
        // A scalar subquery reads its own FROM, not this scope: its columns are not resolved here.
        i = matchParen(this.t, i);
        continue;
      }
      if (!isName(token) || this.punct(i + 1, '(') || this.punct(i - 1, '.') || bound.has(token.text))
        continue;
      if (token.kind === 'word' && NOT_ALIAS.has(token.lower)) continue;
      let qualifier: string | undefined;
      let column = token.text;
      if (this.punct(i + 1, '.') && isName(this.t[i + 2])) {
        qualifier = token.text;
        column = this.t[i + 2]!.text;
        i += 2;
      }
      const alias = !qualifier && column !== self ? aliases.get(column) : undefined;
      const origins = alias
        ? this.derived(alias.start, alias.end, scope, new Map())
        : this.resolve(qualifier, column, scope);
      found.push(...(origins ?? []));
    }
    return dedupe(found.map((o) => ({ ...o, direct: false })));
  }

  /** A column of the FROM scope: through the named entry, else the one entry that has it. */
  private resolve(
    qualifier: string | undefined,
    column: string,
    scope: readonly ScopeEntry[],
  ): ColumnOrigin[] | undefined {
    if (qualifier !== undefined) return scope.find((e) => e.names.includes(qualifier))?.rel.lookup(column);
    if (scope.length === 1) return scope[0]!.rel.lookup(column);
    const having = scope.filter((e) => e.rel.order?.includes(column));
    return having.length === 1 ? having[0]!.rel.lookup(column) : undefined;
  }

  private text(start: number, end: number): string {
    return this.t
      .slice(start, end)
      .map((t) => t.text)
      .join(' ');
  }
}
