import type { Manifest } from '../manifest/types.ts';
import { snapshotUnsupported, unitTestUnsupported } from '../parser/unsupported.ts';

/**
 * dema runs neither unit tests nor snapshots. dbt runs unit tests in `build` and `test` only, each
 * with its model (selected indirectly, as data tests are), and snapshots in `build` (and
 * `snapshot`); `--exclude-resource-type unit_test|snapshot` or an `--exclude` of
 * `resource_type:…` (`test_type:unit`) leaves them out. So those commands refuse while one is
 * selected — never a green build that dbt would have failed — and every other command runs.
 */
export function refuseUnsupportedSelected(
  manifest: Manifest,
  command: string,
  chosen: ReadonlySet<string>,
  selection: { readonly select: readonly string[]; readonly exclude: readonly string[] },
  excludeResourceTypes: readonly string[],
): void {
  const tokens = (specs: readonly string[]) => specs.flatMap((spec) => spec.split(/[\s,]+/));
  const excluded = tokens(selection.exclude);
  const left = (type: string) =>
    excludeResourceTypes.includes(type) || excluded.includes(`resource_type:${type}`);
  if (
    (command === 'build' || command === 'test') &&
    !left('unit_test') &&
    !excluded.includes('test_type:unit')
  ) {
    const selected = (manifest.unitTests ?? []).find((unitTest) =>
      chosen.has(`model.${manifest.projectName}.${unitTest.model}`),
    );
    if (selected) throw unitTestUnsupported(selected);
  }
  if (command === 'build' && !left('snapshot')) {
    // Snapshots are no graph nodes here: selected by everything, by name, or by resource type.
    const names = new Set(tokens(selection.select).map((token) => token.replace(/^@|^\d*\+|\+\d*$/g, '')));
    const selected = (manifest.snapshots ?? []).find(
      (snapshot) =>
        selection.select.length === 0 ||
        names.has(snapshot.name) ||
        names.has(`fqn:${snapshot.name}`) ||
        names.has('resource_type:snapshot'),
    );
    if (selected) throw snapshotUnsupported(selected);
  }
}
