import assert from 'node:assert/strict';
import { test } from 'node:test';
import { warnErrorPolicy } from '../../src/dbt/warn-error.ts';
import { DemaError } from '../../src/errors.ts';

// --warn-error-options as dbt-common's WarnErrorOptions validates it: a name that is no dbt event
// is an error ("… is not a valid dbt error name"), not a silently ignored guard; exclude (warn) only
// with include: all. dema cannot list every dbt event, so a name is refused when it is not a
// CamelCase event name or when it is a near miss of an event dema raises.

const policy = (options: string) => warnErrorPolicy({ warnErrorOptions: options }, {});
const usage = (options: string, message: RegExp) =>
  assert.throws(
    () => policy(options),
    (error: unknown) =>
      error instanceof DemaError &&
      error.code === 'USAGE' &&
      message.test(error.message + (error.hint ?? '')),
    options,
  );

test('--warn-error-options: a misspelt or lower-cased event name is a usage error naming the event', () => {
  usage(
    '{include: [nonodesforselectioncriteria]}',
    /nonodesforselectioncriteria.*not a dbt event[\s\S]*NoNodesForSelectionCriteria/,
  );
  usage(
    '{error: [NoNodesForSelectionCriterion]}',
    /NoNodesForSelectionCriterion[\s\S]*NoNodesForSelectionCriteria/,
  );
  usage('{include: all, exclude: [LogTestResults]}', /LogTestResults[\s\S]*LogTestResult/);
  usage('{include: all, silence: [no nodes]}', /'no nodes'/);
  usage('{error: [JinjaLogWarnings]}', /JinjaLogWarning/);
});

test('--warn-error-options: exclude (warn) only with include: all, as dbt', () => {
  usage('{include: [NoNodesForSelectionCriteria], exclude: [LogTestResult]}', /exclude.*only.*all/);
  usage('{error: [LogTestResult], warn: [JinjaLogWarning]}', /warn.*only.*all/);
});

test('--warn-error-options: valid settings decide each event as before', () => {
  const all = policy('{include: all, exclude: [LogTestResult], silence: [NoNodeForYamlKey]}');
  assert.equal(all.isError('NoNodesForSelectionCriteria'), true);
  assert.equal(all.isError('LogTestResult'), false);
  assert.equal(all.isSilenced('NoNodeForYamlKey'), true);
  assert.equal(all.isError('NoNodeForYamlKey'), false);
  // A dbt event dema never raises (dbt's Deprecations group, a deprecation event) is accepted.
  const some = policy('{error: [LogFreshnessResult, Deprecations, DeprecatedModel]}');
  assert.equal(some.isError('LogFreshnessResult'), true);
  assert.equal(some.isError('LogTestResult'), false);
  assert.equal(policy("{error: '*'}").isError('JinjaLogWarning'), true);
});
