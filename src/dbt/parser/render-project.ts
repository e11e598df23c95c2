import { DemaError } from '../../errors.ts';
import { compileTemplate, raise, type Scope } from '../jinja/environment.ts';
import type { NodeConfig } from '../project/config-tree.ts';
import type { DbtProjectFile } from '../project/project-file.ts';
import type { NodePatch, PropertyFiles } from './schema-yaml.ts';

/**
 * dbt renders dbt_project.yml when it loads it (dbt-core `DbtProjectYamlRenderer`): every string of
 * the config trees is rendered natively (`"{{ var('x', false) }}"` is the boolean false) with `var`
 * (the CLI --vars only: the file's own `vars:` are not yet known), `env_var` and `target`. Hooks are
 * left for later: `pre-hook`/`post-hook` are rendered per node at run time, and `vars` when used.
 */

const LATE_KEYS = new Set(['pre-hook', 'post-hook', 'pre_hook', 'post_hook']);

export interface ProjectRenderInput {
  readonly target: Readonly<Record<string, unknown>>;
  readonly cliVars: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * A config value with every string rendered natively, hooks left for run time. `file` names the
 * file in errors. Also used for the `config:` of schema YAML entries, which dbt renders the same way.
 */
export function renderConfigValue(value: unknown, path: string[], scope: Scope, file: string): unknown {
  if (typeof value === 'string')
    return value.includes('{{') || value.includes('{%') ? renderNative(value, path, scope, file) : value;
  if (Array.isArray(value))
    return value.map((item, i) => renderConfigValue(item, [...path, String(i)], scope, file));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) =>
        LATE_KEYS.has(key.replace(/^\+/, ''))
          ? [key, item]
          : [key, renderConfigValue(item, [...path, key], scope, file)],
      ),
    );
  return value;
}

/** `file`: how messages name the file (a package's: `dbt_packages/p/dbt_project.yml`). */
export function renderProjectTrees(
  project: DbtProjectFile,
  input: ProjectRenderInput,
  file = 'dbt_project.yml',
): DbtProjectFile {
  const scope = projectScope(input, file);
  const walk = (value: unknown, path: string[]) => renderConfigValue(value, path, scope, file);
  const trees = project.trees;
  return {
    ...project,
    trees: {
      models: walk(trees.models, ['models']) as Record<string, unknown>,
      seeds: walk(trees.seeds, ['seeds']) as Record<string, unknown>,
      snapshots: walk(trees.snapshots, ['snapshots']) as Record<string, unknown>,
      sources: walk(trees.sources, ['sources']) as Record<string, unknown>,
      tests: walk(trees.tests, ['data_tests']) as Record<string, unknown>,
      analyses: walk(trees.analyses, ['analyses']) as Record<string, unknown>,
    },
  };
}

function projectScope(input: ProjectRenderInput, file: string): Scope {
  const names: Record<string, unknown> = {
    target: input.target,
    var: (name: string, fallback?: unknown) => {
      if (Object.hasOwn(input.cliVars, name)) return input.cliVars[name];
      if (fallback !== undefined) return fallback;
      return raise(
        new DemaError('PARSE_PROJECT', `${file}: var('${name}') is not set and has no default.`, {
          hint: `Pass it with --vars '{${name}: …}' or give a default: var('${name}', …). The file's own vars: are not visible in dbt_project.yml.`,
        }),
      );
    },
    env_var: (name: string, fallback?: unknown) => {
      const value = input.env[name];
      if (value !== undefined) return value;
      if (fallback !== undefined) return String(fallback);
      return raise(
        new DemaError('PARSE_PROJECT', `${file}: env_var('${name}') is not set and has no default.`, {
          hint: `Set ${name} in the environment, or give a default.`,
        }),
      );
    },
  };
  return { has: (name) => name in names, get: (name) => names[name] };
}

/** One `{{ expression }}` keeps its native value; any other template renders to text, then literal-evaluated. */
function renderNative(text: string, path: string[], scope: Scope, file: string): unknown {
  const where = `${file}: ${path.join('.')}`;
  let captured: unknown;
  let single = false;
  const names: Record<string, unknown> = {
    __dema_capture: (value: unknown) => {
      captured = value;
      single = true;
      return '';
    },
  };
  const withCapture: Scope = {
    has: (name) => name in names || scope.has(name),
    get: (name) => (name in names ? names[name] : scope.get(name)),
  };
  const expression = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(text)?.[1];
  const source =
    expression !== undefined && !expression.includes('}}') ? `{{ __dema_capture(${expression}) }}` : text;
  let rendered: string;
  try {
    rendered = compileTemplate(source, file).render(withCapture);
  } catch (error) {
    if (error instanceof DemaError && error.message.startsWith(`${file}: `)) throw error;
    // A Jinja error's line is within the value: name the key instead.
    throw new DemaError(
      file.endsWith('dbt_project.yml') ? 'PARSE_PROJECT' : 'PARSE_YAML',
      `${where}: ${(error as Error).message}`,
      {
        hint: 'Check the Jinja expression; dbt_project.yml sees var() (from --vars only), env_var() and target.',
      },
    );
  }
  return single ? captured : literal(rendered);
}

function literal(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === 'True') return true;
  if (trimmed === 'False') return false;
  if (trimmed === 'None') return null;
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  return text;
}

/** Schema YAML `config:` blocks of models and seeds, rendered as dbt does at parse time. */
export function renderPatchConfigs(
  properties: PropertyFiles,
  scopeFor: (patch: NodePatch) => Scope,
): PropertyFiles {
  const render = (patches: Map<string, NodePatch>) =>
    new Map(
      [...patches].map(([name, patch]) => {
        const text = JSON.stringify(patch.config);
        if (!text.includes('{{') && !text.includes('{%')) return [name, patch];
        const config = renderConfigValue(patch.config, [name, 'config'], scopeFor(patch), patch.file);
        return [name, { ...patch, config: config as NodeConfig }];
      }),
    );
  return { ...properties, models: render(properties.models), seeds: render(properties.seeds) };
}
