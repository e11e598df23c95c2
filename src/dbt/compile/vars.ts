/**
 * `var()` as dbt resolves it for one node (dbt-core `ModelConfiguredVar` + `VarProvider.vars_for`,
 * dbt-semantics.md §1.3). Layers, lowest to highest:
 *   1. for a node of an installed package P: P's own dbt_project.yml `vars` (global keys), then its
 *      `vars: {P: …}`;
 *   2. the root project's `vars` (global keys), then its `vars: {<node's package>: …}`;
 *   3. `--vars`.
 * A root-project node sees only 2 and 3: a package's dbt_project.yml vars never leak into it.
 */

type Vars = Readonly<Record<string, unknown>>;

export interface VarSources {
  readonly rootPackage: string;
  readonly rootVars: Vars;
  /** Each installed package's own dbt_project.yml `vars:`. */
  readonly packageVars: ReadonlyMap<string, Vars>;
  readonly cliVars: Vars;
}

const scoped = (vars: Vars | undefined, packageName: string): Vars => {
  const value = vars?.[packageName];
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Vars) : {};
};

/** The layers a node of `packageName` reads, highest first. */
export function varLayers(sources: VarSources, packageName: string): Vars[] {
  const layers: Vars[] = [sources.cliVars, scoped(sources.rootVars, packageName), sources.rootVars];
  if (packageName !== sources.rootPackage) {
    const own = sources.packageVars.get(packageName);
    if (own) layers.push(scoped(own, packageName), own);
  }
  return layers;
}

/** The value of `var(name)` for a node of `packageName`, or undefined when no layer sets it. */
export function lookupVar(sources: VarSources, packageName: string, name: string): unknown {
  for (const layer of varLayers(sources, packageName)) if (Object.hasOwn(layer, name)) return layer[name];
  return undefined;
}
