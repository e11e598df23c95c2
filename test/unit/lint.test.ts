import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lintAction } from '../../src/cli/commands/lint-action.ts';
import type { Output } from '../../src/cli/output.ts';
import type { DemaError } from '../../src/errors.ts';
import { lintSettings } from '../../src/lint/config.ts';
import { fixText, lintText } from '../../src/lint/lint.ts';
import { ALL_RULE_IDS, RULES } from '../../src/lint/rules.ts';
import { DEFAULT_CONFIG, type LintConfig } from '../../src/lint/types.ts';
import { EXPECTED, LINT_PROJECT } from '../fixtures/lint-project.ts';
import { tempDir, writeFiles } from '../helpers/fixtures.ts';

function capture(json = false): Output & { lines: string[] } {
  const lines: string[] = [];
  return {
    json,
    color: false,
    lines,
    line: (text) => lines.push(text),
    write: (text) => lines.push(text),
    error: (text) => lines.push(text),
    reporter: { emit: () => {} } as unknown as Output['reporter'],
  };
}

function lintProject(dir: string, flags: Record<string, unknown> = {}): { code: number; found: string[] } {
  const output = capture();
  const code = lintAction({ projectDir: dir, ...flags }, [], output);
  // Outside the current directory a file is shown by its absolute path (inside, relative to it).
  const found = output.lines
    .slice(0, -1)
    .map((l) => l.replace(`${dir}/`, '').split(' ').slice(0, 2).join(' '));
  return { code, found };
}

const expected = (rows: typeof EXPECTED) => rows.map(([p, l, c, r]) => `${p}:${l}:${c} ${r}`);

/** Jinja tags found by a plain regex (not the linter's scanner): the oracle for "Jinja untouched". */
const jinjaTags = (text: string) => text.match(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g) ?? [];

test('the seeded fixture gives exactly one finding per rule, at its line and column', (t) => {
  const dir = tempDir(t, 'dema-lint-');
  writeFiles(dir, LINT_PROJECT);
  const { code, found } = lintProject(dir);
  assert.deepEqual(found, expected(EXPECTED));
  assert.equal(code, 1, 'error-severity findings (AM01, RF01, JJ00) exit 1');
  const seeded = new Set(EXPECTED.map((e) => e[3]));
  for (const rule of RULES) assert.ok(seeded.has(rule.id), `rule ${rule.id} has a seeded violation`);
});

test('--fix repairs the fixable findings only, keeps every Jinja tag byte-identical', (t) => {
  const dir = tempDir(t, 'dema-lint-');
  writeFiles(dir, LINT_PROJECT);
  const fixable = new Set(RULES.filter((r) => r.fixable).map((r) => r.id));
  const first = lintProject(dir, { fix: true });
  assert.deepEqual(first.found, expected(EXPECTED.filter((e) => !fixable.has(e[3]))));
  assert.deepEqual(lintProject(dir).found, first.found, 'a second run finds the same, unfixable ones');
  for (const path of Object.keys(LINT_PROJECT)) {
    const after = readFileSync(join(dir, path), 'utf8');
    assert.deepEqual(jinjaTags(after), jinjaTags(LINT_PROJECT[path] as string), path);
  }
  const stg = readFileSync(join(dir, 'models/staging/stg_orders.sql'), 'utf8').split('\n');
  assert.deepEqual(stg.slice(3, 7), [
    '    id,',
    '    amount,',
    '    {{used_var}} as label',
    "from {{ source('raw', used_var) }}",
  ]);
  assert.equal(stg.at(-1), '', 'one final newline');
  assert.equal(readFileSync(join(dir, 'target/compiled/ignored.sql'), 'utf8'), 'SELECT  1   \n');
  assert.equal(first.code, 1);
});

