import type { Manifest } from '../manifest/types.ts';
import { unitTestUnsupported } from '../parser/unsupported.ts';

/**
 * dema does not run unit tests. dbt runs them in `build` and `test` only, each with its model
 * (selected indirectly, as data tests are), unless the user leaves them out with
 * `--exclude-resource-type unit_test` or an `--exclude` of `resource_type:unit_test` /
 * `test_type:unit`. So those commands refuse while one is selected — never a green build that dbt
 * would have failed — and every other command runs.
 */
export function refuseSelectedUnitTests(
  manifest: Manifest,
  command: string,
  chosen: ReadonlySet<string>,
  exclude: readonly string[],
  excludeResourceTypes: readonly string[],
): void {
  if (command !== 'build' && command !== 'test') return;
  if (excludeResourceTypes.includes('unit_test')) return;
  const specs = exclude.flatMap((spec) => spec.split(/\s+/));
  if (specs.includes('resource_type:unit_test') || specs.includes('test_type:unit')) return;
  const selected = (manifest.unitTests ?? []).find((unitTest) =>
    chosen.has(`model.${manifest.projectName}.${unitTest.model}`),
  );
  if (selected) throw unitTestUnsupported(selected);
}
