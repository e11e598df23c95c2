import { RULES, UNCLOSED_JINJA } from './rules.ts';
import { KEYWORDS } from './rules-sql.ts';
import { type JinjaSpan, jinjaSpans, positionOf, type Token, tokenize, UnclosedJinja } from './tokens.ts';
import type { Edit, Finding, LintConfig, Rule, RuleContext } from './types.ts';

export interface LintOptions {
  readonly config: LintConfig;
  /** The rule ids to run (default: all). */
  readonly rules: ReadonlySet<string>;
}

interface Checked {
  readonly findings: Finding[];
  readonly edits: Edit[];
}

function context(path: string, text: string, config: LintConfig): RuleContext | UnclosedJinja {
  let spans: JinjaSpan[];
  try {
    spans = jinjaSpans(text);
  } catch (error) {
    if (error instanceof UnclosedJinja) return error;
    throw error;
  }
  const tokens = tokenize(text, spans);
  const code = tokens.filter((t) => t.kind !== 'ws' && t.kind !== 'nl' && t.kind !== 'comment');
  return { path, text, tokens, spans, code, config };
}

function check(path: string, text: string, options: LintOptions): Checked {
  const ctx = context(path, text, options.config);
  const at = positionOf(text);
  const finding = (rule: Omit<Rule, 'check'>, offset: number, message: string): Finding => ({
    path,
    ...at(offset),
    rule: rule.id,
    severity: options.config.severity[rule.id] ?? rule.severity,
    message,
    fixable: rule.fixable,
  });
  if (ctx instanceof UnclosedJinja) {
    if (!options.rules.has(UNCLOSED_JINJA.id)) return { findings: [], edits: [] };
    return { findings: [finding(UNCLOSED_JINJA, ctx.offset, 'Jinja tag never closes')], edits: [] };
  }
  const findings: Finding[] = [];
  const edits: Edit[] = [];
  for (const rule of RULES) {
    if (!options.rules.has(rule.id)) continue;
    for (const hit of rule.check(ctx)) {
      findings.push(finding(rule, hit.offset, hit.message));
      if (rule.fixable && hit.fix) edits.push(...hit.fix);
    }
  }
  findings.sort((a, b) => a.line - b.line || a.col - b.col || a.rule.localeCompare(b.rule));
  return { findings, edits };
}

/** The findings of one file's text; `path` is project-relative and decides path-scoped rules. */
export function lintText(path: string, text: string, options: LintOptions): Finding[] {
  return check(path, text, options).findings;
}

/**
 * Applies the fixable rules' edits. Invariant: the result differs from `text` only in whitespace
 * outside Jinja, strings and comments, and in keyword case; every Jinja tag is byte-identical.
 * Checked after the fact (`assertSameMeaning`), so a faulty rule fails loudly instead of writing.
 */
export function fixText(path: string, text: string, options: LintOptions): string {
  if (context(path, text, options.config) instanceof UnclosedJinja) return text;
  let current = text;
  // A fix can reveal another (tabs become spaces at a line's end): repeat until stable.
  for (let round = 0; round < 5; round++) {
    const { edits } = check(path, current, options);
    if (edits.length === 0) break;
    current = applyEdits(current, jinjaSpans(current), edits);
  }
  assertSameMeaning(text, current);
  return current;
}

function applyEdits(text: string, spans: readonly JinjaSpan[], edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let at = 0;
  for (const edit of sorted) {
    if (edit.start < at) continue; // overlapping edits: the next round redoes the rest
    if (
      spans.some((s) => edit.start < s.end && edit.end > s.start) ||
      spans.some((s) => edit.start > s.start && edit.start < s.end)
    )
      throw new Error(`internal: a lint fix would change Jinja at offset ${edit.start}`);
    out += text.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return out + text.slice(at);
}

/** The meaning-bearing tokens: whitespace dropped, keywords compared in lower case. */
function meaning(text: string): string[] {
  const tokens: Token[] = tokenize(text, jinjaSpans(text));
  return tokens
    .filter((t) => t.kind !== 'ws' && t.kind !== 'nl')
    .map((t) => (t.kind === 'word' && KEYWORDS.has(t.text.toLowerCase()) ? t.text.toLowerCase() : t.text));
}

export function assertSameMeaning(before: string, after: string): void {
  const a = meaning(before);
  const b = meaning(after);
  const i = a.findIndex((t, k) => t !== b[k]);
  if (a.length !== b.length || i >= 0)
    throw new Error(
      `internal: a lint fix changed more than whitespace or keyword case (token ${i}: ${a[i]} → ${b[i]})`,
    );
}