test('--rules and --exclude-rules choose rules by id or name; clean files exit 0', (t) => {
  const dir = tempDir(t, 'dema-lint-');
  writeFiles(dir, LINT_PROJECT);
  const only = lintProject(dir, { rules: 'LT01,tabs' });
  assert.deepEqual(only.found, [
    'models/staging/stg_orders.sql:4:8 LT01',
    'models/staging/stg_orders.sql:5:1 LT02',
  ]);
  assert.equal(only.code, 0, 'warnings only');
  const rest = lintProject(dir, { excludeRules: 'JJ00,select-star-in-marts,RF01' });
  assert.equal(rest.code, 0);
  assert.equal(rest.found.length, EXPECTED.length - 3);
  const whole = capture();
  lintAction({ projectDir: dir }, [dir], whole);
  assert.equal(whole.lines.length, EXPECTED.length + 1, 'the project root as a PATH: target/ is skipped');
  assert.throws(
    () => lintProject(dir, { rules: 'LT99' }),
    (e: DemaError) => e.code === 'USAGE',
  );
});

test('--json prints one object per finding and a summary', (t) => {
  const dir = tempDir(t, 'dema-lint-');
  writeFiles(dir, LINT_PROJECT);
  const output = capture(true);
  lintAction({ projectDir: dir, rules: 'AM01' }, [join(dir, 'models/marts')], output);
  assert.deepEqual(
    output.lines.map((l) => JSON.parse(l)),
    [
      {
        type: 'lint',
        path: 'models/marts/mart_orders.sql',
        line: 1,
        col: 8,
        rule: 'AM01',
        severity: 'error',
        message: 'SELECT * in a mart: list the columns the mart publishes',
        fixable: false,
      },
      { type: 'lint_summary', files: 1, errors: 1, warnings: 0, fixed: 0 },
    ],
  );
});

const config = (over: Partial<LintConfig>) => ({
  config: { ...DEFAULT_CONFIG, ...over },
  rules: new Set(ALL_RULE_IDS),
});
const rulesOf = (path: string, text: string, over: Partial<LintConfig> = {}) =>
  lintText(path, text, config(over)).map((f) => `${f.line}:${f.col} ${f.rule}`);

test('settings: keyword case, comma style, severity, allowed schemas', () => {
  assert.deepEqual(rulesOf('m.sql', 'select 1 AS x\n', { keywordCase: 'upper' }), ['1:1 CP01']);
  assert.deepEqual(
    rulesOf('m.sql', 'SELECT 1 as x FROM t\n'),
    ['1:10 CP01'],
    'consistent: the majority wins',
  );
  assert.equal(
    fixText('m.sql', 'Select left(s, 1), t.from\nFROM t\n', config({ keywordCase: 'lower' })),
    'select left(s, 1), t.from\nfrom t\n',
  );
  assert.deepEqual(rulesOf('m.sql', 'select a,\n  b\n', { commaStyle: 'leading' }), ['1:9 CV01']);
  assert.deepEqual(rulesOf('m.sql', 'select a -- x\n  , b\n', { commaStyle: 'leading' }), []);
  assert.deepEqual(rulesOf('m.sql', 'select 1 from other.t\n', { allowedSchemas: ['other'] }), []);
  const settings = lintSettings(
    'vars:\n  dema_lint:\n    severity: {LT01: error}\n    exclude_rules: [tabs]\n',
    'p.yml',
  );
  assert.equal(settings.config.severity.LT01, 'error');
  assert.deepEqual(settings.excludeRules, ['LT02']);
  for (const bad of [
    'keyword_case: camel',
    'max_line_length: -1',
    'nope: 1',
    'rules: LT01',
    'severity: {LT01: fatal}',
  ])
    assert.throws(
      () => lintSettings(`vars:\n  dema_lint:\n    ${bad}\n`, 'p.yml'),
      (e: DemaError) =>
        e.code === 'CONFIG_INVALID' && e.message.includes('p.yml') && e.message.includes('dema_lint.'),
      bad,
    );
});

