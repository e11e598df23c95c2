import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { commandLine } from '../../src/warehouse/embedded/store-lock.ts';
import { hostIsLoopback, isLoopback, presentedToken, tokenMatches } from '../../src/web/auth.ts';
import { checkReadOnly, settingChange, statementFormat, withoutFormat } from '../../src/web/readonly.ts';

const READING = [
  'SELECT 1',
  '  \n select 1;',
  'SELECT 1 ;  ',
  'WITH 1 AS x SELECT x',
  '(SELECT 1) UNION ALL (SELECT 2)',
  'SHOW TABLES',
  'SHOW CREATE TABLE mart_finance__orders_per_month',
  'DESCRIBE TABLE orders',
  'DESC orders',
  'EXISTS TABLE orders',
  'EXPLAIN SELECT 1',
  'EXPLAIN SYNTAX SELECT 1',
  'EXPLAIN PLAN header = 1 SELECT 1',
  "SELECT ';' AS semicolon, 'INSERT INTO t' AS text, 'INTO OUTFILE' AS o",
  "SELECT 'it''s; fine'",
  "SELECT 'back\\'slash; still a string'",
  'SELECT `weird;name` FROM t',
  '-- a comment; with DROP TABLE t\nSELECT 1',
  '/* DROP TABLE t; */ SELECT 1',
  'SELECT 1 FORMAT JSON',
  'SELECT 1 # a comment; DROP TABLE t\n',
  'SELECT 1 /* nested /* comment; */ DROP TABLE t */',
];

const REFUSED = [
  'INSERT INTO t VALUES (1)',
  'insert into t select 1',
  'CREATE TABLE t (x Int8) ENGINE = Memory',
  'DROP TABLE t',
  'ALTER TABLE t DELETE WHERE 1',
  'DELETE FROM t WHERE 1',
  'TRUNCATE TABLE t',
  'RENAME TABLE a TO b',
  'OPTIMIZE TABLE t FINAL',
  'ATTACH TABLE t',
  'DETACH TABLE t',
  'SYSTEM STOP MERGES',
  'SET readonly = 0',
  'USE system',
  'KILL QUERY WHERE 1',
  'GRANT ALL ON *.* TO x',
  "BACKUP DATABASE dema TO Disk('d', 'x')",
  'SELECT 1; DROP TABLE t',
  'SELECT 1;DROP TABLE t;',
  "SELECT 1 INTO OUTFILE '/tmp/x'",
  "select 1 into\n  outfile '/tmp/x' format CSV",
  'EXPLAIN INSERT INTO t SELECT 1',
  'EXPLAIN AST DROP TABLE t',
  '/* SELECT */ DROP TABLE t',
  '-- SELECT\nDROP TABLE t',
  "SELECT 'unterminated",
  'SELECT 1 /* unterminated',
  '# SELECT\nDROP TABLE t',
  // Lexer disagreements that would hide a write if the check read comments or strings differently.
  "SELECT 1 /* /* */ '  */ INTO OUTFILE '/tmp/x' --'",
  "SELECT $$'$$ INTO OUTFILE '/tmp/x' --'",
  "SELECT 1 # '\n INTO OUTFILE '/tmp/x' --'",
  "SELECT 1 #!'\n; DROP TABLE t --'",
  'SELECT $$a;b$$',
  '',
  '   ',
];

test('the statement check lets through exactly one reading statement', () => {
  for (const sql of READING) assert.deepEqual(checkReadOnly(sql), { ok: true }, sql);
  for (const sql of REFUSED) assert.equal(checkReadOnly(sql).ok, false, sql);
});

