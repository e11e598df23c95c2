import { randomUUID } from 'node:crypto';
import { DemaError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import {
  type CompiledTemplate,
  compileTemplate,
  currentScope,
  ReturnSignal,
  raise,
  type Scope,
  splitArgs,
} from '../jinja/environment.ts';
import type { MacroRegistry } from '../jinja/macros.ts';
import { str } from '../jinja/py/values.ts';
import { LimitedRelation, Relation } from '../jinja/relation.ts';
import type { DbtNode, RefCall } from '../manifest/types.ts';
import { mergeConfig, type NodeConfig } from '../project/config-tree.ts';
import type { DbtProjectFile } from '../project/project-file.ts';
import { type Deferral, deferredRelation } from '../state/defer.ts';
import { AgateTable, agateTable } from './agate.ts';
import { projectGlobals } from './context-globals.ts';
import { queryTable } from './query-table.ts';
import type { RelationCache } from './relation-cache.ts';
import { withMacroOverrides } from './unit-overrides.ts';
import { lookupVar } from './vars.ts';

/**
 * dbt's Jinja context for one node (dbt-semantics.md §3.2–3.3). Rendered twice: at parse time
 * (`execute` false) `ref`/`source`/`config` only record, and at run time they resolve.
 */

export interface ProjectContext {
  readonly project: DbtProjectFile;
  readonly registry: MacroRegistry;
  readonly target: Readonly<Record<string, unknown>>;
  readonly cliVars: Readonly<Record<string, unknown>>;
  /** Each installed package's own dbt_project.yml `vars:` (read for that package's nodes only). */
  readonly packageVars?: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  readonly invocationId: string;
  readonly runStartedAt: Date;
  readonly flags: Readonly<{
    FULL_REFRESH: boolean;
    WHICH: string;
    STORE_FAILURES: boolean;
    EMPTY?: boolean;
  }>;
  /** With --empty on an engine that has no `false` literal (18.x): the predicate that is never true. */
  readonly emptyPredicate?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `event`: dbt's name for a warning (JinjaLogWarning…), which --warn-error-options can select. */
  readonly log: (level: 'info' | 'debug' | 'warn', message: string, event?: string) => void;
  readonly lookup: NodeLookup;
  /** The unique ids the invocation selected (dbt's `selected_resources`); empty at parse time. */
  readonly selectedResources?: readonly string[];
  /** Present when rendering to execute: the warehouse and what exists in it. */
  readonly runtime?: { readonly warehouse: Warehouse; readonly cache: RelationCache };
  /** `--defer`: unselected refs may resolve to the --state manifest's relations (state/defer.ts). */
  readonly defer?: Deferral;
}

export interface NodeLookup {
  node(uniqueId: string): DbtNode | undefined;
  /** `from`: the node rendering (its package decides the search order). */
  ref(call: RefCall, from?: Pick<NodeIdentity, 'packageName'>): DbtNode | undefined;
  source(
    sourceName: string,
    tableName: string,
    from?: Pick<NodeIdentity, 'packageName'>,
  ): DbtNode | undefined;
  graph(): Record<string, unknown>;
  nodeDict(node: DbtNode): Record<string, unknown>;
}

/** What is known of a node while rendering it (at parse time: less than the manifest will hold). */
export interface NodeIdentity {
  readonly uniqueId: string;
  readonly name: string;
  readonly resourceType: DbtNode['resourceType'];
  readonly packageName: string;
  readonly originalFilePath: string;
  /** The file as messages name it (relative to the root project); originalFilePath when absent. */
  readonly shownFile?: string;
  readonly schema: string;
  readonly alias: string;
  readonly config: NodeConfig;
  readonly node?: DbtNode;
  /** At parse time: the node being built, for `model` (its refs and config are not final yet). */
  readonly draft?: DbtNode;
}

/** What a parse-time render discovers. */
export interface ParseCapture {
  readonly refs: RefCall[];
  readonly sources: [string, string][];
  config: NodeConfig;
}

/** What an execute-time render collects. */
export interface ExecuteCapture {
  /** Ephemeral models referenced, in first-use order (unique ids). */
  readonly ephemerals: string[];
  readonly statements: Map<string, unknown>;
}

export interface RenderState {
  readonly identity: NodeIdentity;
  readonly execute: boolean;
  readonly parse: ParseCapture;
  readonly run: ExecuteCapture;
  /** Extra names (e.g. a test's kwargs, a materialization's `sql`). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Rendering the model of a unit test: its givens replace refs/sources, its overrides apply. */
  readonly unitTest?: UnitTestOverrides;
}

/** A unit test's view of its model: each ref/source resolves to a fixture CTE (run/unit-test.ts). */
export interface UnitTestOverrides {
  /** The fixture CTE name for a ref'd node or source unique id; raises when the test gives none. */
  readonly fixtureFor: (uniqueId: string, call: string) => string;
  readonly isIncremental?: boolean;
  readonly vars: Readonly<Record<string, unknown>>;
  /** `overrides: env_vars:`: env_var(name) gives these before the environment. */
  readonly envVars?: Readonly<Record<string, unknown>>;
  /** `overrides: macros:` other than is_incremental, as written (unit-overrides.ts). */
  readonly macros?: Readonly<Record<string, unknown>>;
  /** The CTE of an `input: this` given (an incremental model's existing rows). */
  readonly thisFixture?: string;
}

export function newRenderState(
  identity: NodeIdentity,
  execute: boolean,
  extra?: Record<string, unknown>,
): RenderState {
  return {
    identity,
    execute,
    parse: { refs: [], sources: [], config: {} },
    run: { ephemerals: [], statements: new Map() },
    ...(extra ? { extra } : {}),
  };
}

/** `var(name, default)`: a var no layer sets and without a default is None at parse time, an error when executing. */
function varLookup(
  project: ProjectContext,
  identity: NodeIdentity,
  execute: boolean,
): (name: string, fallback?: unknown) => unknown {
  const packageName = identity.packageName;
  const sources = {
    rootPackage: project.project.name,
    rootVars: project.project.vars,
    packageVars: project.packageVars ?? new Map(),
    cliVars: project.cliVars,
  };
  return (name, fallback) => {
    const value = lookupVar(sources, packageName, name);
    if (value !== undefined) return renderedVar(name, value);
    if (fallback !== undefined || !execute) return fallback;
    return raise(
      new DemaError(
        'JINJA_RENDER',
        `${identity.shownFile ?? identity.originalFilePath}: required var '${name}' not found in config (${identity.resourceType} ${identity.name}, package ${packageName}).`,
        {
          hint:
            packageName === project.project.name
              ? `Set it under vars: in dbt_project.yml or pass --vars '{${name}: …}' (a package's own vars: apply to that package's nodes only).`
              : `Set it under vars: in dbt_project.yml (or vars: {${packageName}: …}), or pass --vars '{${name}: …}'.`,
        },
      ),
    );
  };
}

const RENDER_CHARS = /\{[{%#]/;
const varTemplates = new Map<string, CompiledTemplate>();

/**
 * dbt renders a string var as Jinja when var() is called, in the caller's context (vars are never
 * rendered at project load): `truncate_timespan_to: "{{ current_timestamp() }}"` gives SQL. Other
 * values, and var()'s default, come back as they are.
 */
function renderedVar(name: string, value: unknown): unknown {
  const scope = currentScope();
  if (typeof value !== 'string' || !RENDER_CHARS.test(value) || !scope) return value;
  let template = varTemplates.get(value);
  if (!template) {
    template = compileTemplate(value, `vars.${name}`);
    varTemplates.set(value, template);
  }
  return template.render(scope);
}

function withOverrides(
  lookup: (name: string, fallback?: unknown) => unknown,
  vars: Readonly<Record<string, unknown>> | undefined,
): (name: string, fallback?: unknown) => unknown {
  if (!vars) return lookup;
  return (name, fallback) => (Object.hasOwn(vars, name) ? vars[name] : lookup(name, fallback));
}

const OVERRIDABLE = new Set(['ref', 'source']);

export function createScope(project: ProjectContext, state: RenderState): Scope {
  const context = nodeContext(project, state);
  const globals = projectGlobals(project);
  const scope: Scope = {
    // dbt parses with a lenient Undefined: `x.y`, `x[0]`, `x()` on an undefined x give it back.
    lenientUndefined: !state.execute,
    has: (name) =>
      name in context ||
      name in globals ||
      project.registry.lookup(name, state.identity.packageName) !== undefined ||
      project.registry.namespace(name) !== undefined,
    get: (name) => {
      if (OVERRIDABLE.has(name)) {
        // A root-project macro named ref/source replaces dbt's (which stays reachable as builtins.ref).
        const own = project.registry.find(name, project.registry.rootPackage);
        if (own) return project.registry.bind(own);
      }
      if (name in context) return context[name];
      if (name in globals) return globals[name];
      return project.registry.lookup(name, state.identity.packageName) ?? project.registry.namespace(name);
    },
  };
  const macros = state.unitTest?.macros;
  if (!macros || Object.keys(macros).length === 0) return scope;
  const isNamespace = (name: string) =>
    !(name in context) && !(name in globals) && project.registry.namespace(name) !== undefined;
  return withMacroOverrides(scope, macros, isNamespace);
}

function refRelation(project: ProjectContext, state: RenderState, target: DbtNode): Relation {
  if (target.config.materialized === 'ephemeral') {
    if (state.execute && !state.run.ephemerals.includes(target.uniqueId))
      state.run.ephemerals.push(target.uniqueId);
    return new Relation('', `__dbt__cte__${target.alias}`, 'cte');
  }
  const existing = project.runtime?.cache.get(target.schema, target.alias);
  if (project.defer && project.runtime && state.execute) {
    const selected = selectedSet(project.selectedResources ?? []);
    const deferred = deferredRelation(project.defer, target, selected, existing !== undefined);
    if (deferred) {
      const there = project.runtime.cache.get(deferred.schema, deferred.identifier);
      return new Relation(deferred.schema, deferred.identifier, there?.type ?? 'table');
    }
  }
  return new Relation(target.schema, target.alias, existing?.type ?? 'table');
}

const selectedSets = new WeakMap<readonly string[], ReadonlySet<string>>();
function selectedSet(ids: readonly string[]): ReadonlySet<string> {
  const known = selectedSets.get(ids);
  if (known) return known;
  const set = new Set(ids);
  selectedSets.set(ids, set);
  return set;
}

/** --empty: dbt's resolvers give refs and sources limit 0 (never `this`, never a unit test's fixtures). */
function emptied(project: ProjectContext, relation: Relation): Relation {
  return project.flags.EMPTY ? new LimitedRelation(relation, 0, project.emptyPredicate) : relation;
}

function nodeContext(project: ProjectContext, state: RenderState): Record<string, unknown> {
  const { identity, execute } = state;
  const where = identity.shownFile ?? identity.originalFilePath;
  const configValue = (name: string) => (identity.node?.config ?? identity.config)[name];

  const ref = (...args: unknown[]) => {
    const { positional, kwargs } = splitArgs(args);
    const call: RefCall =
      positional.length >= 2
        ? { package: String(positional[0]), name: String(positional[1]) }
        : { name: String(positional[0]) };
    if (kwargs.version !== undefined || kwargs.v !== undefined)
      raise(
        new DemaError(
          'JINJA_UNSUPPORTED',
          `ref('${call.name}', version=…): model versions are not supported.`,
          { hint: 'Refer to the model by its name.' },
        ),
      );
    if (!execute) {
      state.parse.refs.push(call);
      return new Relation(String(project.target.schema), call.name, 'table');
    }
    const target = project.lookup.ref(call, identity);
    if (!target)
      raise(
        new DemaError('REF_NOT_FOUND', `ref('${call.name}') in ${where}: no such model, seed or snapshot.`, {
          hint: 'Check the name; run `dema ls` to see the nodes.',
        }),
      );
    if (identity.node && !identity.node.dependsOn.includes(target.uniqueId))
      raise(
        new DemaError(
          'REF_NOT_FOUND',
          `${where}: ref('${call.name}') was not found when parsing (it sits in a branch not taken at parse time).`,
          {
            hint: `dema was unable to infer all dependencies: add "-- depends_on: {{ ref('${call.name}') }}" to the top of the model.`,
          },
        ),
      );
    if (state.unitTest)
      return new Relation('', state.unitTest.fixtureFor(target.uniqueId, `ref('${call.name}')`), 'cte');
    return emptied(project, refRelation(project, state, target));
  };

  const source = (sourceName: unknown, tableName: unknown) => {
    if (!execute) {
      state.parse.sources.push([String(sourceName), String(tableName)]);
      return new Relation(String(sourceName), String(tableName), 'table');
    }
    const target = project.lookup.source(String(sourceName), String(tableName), identity);
    if (!target)
      raise(
        new DemaError(
          'REF_NOT_FOUND',
          `source('${String(sourceName)}', '${String(tableName)}') in ${where}: no such source.`,
          { hint: 'Declare it under sources: in a schema YAML file.' },
        ),
      );
    if (state.unitTest)
      return new Relation(
        '',
        state.unitTest.fixtureFor(target.uniqueId, `source('${String(sourceName)}', '${String(tableName)}')`),
        'cte',
      );
    return emptied(project, new Relation(target.schema, target.alias, 'table'));
  };

  const config = Object.assign(
    (...args: unknown[]) => {
      if (execute) return '';
      const { positional, kwargs } = splitArgs(args);
      const given = (
        positional[0] && typeof positional[0] === 'object' ? positional[0] : kwargs
      ) as NodeConfig;
      state.parse.config = mergeConfig(state.parse.config, given);
      return '';
    },
    {
      get: (name: string, fallback?: unknown) => {
        if (!execute) return fallback ?? '';
        const value = configValue(name);
        return value === undefined || value === null ? (fallback ?? null) : value;
      },
      require: (name: string) => {
        if (!execute) return '';
        const value = configValue(name);
        if (value === undefined)
          raise(
            new DemaError('JINJA_RENDER', `${where}: config '${name}' is required but not set.`, {
              hint: `Set ${name} in config() or dbt_project.yml.`,
            }),
          );
        return value;
      },
    },
  );

  const thisRelation = state.unitTest?.thisFixture
    ? new Relation('', state.unitTest.thisFixture, 'cte')
    : identity.resourceType === 'model' && identity.config.materialized === 'ephemeral'
      ? new Relation('', `__dbt__cte__${identity.alias}`, 'cte')
      : new Relation(
          identity.schema,
          identity.alias,
          project.runtime?.cache.get(identity.schema, identity.alias)?.type ?? 'table',
        );

  const fullRefresh = () => {
    const own = configValue('full_refresh');
    return own === undefined || own === null ? project.flags.FULL_REFRESH : own === true;
  };

  const isIncremental = () => {
    if (state.unitTest) return state.unitTest.isIncremental === true;
    if (!execute || !project.runtime) return false;
    const existing = project.runtime.cache.get(identity.schema, identity.alias);
    return existing?.type === 'table' && configValue('materialized') === 'incremental' && !fullRefresh();
  };

  const runQuery = (sql: unknown) => {
    if (!execute || !project.runtime) return undefined;
    return queryTable(project.runtime.warehouse, String(sql));
  };

  const statement = (...args: unknown[]) => {
    const { positional, kwargs } = splitArgs(args);
    const name = String(positional[0] ?? kwargs.name ?? '');
    const caller = kwargs.caller as (() => unknown) | undefined;
    if (!execute || !project.runtime || !caller) return '';
    // A return() in the block ends statement as it ends dbt's statement macro: its value, no query run.
    let body: unknown;
    try {
      body = caller();
    } catch (signal) {
      if (signal instanceof ReturnSignal) return signal.value;
      throw signal;
    }
    const sql = String(body);
    const fetch = positional[1] === true || kwargs.fetch_result === true;
    const table = queryTable(project.runtime.warehouse, sql);
    state.run.statements.set(name, {
      response: { _message: 'OK', code: 'OK', rows_affected: table.rows.length },
      data: fetch ? table.rows : [],
      table,
    });
    return '';
  };

  // dbt's store_result / store_raw_result: what load_result(name) hands out next (no table: an empty one).
  const storeResult = (name: unknown, response: unknown, table: unknown) => {
    const stored = table instanceof AgateTable ? table : agateTable([]);
    state.run.statements.set(String(name), { response, data: stored.rows, table: stored });
    return '';
  };

  const context: Record<string, unknown> = {
    execute,
    ref,
    source,
    config,
    this: thisRelation,
    is_incremental: isIncremental,
    should_full_refresh: fullRefresh,
    var: withOverrides(varLookup(project, identity, execute), state.unitTest?.vars),
    env_var: (name: string, fallback?: unknown) => {
      // dbt's UnitTestContext.env_var: the test's override first, as written.
      const overrides = state.unitTest?.envVars;
      if (overrides && Object.hasOwn(overrides, name)) return overrides[name];
      const value = project.env[name];
      if (value !== undefined) return value;
      if (fallback !== undefined) return String(fallback);
      return raise(
        new DemaError('JINJA_RENDER', `${where}: env_var('${name}') is not set and has no default.`, {
          hint: `Set ${name} in the environment, or give a default.`,
        }),
      );
    },
    schema: identity.schema,
    run_query: runQuery,
    statement,
    load_result: (name: string) => loadResult(state.run.statements, name, where),
    store_result: (...args: unknown[]) => {
      const {
        positional: [name, response, table],
        kwargs,
      } = splitArgs(args);
      return storeResult(
        name ?? kwargs.name,
        response ?? kwargs.response ?? null,
        table ?? kwargs.agate_table,
      );
    },
    store_raw_result: (...args: unknown[]) => {
      const { positional: p, kwargs } = splitArgs(args);
      const response = {
        _message: p[1] ?? kwargs.message ?? null,
        code: p[2] ?? kwargs.code ?? null,
        rows_affected: p[3] ?? kwargs.rows_affected ?? null,
      };
      return storeResult(p[0] ?? kwargs.name, response, p[4] ?? kwargs.agate_table);
    },
    log: (message: unknown, ...args: unknown[]) => {
      // dbt also prints at parse time (every message twice); dema logs only when executing.
      if (!execute) return '';
      const { positional, kwargs } = splitArgs(args);
      project.log(positional[0] === true || kwargs.info === true ? 'info' : 'debug', str(message));
      return '';
    },
    exceptions: {
      raise_compiler_error: (message: unknown) =>
        raise(
          new DemaError(
            'JINJA_RENDER',
            `Compilation error in ${identity.resourceType} ${identity.name} (${where}): ${String(message)}`,
          ),
        ),
      raise_not_implemented: (message: unknown) =>
        raise(new DemaError('JINJA_UNSUPPORTED', `${where}: ${String(message)}`)),
      warn: (message: unknown) => {
        project.log('warn', str(message), 'JinjaLogWarning');
        return '';
      },
    },
    // A project overriding ref/source/config still reaches dbt's own through `builtins.ref(...)`.
    builtins: { ref, source, config },
    ...state.extra,
  };
  // Built only if a template asks: the node as a dict, and the whole graph.
  Object.defineProperty(context, 'model', {
    enumerable: true,
    get: () => {
      const node = identity.node ?? identity.draft;
      return node
        ? project.lookup.nodeDict(node)
        : {
            name: identity.name,
            unique_id: identity.uniqueId,
            resource_type: identity.resourceType,
            package_name: identity.packageName,
            original_file_path: identity.originalFilePath,
            schema: identity.schema,
            alias: identity.alias,
            database: '',
            config: identity.config,
          };
    },
  });
  // dbt's `builtins`: the context's own ref/source/config, for projects that override ref().
  context.builtins = { ref, source, config };
  Object.defineProperty(context, 'graph', {
    enumerable: true,
    get: () => (execute ? project.lookup.graph() : { nodes: {}, sources: {} }),
  });
  return context;
}

export function newInvocationId(): string {
  return randomUUID();
}

/** A statement result already handed out: dbt hands each one out once (except `main`). */
const LOADED = Symbol('loaded');

/** dbt's `load_result`: the stored result once, None if never stored, an error the second time. */
function loadResult(statements: Map<string, unknown>, name: string, where: string): unknown {
  const result = statements.get(name);
  if (result === undefined) return null;
  if (name === 'main') return result;
  if (result === LOADED)
    return raise(
      new DemaError(
        'JINJA_RENDER',
        `${where}: the statement result named '${name}' has already been loaded.`,
        {
          hint: 'dbt gives each result out once: keep it in a variable ({% set r = load_result(...) %}), or run the statement again.',
        },
      ),
    );
  statements.set(name, LOADED);
  return result;
}