test('no false alarms: prose in a {% set %} block, a Jinja-built relation, an ON past {% else %}', () => {
  const only = (rule: string, text: string) => rulesOf('models/m.sql', text).filter((f) => f.endsWith(rule));
  assert.deepEqual(only('RF02', '{% set msg %}\nit relies on the information schema\n{% endset %}\n'), []);
  assert.deepEqual(only('RF02', 'select 1 from a join (select x from b) as c on x = 1\n'), ['1:48 RF02']);
  assert.deepEqual(
    only('RF02', 'select 1 from a join b on\n{% if n %}a.x = b.x{% else %}\nz cross join b{% endif %}\n'),
    [],
  );
  assert.deepEqual(only('RF01', 'select 1 from `{{ r.schema }}`.`{{ r.name }}`\n'), []);
  assert.deepEqual(only('RF01', 'select 1 from "raw"."t"\n'), ['1:15 RF01']);
});

test('Jinja inside strings and comments, raw blocks and whitespace control are never rewritten', () => {
  const text =
    "{{ config(  \n\tx='a'\t\n) }}\n" +
    '{%- raw -%}SELECT  {{ x }}\t{%- endraw %}\t\n-- FROM {{ a }}  \nSELECT \'{{ b }}\t\'  , "FROM"\t\nfrom t';
  const fixed = fixText('m.sql', text, config({}));
  assert.deepEqual(jinjaTags(fixed), jinjaTags(text));
  assert.equal(
    fixed,
    "{{ config(  \n\tx='a'\t\n) }}\n" +
      '{%- raw -%}SELECT  {{ x }}\t{%- endraw %}\n-- FROM {{ a }}\nselect \'{{ b }}\t\'  , "FROM"\nfrom t\n',
  );
});

test('CRLF line ends are kept: not trailing whitespace, the final newline is CRLF', () => {
  const text = 'select a,  \r\n  b\r\nfrom t';
  assert.deepEqual(rulesOf('m.sql', text), ['1:10 LT01', '3:7 LT04']);
  assert.equal(fixText('m.sql', text, config({})), 'select a,\r\n  b\r\nfrom t\r\n');
});

/** A small seeded PRNG, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

const PIECES = [
  'select',
  'SELECT',
  'From',
  'x',
  'a.b',
  ',',
  '(',
  ')',
  '*',
  "'it''s  \t'",
  '"Q  uoted"',
  '-- c  \t',
  '/* multi\n  line \t */',
  '{{ ref("m") }}',
  '{{x}}',
  '{%- if a -%}',
  '{% endif %}',
  '{# note\t #}',
  'Union',
  'all',
  'on',
  'join',
  '1.5e3',
  'where',
  '  ',
  '\t',
  '\n',
  ' \n',
  '\t\n',
  '\r\n',
  ' \r\n',
  '{{ "%}" }}',
  'left(',
  'count(*)',
];

test('--fix keeps meaning on 500 generated files: Jinja, strings, comments and non-keywords byte-identical', () => {
  const random = prng(7);
  const options = config({ keywordCase: 'upper' });
  for (let n = 0; n < 500; n++) {
    const parts = Array.from(
      { length: 5 + Math.floor(random() * 30) },
      () => PIECES[Math.floor(random() * PIECES.length)],
    );
    const text = parts.join(random() < 0.5 ? ' ' : '');
    const fixed = fixText('models/marts/m.sql', text, options);
    assert.deepEqual(jinjaTags(fixed), jinjaTags(text), text);
    // Oracle: drop whitespace, upper-case only the keyword words the pieces contain.
    const norm = (s: string) =>
      s
        .replace(/\b(select|from|union|all|on|join|where)\b(?!\.)/gi, (w) => w.toUpperCase())
        .replace(/\s+/g, '');
    assert.equal(norm(fixed), norm(text), text);
    assert.deepEqual(
      lintText('models/marts/m.sql', fixed, options).filter((f) => f.fixable),
      [],
      `fixed twice: ${text}`,
    );
  }
});
