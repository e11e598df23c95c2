import { PY, withScope } from '../jinja/engine/runtime.ts';
import type { Scope } from '../jinja/environment.ts';

/**
 * A unit test's `overrides: macros:` (dbt-semantics.md §2.7), as dbt-core's
 * generate_runtime_unit_test_context applies them to the context the model renders with:
 * - `name`: replaces the context name when the context has one (a macro, or a value such as
 *   `invocation_id`), and dbt's own `dbt.name` too when dbt defines it;
 * - `pkg.name`: replaces `name` in that package's namespace when it has it; for `dbt.name` the
 *   plain `name` too. A plain override wins over one propagated from `dbt.name`.
 * A callable becomes a callable that returns the value whatever its arguments (dbt's
 * UnitTestMacroGenerator); any other value is replaced by the value itself. Names the context does
 * not have are ignored, as dbt ignores them.
 * dbt's docs: the overrides apply only to what the model references directly, not inside a macro it
 * calls. dema's macros resolve names through the current scope, so each function the model takes
 * from this scope runs with the scope without overrides (`outside`).
 */

/** `fn` called (plainly or by the engine's `[PY]` convention) with `base` as the current scope. */
function outside<T extends object>(fn: T, base: Scope): T {
  return new Proxy(fn, {
    apply: (target, self, args) =>
      withScope(base, () => Reflect.apply(target as (...a: unknown[]) => unknown, self, args)),
    get: (target, key) => {
      const value: unknown = Reflect.get(target, key);
      if (key !== PY || typeof value !== 'function') return value;
      return (positional: unknown, kwargs: unknown) =>
        withScope(base, () => (value as (p: unknown, k: unknown) => unknown)(positional, kwargs));
    },
  });
}

/** A package namespace (`dbt_utils`, `dbt`, the project's) whose macros run `outside`. */
function namespaceOutside(namespace: object, base: Scope): object {
  return new Proxy(namespace, {
    get: (target, key) => {
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? outside(value, base) : value;
    },
  });
}

const DBT = 'dbt';

export function withMacroOverrides(
  base: Scope,
  macros: Readonly<Record<string, unknown>>,
  /** Whether a name is a package's macro namespace (not a context object such as `this`). */
  isNamespace: (name: string) => boolean,
): Scope {
  const plain = new Map<string, unknown>();
  const packages = new Map<string, Map<string, unknown>>();
  const setIn = (pkg: string, name: string, value: unknown) => {
    const table = packages.get(pkg) ?? new Map<string, unknown>();
    table.set(name, value);
    packages.set(pkg, table);
  };
  // A package namespace, or a plain dict of the context (dbt would set `target.name` too).
  const overridable = (name: string, value: unknown) =>
    !!value &&
    typeof value === 'object' &&
    (isNamespace(name) || [Object.prototype, null].includes(Object.getPrototypeOf(value)));
  const member = (pkg: string, name: string): { found: boolean; value?: unknown } => {
    if (!base.has(pkg)) return { found: false };
    const namespace = base.get(pkg);
    if (!overridable(pkg, namespace) || !(name in (namespace as object))) return { found: false };
    return { found: true, value: (namespace as Record<string, unknown>)[name] };
  };
  const standIn = (original: unknown, value: unknown) =>
    typeof original === 'function' ? () => value : value;

  const globals: [string, unknown][] = [];
  for (const [key, value] of Object.entries(macros)) {
    const parts = key.split('.');
    const pkg = parts.length === 2 ? parts[0]! : undefined;
    const name = parts.at(-1)!;
    if (pkg === undefined) {
      if (base.has(name)) globals.push([name, standIn(base.get(name), value)]);
      continue;
    }
    const found = member(pkg, name);
    if (!found.found) continue;
    const replacement = standIn(found.value, value);
    setIn(pkg, name, replacement);
    if (pkg === DBT) plain.set(name, replacement);
  }
  for (const [name, replacement] of globals) {
    plain.set(name, replacement);
    if (member(DBT, name).found) setIn(DBT, name, replacement);
  }

  return {
    ...(base.lenientUndefined !== undefined ? { lenientUndefined: base.lenientUndefined } : {}),
    has: (name) => base.has(name),
    get: (name) => {
      if (plain.has(name)) return plain.get(name);
      const value = base.get(name);
      if (typeof value === 'function') return outside(value, base);
      if (!overridable(name, value)) return value;
      const table = packages.get(name);
      if (!table) return isNamespace(name) ? namespaceOutside(value as object, base) : value;
      // A copy of the package's namespace (its members stay lazy getters) with the overrides in.
      const descriptors = Object.getOwnPropertyDescriptors(value);
      for (const [member, replacement] of table)
        descriptors[member] = { value: replacement, enumerable: true, configurable: true, writable: true };
      const namespace = Object.defineProperties({}, descriptors) as object;
      return namespaceOutside(namespace, base);
    },
  };
}
