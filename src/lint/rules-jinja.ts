import type { Hit, Rule, RuleContext } from './types.ts';

/** `{{x}}` / `{%if x%}`: a tag whose delimiters are not separated from its content by a space. */
function jinjaSpacing(ctx: RuleContext): Hit[] {
  const hits: Hit[] = [];
  for (const span of ctx.spans) {
    if (span.type === 'comment') continue;
    const text = ctx.text.slice(span.start, span.end);
    const inner = text.slice(2, -2).replace(/^[-+]/, '').replace(/[-+]$/, '');
    if (inner.trim() === '') continue;
    if (!/^\s/.test(inner) || !/\s$/.test(inner))
      hits.push({
        offset: span.start,
        message: `Jinja tag ${text.slice(0, 2)} … ${text.slice(-2)} needs one space inside its delimiters`,
      });
  }
  return hits;
}

const SET = /^\{%[-+]?\s*set\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?:=|[-+]?%\})/;

/** A `{% set name … %}` whose name appears in no other Jinja tag (nor the rest of its own). */
function unusedSet(ctx: RuleContext): Hit[] {
  const hits: Hit[] = [];
  const tags = ctx.spans.map((s) => ctx.text.slice(s.start, s.end));
  ctx.spans.forEach((span, i) => {
    const match = SET.exec(tags[i] as string);
    if (!match) return;
    const rest = [...tags.slice(0, i), (tags[i] as string).slice(match[0].length), ...tags.slice(i + 1)].join(
      '\n',
    );
    for (const name of (match[1] as string).split(',').map((n) => n.trim())) {
      if (!new RegExp(`(?<![\\w.])${name}(?!\\w)`).test(rest))
        hits.push({ offset: span.start, message: `{% set ${name} %} is never used` });
    }
  });
  return hits;
}

export const JINJA_RULES: readonly Rule[] = [
  {
    id: 'JJ01',
    name: 'jinja-spacing',
    severity: 'warning',
    fixable: false,
    description:
      'One space inside Jinja delimiters: {{ x }}, {% if x %} (not fixed: Jinja is never rewritten).',
    check: jinjaSpacing,
  },
  {
    id: 'JJ02',
    name: 'unused-set',
    severity: 'warning',
    fixable: false,
    description: 'Every {% set %} variable is used.',
    check: unusedSet,
  },
];