test('the FORMAT a statement names is found outside strings and comments only', () => {
  assert.equal(statementFormat('SELECT 1 FORMAT JSONEachRow'), 'JSONEachRow');
  assert.equal(statementFormat('select 1 format CSV;\n'), 'CSV');
  assert.equal(statementFormat("SELECT 'x FORMAT JSON'"), undefined);
  assert.equal(statementFormat('SELECT 1 -- FORMAT JSON'), undefined);
  assert.equal(statementFormat('SELECT 1'), undefined);
  assert.equal(withoutFormat('SELECT 1 FORMAT JSON;\n'), 'SELECT 1 ');
  assert.equal(withoutFormat("SELECT 'FORMAT JSON'"), "SELECT 'FORMAT JSON'");
  assert.equal(withoutFormat('SELECT 1 FORMAT JSON -- note'), 'SELECT 1 FORMAT JSON -- note');
});

test('URL parameters: transport ones pass, anything else would change a setting', () => {
  assert.equal(
    settingChange(new URLSearchParams('query=x&database=d&default_format=JSON&query_id=1')),
    undefined,
  );
  assert.equal(settingChange(new URLSearchParams('enable_http_compression=1&token=t&password=p')), undefined);
  assert.equal(settingChange(new URLSearchParams('query=x&readonly=0')), 'readonly');
  assert.equal(settingChange(new URLSearchParams('max_threads=1')), 'max_threads');
  assert.equal(settingChange(new URLSearchParams('param_x=1')), 'param_x');
});

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

test('the token is read from Bearer, basic auth, X-ClickHouse-Key, ?token= or ?password=, and compared exactly', () => {
  const url = new URL('http://h/');
  assert.equal(presentedToken(request({ authorization: 'Bearer abc' }), url), 'abc');
  const basic = Buffer.from('default:abc:def').toString('base64');
  assert.equal(presentedToken(request({ authorization: `Basic ${basic}` }), url), 'abc:def');
  const empty = Buffer.from('default:').toString('base64');
  assert.equal(presentedToken(request({ authorization: `Basic ${empty}` }), url), undefined);
  assert.equal(presentedToken(request({ 'x-clickhouse-key': 'k' }), url), 'k');
  assert.equal(presentedToken(request({}), new URL('http://h/?token=t')), 't');
  assert.equal(presentedToken(request({}), new URL('http://h/?password=p')), 'p');
  assert.equal(presentedToken(request({}), url), undefined);
  assert.equal(tokenMatches('secret', 'secret'), true);
  assert.equal(tokenMatches('', ''), false, 'an empty token never matches (`?token=` would present it)');
  for (const wrong of [undefined, '', 'secre', 'secret ', 'Secret', 'secretsecret'])
    assert.equal(tokenMatches('secret', wrong), false, String(wrong));
});

test('loopback is 127.0.0.0/8, ::1 and localhost; everything else needs a token', () => {
  for (const host of ['127.0.0.1', '127.0.0.2', '127.255.0.1', '::1', '[::1]', 'localhost'])
    assert.equal(isLoopback(host), true, host);
  for (const host of [
    '0.0.0.0',
    '::',
    '192.168.1.2',
    '10.0.0.1',
    '128.0.0.1',
    'example.com',
    '127.0.0.1.evil.com',
  ])
    assert.equal(isLoopback(host), false, host);
});

test('the lock records `dema serve …` with the token masked', () => {
  const node = '/usr/bin/node';
  assert.equal(
    commandLine([node, '/x/bin/dema.js', 'serve', '--token', 'abc', '--port', '0']),
    'dema serve --token *** --port 0',
  );
  assert.equal(commandLine([node, '/x/bin/dema.js', 'serve', '--token=abc']), 'dema serve --token=***');
  assert.equal(commandLine([node, '/x/t.test.ts']), '/x/t.test.ts');
});

test('without a token, only a loopback Host header is served (DNS rebinding)', () => {
  for (const host of [
    undefined,
    'localhost',
    'localhost:8080',
    '127.0.0.1:8080',
    '127.0.0.2',
    '[::1]:8080',
    'LOCALHOST:1',
  ])
    assert.equal(hostIsLoopback(host), true, String(host));
  for (const host of [
    'evil.example:8080',
    'evil.example',
    '127.0.0.1.evil.example:8080',
    '',
    '[::2]:80',
    '0.0.0.0:8080',
    'localhost.evil.example',
  ])
    assert.equal(hostIsLoopback(host), false, host);
});
