import type { Manifest, UnitTestRef } from '../manifest/types.ts';
import { checkUnitTestSupported, unitTestEnabled } from './unit-test.ts';

/**
 * The unit tests a command runs, and the refusal of what dema does not run. dbt runs unit tests in
 * `build` and `test` only: each with its model (selected indirectly, as data tests are), or by its
 * name, `test_type:unit`, `resource_type:unit_test` or a tag of its config; `--exclude-resource-type
 * unit_test` or an `--exclude` of `resource_type:unit_test` / `test_type:unit` / its name leaves it
 * out. A selected unit test dema cannot run refuses the command (DBT_UNSUPPORTED, file:line) rather
 * than passing in silence.
 */
const tokens = (specs: readonly string[]) => specs.flatMap((spec) => spec.split(/[\s,]+/));

/** The enabled unit tests a selection takes: through their model, by name or tag, or by type. */
export function selectUnitTests(
  manifest: Manifest,
  chosen: ReadonlySet<string>,
  selection: {
    readonly select: readonly string[];
    readonly exclude: readonly string[];
    /** `empty`: a unit test is not taken through its model, only by name, tag or type. */
    readonly indirectSelection?: string;
  },
): UnitTestRef[] {
  const throughModel = selection.indirectSelection !== 'empty';
  const selects = tokens(selection.select);
  const excluded = tokens(selection.exclude);
  const named = (unitTest: UnitTestRef, specs: readonly string[]) => {
    const tags = [(unitTest.spec?.config as { tags?: unknown } | undefined)?.tags ?? []].flat();
    return specs.some(
      (spec) =>
        spec === unitTest.name ||
        spec === unitTest.uniqueId ||
        tags.some((tag) => spec === `tag:${String(tag)}`),
    );
  };
  return (manifest.unitTests ?? []).filter(
    (unitTest) =>
      unitTestEnabled(unitTest) &&
      ((throughModel &&
        chosen.has(`model.${unitTest.packageName ?? manifest.projectName}.${unitTest.model}`)) ||
        named(unitTest, selects) ||
        selects.includes('test_type:unit') ||
        selects.includes('resource_type:unit_test')) &&
      !named(unitTest, excluded),
  );
}

export function refuseUnsupportedSelected(
  manifest: Manifest,
  command: string,
  chosen: ReadonlySet<string>,
  selection: {
    readonly select: readonly string[];
    readonly exclude: readonly string[];
    readonly indirectSelection?: string;
  },
  excludeResourceTypes: readonly string[],
): UnitTestRef[] {
  const excluded = tokens(selection.exclude);
  const left = (type: string) =>
    excludeResourceTypes.includes(type) || excluded.includes(`resource_type:${type}`);
  let unitTests: UnitTestRef[] = [];
  if (
    (command === 'build' || command === 'test') &&
    !left('unit_test') &&
    !excluded.includes('test_type:unit')
  ) {
    unitTests = selectUnitTests(manifest, chosen, selection);
    for (const unitTest of unitTests) checkUnitTestSupported(unitTest);
  }
  return unitTests;
}
