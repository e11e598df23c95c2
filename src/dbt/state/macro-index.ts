import type { MacroRegistry } from '../jinja/macros.ts';
import { macroCallsIn } from '../parser/macro-calls.ts';
import { type MacroIndex, macroBody } from './compare.ts';

/** Every macro's code and calls. dema's own built-ins (`builtin://`) are not the project's code: never "modified". */
export function macroIndex(registry: MacroRegistry): MacroIndex {
  const code = new Map<string, string>();
  const calls = new Map<string, string[]>();
  for (const def of registry.definitions()) {
    const id = `macro.${def.packageName}.${def.name}`;
    calls.set(id, macroCallsIn(def.body, registry, def.packageName));
    if (!def.path.startsWith('builtin://')) code.set(id, macroBody(def.body));
  }
  return { code, calls };
}
