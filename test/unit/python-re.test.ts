import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { pythonRe } from '../../src/dbt/compile/python-re.ts';

/** dbt's `modules.re` against python3's `re` (the oracle): the patterns packages write. */

const VERBOSE = `(?ix)
  # from or join, then spaces
  (from|join)\\s+
  # a ref call
  ({{\\s*ref\\s*\\(\\s*['"]?)
  ([^)'"]+)   # the name
  (['"]?\\s*)(\\)\\s*}})
`;
const SQL = 'select * from {{ ref(\'orders\') }} o\nJOIN {{ref("items")}} i on 1\nwith x as (select 1)';

const CASES: [string, unknown[]][] = [
  ['search', ['(?i)(?s)(^.*\\s*|\\s+|,)with\\s', SQL]],
  ['search', ['(?i)(?s)(^.*\\s*|\\s+|,)with\\s', 'select 1']],
  ['findall', [VERBOSE, SQL]],
  ['sub', [VERBOSE, '\\g<1> \\g<3>', SQL]],
  ['sub', ['(?i)(?s)(^.*\\s*|\\s+|,)with\\s', '\\g<1>,', SQL, 1]],
  ['findall', ['\\d+', 'a1b22c333']],
  ['findall', ['(a)(b)?', 'ab a']],
  ['findall', ['(\\w)=(\\d)', 'x=1, y=2']],
  ['sub', ['[ -]+', '_', 'My Model - name']],
  ['sub', ['^[0-9]', '_1', '1abc']],
  ['sub', ['(?P<w>\\w+)@', '\\g<w> at ', 'a@b c@d']],
  ['sub', ['a', 'b', 'aaaa', 2]],
  ['match', ['^(?!.*--)[-imsU]*(?<!-)$', 'im-s']],
  ['match', ['^(?!.*--)[-imsU]*(?<!-)$', 'i--m']],
  ['match', ['b', 'ab']],
  ['fullmatch', ['a|ab', 'ab']],
  ['split', ['[,;]\\s*', 'a, b;c']],
  ['split', ['(,)', 'a,b,c', 1]],
  ['escape', ['a.b*c']],
  ['search', ['\\AAB\\Z', 'ab', 2]],
];

/** A match object compared by its groups and span; tuples and lists both as JSON arrays. */
const PYTHON = `
import json, re, sys
out = []
for name, args in json.loads(sys.stdin.read()):
    try:
        v = getattr(re, name)(*args)
        if hasattr(v, 'group'): v = {'groups': [v.group(0), *v.groups()], 'span': list(v.span())}
        out.append(v)
    except Exception as e:
        out.append('error')
print(json.dumps(out))
`;

test("modules.re gives python3's re results on the patterns dbt packages use", () => {
  const expected = JSON.parse(
    execFileSync('python3', ['-c', PYTHON], { input: JSON.stringify(CASES), encoding: 'utf8' }),
  ) as unknown[];
  const re = pythonRe() as unknown as Record<string, (...args: unknown[]) => unknown>;
  CASES.forEach(([name, args], index) => {
    let value: unknown = re[name]!(...args);
    if (Array.isArray(value) && typeof (value as { group?: unknown }).group === 'function') {
      const m = value as unknown as {
        group: (n: number) => unknown;
        groups: () => unknown[];
        span: () => unknown[];
      };
      value = { groups: [m.group(0), ...m.groups()], span: [...m.span()] };
    }
    assert.deepEqual(JSON.parse(JSON.stringify(value)), expected[index], `${name}(${JSON.stringify(args)})`);
  });
});

test('keyword arguments bind to their Python positions (count=, flags=)', () => {
  const re = pythonRe() as unknown as Record<string, (...args: unknown[]) => unknown> & { I: number };
  assert.equal(re.sub!('a', 'b', 'aAa', { __keywords: true, count: 2, flags: re.I }), 'bba');
});
