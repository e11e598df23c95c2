import { DemaError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { createScope, newRenderState, type ProjectContext } from '../compile/context.ts';
import { compileTemplate, pyFunction, type Scope } from '../jinja/environment.ts';
import type { MacroDef } from '../jinja/macros.ts';
import { suggestion } from '../parser/names.ts';
import type { ParsedProject } from '../parser/parse-project.ts';
import { executeContext } from './runtime-context.ts';

/**
 * dbt's `run-operation`: one macro called with keyword arguments, at execute time, against the
 * warehouse. As dbt, no hooks run and no node is built; what the macro prints (print / log) is its
 * output, and its return value is handed back (dbt does not print it).
 */

export interface OperationRequest {
  /** `name` (searched root project → installed packages → dbt's own) or `package.name`. */
  readonly macro: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly invocationId: string;
  /** Where print() and log() go: they are the operation's output (codegen prints its YAML). */
  readonly log: ProjectContext['log'];
}

export function findOperationMacro(parsed: ParsedProject, name: string): MacroDef {
  const registry = parsed.context.registry;
  const dot = name.indexOf('.');
  const def =
    dot >= 0 ? registry.find(name.slice(dot + 1), name.slice(0, dot)) : registry.findByLocality(name);
  if (def) return def;
  const names = registry.definitions().map((candidate) => candidate.name);
  throw new DemaError('USAGE', `run-operation: no macro named "${name}" in the project or its packages.`, {
    hint: suggestion(
      dot >= 0 ? name.slice(dot + 1) : name,
      [...new Set(names)],
      'Run `dema deps` if the macro comes from a package, or give it as package.macro.',
    ),
  });
}

export async function runOperation(
  parsed: ParsedProject,
  warehouse: Warehouse,
  request: OperationRequest,
): Promise<unknown> {
  const def = findOperationMacro(parsed, request.macro);
  const context = await executeContext(parsed, warehouse, 'run-operation', request.invocationId, request.log);
  const schema = String(parsed.context.target.schema ?? '');
  const identity = {
    uniqueId: `operation.${parsed.project.name}.${def.name}`,
    name: def.name,
    resourceType: 'operation' as const,
    packageName: parsed.project.name,
    originalFilePath: def.path,
    schema,
    alias: def.name,
    config: {},
  };
  const inner = createScope(context, newRenderState(identity, true));
  let result: unknown = null;
  const locals: Record<string, unknown> = {
    __dema_macro: context.registry.bind(def),
    __dema_args: request.args,
    __dema_keep: pyFunction(([value]) => {
      result = value ?? null;
      return '';
    }),
  };
  const scope: Scope = {
    lenientUndefined: false,
    has: (name) => name in locals || inner.has(name),
    get: (name) => (name in locals ? locals[name] : inner.get(name)),
  };
  compileTemplate(
    '{% do __dema_keep(__dema_macro(**__dema_args)) %}',
    `run-operation ${request.macro}`,
  ).render(scope);
  return result;
}
