import { DemaError } from '../../errors.ts';
import type { TopLevelBlock } from './blocks.ts';
import { PY, type PyCallable } from './engine/runtime.ts';
import { exportMacro, pyFunction, raise } from './environment.ts';

/**
 * Project, dbt and dbt_utils macros, each compiled once on its own so that every call between macros
 * goes through name resolution (dbt's search order, dispatch) and `return()` unwinds exactly one call.
 */

export interface MacroDef {
  readonly name: string;
  readonly packageName: string;
  /** Path relative to the project (or `builtin://…` for dema's own macros). */
  readonly path: string;
  readonly line: number;
  readonly params: string;
  readonly body: string;
  readonly trimAfterOpen?: boolean;
  readonly trimBeforeClose?: boolean;
  readonly description?: string;
}

export type MacroFunction = (...args: unknown[]) => unknown;

export const BUILTIN_PACKAGE = 'dbt';
export const UTILS_PACKAGE = 'dbt_utils';
const ADAPTER_PREFIXES = ['clickhouse__', 'default__'];

export function macroDefsFromBlocks(
  blocks: readonly TopLevelBlock[],
  packageName: string,
  path: string,
): MacroDef[] {
  return blocks
    .filter((block) => block.kind === 'macro' || block.kind === 'test')
    .map((block) => ({
      name: block.kind === 'test' ? `test_${block.name}` : block.name,
      packageName,
      path,
      line: block.line,
      params: block.params,
      body: block.body,
      trimAfterOpen: block.trimAfterOpen,
      trimBeforeClose: block.trimBeforeClose,
    }));
}

export class MacroRegistry {
  private readonly byPackage = new Map<string, Map<string, MacroDef>>();
  private readonly bound = new Map<MacroDef, MacroFunction>();
  private readonly namespaces = new Map<string, Record<string, MacroFunction>>();

  constructor(
    defs: readonly MacroDef[],
    readonly rootPackage: string,
    private readonly dispatchOrder: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {
    for (const def of defs) {
      const table = this.byPackage.get(def.packageName) ?? new Map<string, MacroDef>();
      table.set(def.name, def);
      this.byPackage.set(def.packageName, table);
    }
  }

  get packages(): string[] {
    return [...this.byPackage.keys()];
  }

  definitions(): MacroDef[] {
    return [...this.byPackage.values()].flatMap((table) => [...table.values()]);
  }

  find(name: string, packageName?: string): MacroDef | undefined {
    if (packageName) return this.byPackage.get(packageName)?.get(name);
    return this.byPackage.get(this.rootPackage)?.get(name) ?? this.byPackage.get(BUILTIN_PACKAGE)?.get(name);
  }

  /**
   * A plain call `foo()` rendered for a node of `nodePackage`: that package's own macros first,
   * then the root project's, then dbt's built-ins (dbt-semantics.md §3.4).
   */
  findFrom(name: string, nodePackage?: string): MacroDef | undefined {
    if (nodePackage && nodePackage !== this.rootPackage) {
      const own = this.byPackage.get(nodePackage)?.get(name);
      if (own) return own;
    }
    return this.find(name);
  }

  /**
   * A macro named without a package where dbt searches everywhere (a generic test's `test_<name>`,
   * `dbt run-operation name`): ranked by locality — the root project, installed packages, dbt's own.
   */
  findByLocality(name: string): MacroDef | undefined {
    const own = this.byPackage.get(this.rootPackage)?.get(name);
    if (own) return own;
    for (const [packageName, table] of [...this.byPackage].sort(([a], [b]) => a.localeCompare(b)))
      if (packageName !== BUILTIN_PACKAGE && table.has(name)) return table.get(name);
    return this.byPackage.get(BUILTIN_PACKAGE)?.get(name);
  }

  /** A plain call `foo()`: the node's package (when given), the root project, then dbt's built-ins. */
  lookup(name: string, nodePackage?: string): MacroFunction | undefined {
    const def = this.findFrom(name, nodePackage);
    return def ? this.bind(def) : undefined;
  }

  /** `dbt_utils.foo()` / `dbt.foo()` / `<project>.foo()`. */
  namespace(packageName: string): Record<string, MacroFunction> | undefined {
    const table = this.byPackage.get(packageName);
    if (!table) return undefined;
    let namespace = this.namespaces.get(packageName);
    if (!namespace) {
      const created: Record<string, MacroFunction> = {};
      for (const def of table.values())
        Object.defineProperty(created, def.name, { get: () => this.bind(def), enumerable: true });
      namespace = created;
      this.namespaces.set(packageName, namespace);
    }
    return namespace;
  }

  /** adapter.dispatch(name, namespace): per package in search order, `clickhouse__name` then `default__name`. */
  dispatch(name: string, macroNamespace?: string): MacroFunction {
    if (name.includes('.'))
      raise(
        new DemaError('JINJA_RENDER', `adapter.dispatch('${name}'): the macro name may not contain a dot.`, {
          hint: "Pass the package as the second argument: adapter.dispatch('name', 'package').",
        }),
      );
    const configured = macroNamespace ? this.dispatchOrder.get(macroNamespace) : undefined;
    const search =
      configured ??
      (macroNamespace && this.byPackage.has(macroNamespace)
        ? [this.rootPackage, macroNamespace]
        : [this.rootPackage, BUILTIN_PACKAGE]);
    for (const packageName of search)
      for (const prefix of ADAPTER_PREFIXES) {
        const def = this.byPackage.get(packageName)?.get(`${prefix}${name}`);
        if (def) return this.bind(def);
      }
    return raise(
      new DemaError(
        'JINJA_RENDER',
        `adapter.dispatch: no implementation of "${name}" in ${search.join(', ')}.`,
        {
          hint: `Define a macro default__${name} (or clickhouse__${name}) in your project.`,
        },
      ),
    );
  }

  bind(def: MacroDef): MacroFunction {
    const existing = this.bound.get(def);
    if (existing) return existing;
    // The original whitespace control is kept: `{% macro m() -%}` must not emit its leading newline.
    // Compiled under dbt's `dbt_macro__` prefix, as dbt does: the body does not see itself under its
    // plain name (a call of that name resolves through the context, e.g. to a root override).
    const exported = `dbt_macro__${def.name}`;
    const source = `{% macro ${exported}(${def.params}) ${def.trimAfterOpen ? '-' : ''}%}${def.body}{%${def.trimBeforeClose ? '-' : ''} endmacro %}`;
    let raw: PyCallable | undefined;
    // Compiled on first call: most of dbt's and dbt_utils' macros are never called by a project.
    const call: MacroFunction = pyFunction((positional, kwargs) => {
      raw ??= (exportMacro(source, def.path, def.line - 1, exported) as unknown as { [PY]: PyCallable })[PY];
      return raw(positional, kwargs);
    });
    this.bound.set(def, call);
    return call;
  }
}
