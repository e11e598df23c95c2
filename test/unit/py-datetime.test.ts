import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { pyDate } from '../../src/dbt/compile/modules.ts';
import { datetimeModule } from '../../src/dbt/compile/py-datetime.ts';
import { compileTemplate, type Scope } from '../../src/dbt/jinja/environment.ts';

/**
 * `modules.datetime` against Python's own datetime module under jinja2 (the oracle): every template
 * renders the same text, or both fail. Fixed dates only (now() differs by construction).
 */

const D = 'modules.datetime';
const TEMPLATES = [
  `{{ ${D}.date(2024, 1, 31) }}`,
  `{{ ${D}.date(2024, 2, 29).isoformat() }} {{ ${D}.date(year=2023, month=12, day=1) }}`,
  `{{ ${D}.date(2024, 1, 31) + ${D}.timedelta(days=1) }}`,
  `{{ ${D}.date(2024, 3, 1) - ${D}.timedelta(days=1) }}`,
  `{{ (${D}.date(2024, 3, 1) - ${D}.date(2023, 3, 1)).days }}`,
  `{{ ${D}.date(2024, 3, 1) - ${D}.date(2024, 3, 9) }}`,
  `{{ ${D}.date(2024, 1, 1).weekday() }} {{ ${D}.date(2024, 1, 7).isoweekday() }}`,
  `{{ ${D}.date(2024, 12, 31).strftime('%Y/%m/%d %j %a %A %b %B %w %y') }}`,
  `{{ ${D}.date(2024, 1, 31).replace(day=1) }} {{ ${D}.date(2024, 5, 15).replace(month=2, day=29) }}`,
  `{{ ${D}.date(2024, 1, 1) < ${D}.date(2024, 1, 2) }} {{ ${D}.date(2024, 1, 1) == ${D}.date(2024, 1, 1) }}`,
  `{{ ${D}.date(2024, 1, 1) >= ${D}.date(2024, 1, 2) }} {{ ${D}.date(2024, 1, 1) != ${D}.date(2024, 1, 2) }}`,
  `{{ ${D}.datetime(2024, 1, 31, 23, 30) }}`,
  `{{ ${D}.datetime(2024, 1, 31, 23, 30, 5, 120) }} {{ ${D}.datetime(2024, 1, 31, 23, 30, 5, 120).isoformat() }}`,
  `{{ ${D}.datetime(2024, 1, 31, 23, 30) + ${D}.timedelta(hours=1, minutes=45) }}`,
  `{{ (${D}.datetime(2024, 3, 1) - ${D}.timedelta(days=1)).strftime('%Y-%m-%d %H:%M:%S %I%p') }}`,
  `{{ ${D}.datetime(2024, 3, 1, 12) - ${D}.datetime(2024, 2, 27, 18, 30) }}`,
  `{{ (${D}.datetime(2024, 3, 1, 12) - ${D}.datetime(2024, 2, 27, 18, 30)).total_seconds() }}`,
  `{{ ${D}.datetime(2024, 3, 1, 12).date() }} {{ ${D}.datetime(2024, 3, 1, 12).hour }}:{{ ${D}.datetime(2024, 3, 1, 12, 7).minute }}`,
  `{{ ${D}.datetime(2024, 3, 1, 12).replace(hour=0, day=2) }}`,
  `{{ ${D}.datetime.strptime('2024-02-03 04:05:06', '%Y-%m-%d %H:%M:%S') }}`,
  `{{ ${D}.datetime.strptime('03/02/24', '%d/%m/%y').strftime('%Y-%m-%d') }}`,
  `{{ ${D}.datetime.fromisoformat('2024-02-03T04:05:06') }} {{ ${D}.date.fromisoformat('2024-02-03') }}`,
  `{{ ${D}.timedelta(days=1) }} {{ ${D}.timedelta(hours=36) }} {{ ${D}.timedelta(seconds=-1) }}`,
  `{{ ${D}.timedelta(weeks=1, days=-2, milliseconds=5) }} {{ ${D}.timedelta(0) }} {{ ${D}.timedelta(3) * 2 }}`,
  `{{ ${D}.timedelta(days=-3).days }} {{ ${D}.timedelta(hours=-1).seconds }} {{ ${D}.timedelta(days=2) > ${D}.timedelta(hours=47) }}`,
  `{% set start = ${D}.date(2024, 1, 30) %}{% for i in range(3) %}{{ start + ${D}.timedelta(days=i) }},{% endfor %}`,
  `{{ ${D}.date(2024, 2, 30) }}`,
  `{{ ${D}.date(2024, 1, 1) + 1 }}`,
  `{{ ${D}.date(2024, 1, 1) < '2024-01-02' }}`,
  `{{ ${D}.datetime.strptime('2024-13-01', '%Y-%m-%d') }}`,
];

const ORACLE = `
import datetime, json, sys, jinja2
env = jinja2.Environment(extensions=['jinja2.ext.do'])
out = []
for template in json.load(sys.stdin):
    try:
        out.append({'ok': True, 'output': env.from_string(template).render(modules={'datetime': datetime})})
    except Exception as error:
        out.append({'ok': False, 'error': type(error).__name__})
print(json.dumps(out))
`;

type Result = { ok: true; output: string } | { ok: false; error: string };

function dema(template: string): Result {
  const context: Record<string, unknown> = { modules: { datetime: datetimeModule() } };
  const scope: Scope = { has: (name) => Object.hasOwn(context, name), get: (name) => context[name] };
  try {
    return { ok: true, output: compileTemplate(template, 'case.sql').render(scope) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

test('modules.datetime renders as Python datetime does under jinja2 (or both fail)', () => {
  const run = spawnSync('python3', ['-c', ORACLE], { input: JSON.stringify(TEMPLATES), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const expected = JSON.parse(run.stdout) as Result[];
  const differences = TEMPLATES.flatMap((template, i) => {
    const want = expected[i]!;
    const got = dema(template);
    const same = want.ok ? got.ok && got.output === want.output : !got.ok;
    return same ? [] : [`${template}\n  python: ${JSON.stringify(want)}\n  dema:   ${JSON.stringify(got)}`];
  });
  assert.deepEqual(differences, []);
});

test("run_started_at is UTC-aware as dbt's: str with +00:00, arithmetic keeps it aware", () => {
  const context: Record<string, unknown> = {
    run_started_at: pyDate(new Date('2024-05-06T07:08:09.123Z')),
    modules: { datetime: datetimeModule() },
  };
  const scope: Scope = { has: (name) => Object.hasOwn(context, name), get: (name) => context[name] };
  const render = (text: string) => compileTemplate(text, 'r.sql').render(scope);
  assert.equal(render('{{ run_started_at }}'), '2024-05-06 07:08:09.123000+00:00');
  assert.equal(render('{{ run_started_at.isoformat() }}'), '2024-05-06T07:08:09.123000+00:00');
  assert.equal(
    render("{{ (run_started_at - modules.datetime.timedelta(days=7)).strftime('%Y-%m-%d %z') }}"),
    '2024-04-29 +0000',
  );
  assert.throws(() => render('{{ run_started_at < modules.datetime.datetime(2024, 1, 1) }}'));
});
