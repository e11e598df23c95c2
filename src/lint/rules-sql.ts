import type { Token } from './tokens.ts';
import type { Hit, Rule, RuleContext } from './types.ts';

/**
 * Words whose case never changes what ClickHouse does. Only reserved-looking words are here:
 * ClickHouse identifiers are case-sensitive, so a word that could be a column (`first`, `range`,
 * `partition`, `format`) is left alone by the keyword-case rule and its fix.
 */
export const KEYWORDS: ReadonlySet<string> = new Set(
  (
    'select from where and or not as on join left right inner outer full cross using group by order ' +
    'having limit union all distinct case when then else end with in is null between like ilike ' +
    'exists asc desc over interval final prewhere settings except intersect'
  ).split(' '),
);

/** Keywords that may stand right before `(` and still be keywords, not function names. */
const KEYWORD_BEFORE_PAREN = new Set(
  'select from where and or not as on join using in exists over when then else union all with by having'.split(
    ' ',
  ),
);

const lower = (t: Token | undefined) => (t?.kind === 'word' ? t.text.toLowerCase() : undefined);
const isPunct = (t: Token | undefined, p: string) => t?.kind === 'punct' && t.text === p;

/** Keyword tokens (by position in `code`) that are really keywords in their place. */
function keywordTokens(code: readonly Token[]): Token[] {
  return code.filter((t, i) => {
    const word = lower(t);
    if (word === undefined || !KEYWORDS.has(word)) return false;
    if (isPunct(code[i - 1], '.') || isPunct(code[i + 1], '.')) return false;
    return !isPunct(code[i + 1], '(') || KEYWORD_BEFORE_PAREN.has(word);
  });
}

function caseOf(text: string): 'lower' | 'upper' | 'mixed' {
  if (text === text.toLowerCase()) return 'lower';
  return text === text.toUpperCase() ? 'upper' : 'mixed';
}

function keywordCase(ctx: RuleContext): Hit[] {
  const words = keywordTokens(ctx.code);
  let want = ctx.config.keywordCase;
  if (want === 'consistent') {
    const upper = words.filter((t) => caseOf(t.text) === 'upper').length;
    want = upper > words.length - upper ? 'upper' : 'lower';
  }
  return words
    .filter((t) => caseOf(t.text) !== want)
    .map((t) => {
      const text = want === 'upper' ? t.text.toUpperCase() : t.text.toLowerCase();
      return {
        offset: t.start,
        message: `keyword ${t.text} should be ${want} case (${text})`,
        fix: [{ start: t.start, end: t.end, text }],
      };
    });
}

/** A comma that starts its line (leading) or ends it (trailing), against the configured style. */
function commaStyle(ctx: RuleContext): Hit[] {
  const { tokens } = ctx;
  const hits: Hit[] = [];
  tokens.forEach((t, i) => {
    if (!isPunct(t, ',')) return;
    if (ctx.config.commaStyle === 'trailing') {
      let j = i - 1;
      while (tokens[j]?.kind === 'ws') j--;
      if (j >= 0 && tokens[j]?.kind === 'nl')
        hits.push({ offset: t.start, message: 'leading comma: put commas at the end of the line' });
    } else {
      let j = i + 1;
      while (tokens[j]?.kind === 'ws' || tokens[j]?.kind === 'comment') j++;
      if (tokens[j]?.kind === 'nl')
        hits.push({ offset: t.start, message: 'trailing comma: put commas at the start of the line' });
    }
  });
  return hits;
}

function selectStarInMarts(ctx: RuleContext): Hit[] {
  if (!ctx.config.martsPaths.some((p) => ctx.path.startsWith(`${p.replace(/\/+$/, '')}/`))) return [];
  const { code } = ctx;
  const starts = new Set(['select', 'distinct']);
  return code
    .filter((t, i) => {
      if (!isPunct(t, '*')) return false;
      const before = code[i - 1];
      return starts.has(lower(before) ?? '') || isPunct(before, ',') || isPunct(before, '.');
    })
    .map((t) => ({ offset: t.start, message: 'SELECT * in a mart: list the columns the mart publishes' }));
}

/** For each code token, the token before the innermost `(` enclosing it (undefined at top level). */
function enclosingCallers(code: readonly Token[]): (Token | undefined)[] {
  const stack: (Token | undefined)[] = [];
  return code.map((t, i) => {
    if (isPunct(t, '(')) stack.push(code[i - 1]);
    else if (isPunct(t, ')')) stack.pop();
    return stack.at(-1);
  });
}

