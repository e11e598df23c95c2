import type { Hit, Rule, RuleContext } from './types.ts';

/** Whitespace tokens directly before a newline (or the end of the file). */
function trailingWhitespace(ctx: RuleContext): Hit[] {
  const hits: Hit[] = [];
  ctx.tokens.forEach((t, i) => {
    const next = ctx.tokens[i + 1];
    if (t.kind === 'ws' && (next === undefined || next.kind === 'nl'))
      hits.push({
        offset: t.start,
        message: 'trailing whitespace',
        fix: [{ start: t.start, end: t.end, text: '' }],
      });
  });
  return hits;
}

/** Tabs in whitespace between tokens: four spaces in indentation, one elsewhere. */
function tabs(ctx: RuleContext): Hit[] {
  const hits: Hit[] = [];
  ctx.tokens.forEach((t, i) => {
    const at = t.text.indexOf('\t');
    if (t.kind !== 'ws' || at < 0) return;
    const previous = ctx.tokens[i - 1];
    const indent = previous === undefined || previous.kind === 'nl';
    const text = t.text.replace(/\t/g, indent ? '    ' : ' ');
    hits.push({
      offset: t.start + at,
      message: 'tab character',
      fix: [{ start: t.start, end: t.end, text }],
    });
  });
  return hits;
}

function lineLength(ctx: RuleContext): Hit[] {
  const hits: Hit[] = [];
  let offset = 0;
  for (const line of ctx.text.split('\n')) {
    const length = line.endsWith('\r') ? line.length - 1 : line.length;
    if (length > ctx.config.maxLineLength)
      hits.push({
        offset: offset + ctx.config.maxLineLength,
        message: `line is ${length} characters, over ${ctx.config.maxLineLength}`,
      });
    offset += line.length + 1;
  }
  return hits;
}

/** A block comment, string or quoted name that runs to the end of the file. */
function unclosed(text: string): boolean {
  if (text.startsWith('/*')) return text.length < 4 || !text.endsWith('*/');
  const quote = text[0];
  if (quote !== "'" && quote !== '"' && quote !== '`') return false;
  return text.length < 2 || !text.endsWith(quote) || /(^|[^\\])(\\\\)*\\.$/.test(text);
}

/** Exactly one newline at the end of a non-empty file. */
function finalNewline(ctx: RuleContext): Hit[] {
  const { text } = ctx;
  if (text.trim() === '') return [];
  // The end of the last token that is not whitespace: blanks inside an unclosed comment or string stay.
  const last = [...ctx.tokens].reverse().find((t) => t.kind !== 'ws' && t.kind !== 'nl');
  const content = last?.end ?? 0;
  if (last && unclosed(last.text)) return []; // a newline would land inside it
  const tail = text.slice(content);
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  if (tail === eol) return [];
  const fix = [{ start: content, end: text.length, text: eol }];
  if (!tail.includes('\n')) return [{ offset: text.length, message: 'missing final newline', fix }];
  return [{ offset: content, message: 'blank lines or spaces at the end of the file', fix }];
}

export const LAYOUT_RULES: readonly Rule[] = [
  {
    id: 'LT01',
    name: 'trailing-whitespace',
    severity: 'warning',
    fixable: true,
    description: 'No spaces or tabs at the end of a line.',
    check: trailingWhitespace,
  },
  {
    id: 'LT02',
    name: 'tabs',
    severity: 'warning',
    fixable: true,
    description: 'Indent with spaces, not tabs.',
    check: tabs,
  },
  {
    id: 'LT03',
    name: 'line-length',
    severity: 'warning',
    fixable: false,
    description: 'Lines no longer than max_line_length (default 120).',
    check: lineLength,
  },
  {
    id: 'LT04',
    name: 'final-newline',
    severity: 'warning',
    fixable: true,
    description: 'The file ends with exactly one newline.',
    check: finalNewline,
  },
];
