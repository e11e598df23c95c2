import type { MacroRegistry } from '../jinja/macros.ts';

/**
 * The macros a piece of Jinja calls, as unique ids: `name(` resolved as a call from `packageName`
 * would be (its package, the root project, dbt's), `pkg.name(` in that package.
 */
export function macroCallsIn(code: string, registry: MacroRegistry, packageName: string): string[] {
  const ids = new Set<string>();
  for (const [, name] of code.matchAll(/\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*\(/g)) {
    const [first, second] = name!.split('.');
    const def = second ? registry.find(second, first) : registry.findFrom(first!, packageName);
    if (def) ids.add(`macro.${def.packageName}.${def.name}`);
  }
  return [...ids];
}