/** `from schema.table` / `join schema.table` written out instead of ref() or source(). */
function hardCodedRelation(ctx: RuleContext): Hit[] {
  const { code } = ctx;
  const callers = enclosingCallers(code);
  const named = (t: Token | undefined) => t?.kind === 'word' || t?.kind === 'qident';
  const hits: Hit[] = [];
  code.forEach((t, i) => {
    const word = lower(t);
    if (word !== 'from' && word !== 'join') return;
    const caller = callers[i];
    // `extract(year from x.d)`, `trim(both ' ' from t.s)`: a function argument, not a relation.
    if (caller?.kind === 'word' && !KEYWORDS.has(caller.text.toLowerCase())) return;
    const [schema, dot, table, after] = [code[i + 1], code[i + 2], code[i + 3], code[i + 4]];
    if (!named(schema) || !isPunct(dot, '.') || !named(table) || isPunct(after, '(')) return;
    // A quoted name built by Jinja (`{{ relation.schema }}`) is not written out.
    if (/\{[{%]/.test((schema as Token).text + (table as Token).text)) return;
    const name = (schema as Token).text.replace(/^[`"]|[`"]$/g, '');
    if (ctx.config.allowedSchemas.some((s) => s.toLowerCase() === name.toLowerCase())) return;
    hits.push({
      offset: (schema as Token).start,
      message: `hard-coded relation ${(schema as Token).text}.${(table as Token).text}: use ref() or source()`,
    });
  });
  return hits;
}

const ON_ENDS = new Set(
  'where group order having limit union join left right inner full cross settings prewhere format window on using'.split(
    ' ',
  ),
);

const BEFORE_JOIN_ENDS = new Set('select from where group order having union on using'.split(' '));

/** Whether the `on` at `i` belongs to a join: a `join` before it, parenthesised subqueries skipped. */
function joinsBefore(code: readonly Token[], i: number): boolean {
  let depth = 0;
  for (let j = i - 1; j >= 0 && j > i - 40; j--) {
    const t = code[j] as Token;
    if (isPunct(t, ')')) depth++;
    else if (isPunct(t, '(') && --depth < 0) return false;
    else if (depth === 0 && lower(t) === 'join') return true;
    else if (depth === 0 && (BEFORE_JOIN_ENDS.has(lower(t) ?? '') || isPunct(t, ';'))) return false;
  }
  return false;
}

/** `{% else %}`, `{% endif %}`, …: the condition's text stops being one path through the template. */
const BRANCH_END = /^\{%[-+]?\s*(else|elif|end\w*)\b/;

/** Bare column names in a join's ON condition: which side they come from is left to guessing. */
function unqualifiedJoinColumns(ctx: RuleContext): Hit[] {
  const { code } = ctx;
  const hits: Hit[] = [];
  code.forEach((t, i) => {
    if (lower(t) !== 'on' || !joinsBefore(code, i)) return;
    let depth = 0;
    for (let j = i + 1; j < code.length; j++) {
      const u = code[j] as Token;
      if (u.kind === 'jinja' && BRANCH_END.test(u.text)) break;
      if (isPunct(u, '(')) depth++;
      else if (isPunct(u, ')') && --depth < 0) break;
      else if (isPunct(u, ';')) break;
      const word = lower(u);
      if (word === undefined) continue;
      if (depth === 0 && ON_ENDS.has(word)) break;
      if (KEYWORDS.has(word) || word === 'true' || word === 'false') continue;
      if (isPunct(code[j - 1], '.') || isPunct(code[j + 1], '.') || isPunct(code[j + 1], '(')) continue;
      hits.push({ offset: u.start, message: `unqualified column ${u.text} in a join condition` });
    }
  });
  return hits;
}

function distinctAsFunction(ctx: RuleContext): Hit[] {
  const { code } = ctx;
  return code
    .filter((t, i) => lower(t) === 'distinct' && lower(code[i - 1]) === 'select' && isPunct(code[i + 1], '('))
    .map((t) => ({
      offset: t.start,
      message: 'DISTINCT is not a function: it applies to the whole row, not to the parenthesised column',
    }));
}

function unionWithoutAll(ctx: RuleContext): Hit[] {
  const { code } = ctx;
  return code
    .filter(
      (t, i) => lower(t) === 'union' && lower(code[i + 1]) !== 'all' && lower(code[i + 1]) !== 'distinct',
    )
    .map((t) => ({ offset: t.start, message: 'UNION without ALL: say UNION ALL (or UNION DISTINCT)' }));
}

export const SQL_RULES: readonly Rule[] = [
  {
    id: 'CP01',
    name: 'keyword-case',
    severity: 'warning',
    fixable: true,
    description: 'Keywords in one case: keyword_case lower, upper or consistent (the majority of the file).',
    check: keywordCase,
  },
  {
    id: 'CV01',
    name: 'comma-style',
    severity: 'warning',
    fixable: false,
    description: 'Commas trailing (end of line) or leading (start of line), per comma_style.',
    check: commaStyle,
  },
  {
    id: 'AM01',
    name: 'select-star-in-marts',
    severity: 'error',
    fixable: false,
    description: 'No SELECT * in models under marts_paths: a mart lists the columns it publishes.',
    check: selectStarInMarts,
  },
  {
    id: 'RF01',
    name: 'hard-coded-relation',
    severity: 'error',
    fixable: false,
    description: 'FROM/JOIN schema.table written out: use ref() or source() (allowed_schemas excepted).',
    check: hardCodedRelation,
  },
  {
    id: 'RF02',
    name: 'unqualified-join-column',
    severity: 'warning',
    fixable: false,
    description: 'Columns in a join ON condition are qualified with their table.',
    check: unqualifiedJoinColumns,
  },
  {
    id: 'ST01',
    name: 'distinct-as-function',
    severity: 'warning',
    fixable: false,
    description: 'SELECT DISTINCT(col) reads as a function but applies to the whole row.',
    check: distinctAsFunction,
  },
  {
    id: 'AM02',
    name: 'union-without-all',
    severity: 'warning',
    fixable: false,
    description: 'UNION says ALL or DISTINCT.',
    check: unionWithoutAll,
  },
];
