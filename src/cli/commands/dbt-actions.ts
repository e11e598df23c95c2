import { writeArtifacts } from '../../dbt/artifacts/artifacts.ts';
import { newInvocationId } from '../../dbt/compile/context.ts';
import { envFlag } from '../../dbt/env-flag.ts';
import { type ExtraMethods, selectNodes, unmatchedSelectors } from '../../dbt/graph/select.ts';
import { type ParsedProject, parseProject } from '../../dbt/parser/parse-project.ts';
import { exitCodeFor, type RunSummary } from '../../dbt/run/results.ts';
import { executeRun, type RunCommand } from '../../dbt/run/runner.ts';
import { selectUnitTests } from '../../dbt/run/unit-test-gate.ts';
import { type DbtTarget, parseVars, resolveDbtTarget, resolveProjectDir } from '../../dbt/session.ts';
import { NO_WARN_ERROR, type WarnErrorPolicy, warnErrorPolicy } from '../../dbt/warn-error.ts';
import { DemaError } from '../../errors.ts';
import { type RunRecorder, recordRun } from '../../history/record.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { connectForCommand, type GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import { noNodesWarning, resolveSelection } from './dbt-selection.ts';
import { retryArgs, withState } from './state-flags.ts';

/** dbt's commands that select and run nodes (run, test, build, seed, compile, ls); loaded only when one runs. */

export interface DbtFlags {
  readonly projectDir?: string;
  readonly profilesDir?: string;
  readonly select?: string[];
  readonly exclude?: string[];
  readonly vars?: string;
  readonly threads?: string;
  readonly fullRefresh?: boolean;
  readonly failFast?: boolean;
  readonly storeFailures?: boolean;
  readonly excludeResourceType?: string[];
  /** --state DIR, --defer, --favor-state (slim CI; cli/commands/state-flags.ts). */
  readonly state?: string;
  readonly defer?: boolean;
  readonly favorState?: boolean;
  readonly selector?: string;
  readonly indirectSelection?: string;
  /** --empty (or DBT_EMPTY): refs and sources read zero rows. */
  readonly empty?: boolean;
  /** --profile (or DBT_PROFILE): the profile instead of dbt_project.yml's. */
  readonly profile?: string;
  /** --target-path: beats DBT_TARGET_PATH and dbt_project.yml's target-path. */
  readonly targetPath?: string;
}

export interface PreparedProject {
  readonly parsed: ParsedProject;
  readonly target: DbtTarget;
  readonly invocationId: string;
  readonly startedAt: Date;
  /** `state:` / `result:` selector methods, when --state is given. */
  readonly methods?: ExtraMethods;
  /** --warn-error / --warn-error-options: which warnings are errors in this invocation. */
  readonly warnError: WarnErrorPolicy;
}

export function prepareProject(
  global: GlobalOptions,
  flags: DbtFlags,
  which: string,
  output: Output,
  invocationId = newInvocationId(),
): PreparedProject {
  const cwd = process.cwd();
  const warnError = warnErrorPolicy(global, process.env);
  // The flag beats the variable, which beats dbt_project.yml: every reader of the project sees it.
  if (flags.targetPath) process.env.DBT_TARGET_PATH = flags.targetPath;
  const profileName = flags.profile ?? process.env.DBT_PROFILE;
  const projectDir = resolveProjectDir(flags.projectDir, cwd, process.env);
  const target = resolveDbtTarget({
    projectDir,
    ...(flags.profilesDir ? { profilesDir: flags.profilesDir } : {}),
    ...(profileName ? { profileName } : {}),
    ...(global.target ? { targetName: global.target } : {}),
    cwd,
    env: process.env,
  });
  const startedAt = new Date();
  const parsed = parseProject({
    projectDir,
    target: target.context,
    cliVars: parseVars(flags.vars),
    env: process.env,
    invocationId,
    fullRefresh: flags.fullRefresh === true,
    which,
    log: (level, message, event) => {
      if (level === 'warn' && event) {
        if (warnError.isSilenced(event)) return;
        if (warnError.isError(event))
          throw new DemaError(
            event === 'JinjaLogWarning' ? 'JINJA_RENDER' : 'PARSE_PROJECT',
            `${message} [${event}, an error with --warn-error]`,
            {
              hint: `Fix the cause, or keep ${event} a warning: --warn-error-options '{include: all, exclude: [${event}]}'.`,
            },
          );
      }
      if (level !== 'debug')
        output.reporter.emit({ type: 'log', level: level === 'warn' ? 'warn' : 'info', message });
    },
  });
  return { parsed, target, invocationId, startedAt, warnError };
}

/**
 * As dbt: a selector term that matches nothing is a warning ("does not match any enabled nodes"),
 * with the nearest names. On stderr, so `dema ls` output stays a clean list.
 */
export function warnUnmatched(
  parsed: ParsedProject,
  flags: DbtFlags & { models?: string[] },
  output: Output,
  policy: WarnErrorPolicy = NO_WARN_ERROR,
  methods?: ExtraMethods,
): void {
  // --selector replaces --select/--exclude (as dbt): their terms are not looked at.
  if (flags.selector) return;
  const selects = [...(flags.select ?? []), ...(flags.models ?? [])];
  const specs = [...selects, ...(flags.exclude ?? [])];
  const selectTerms = new Set(selects.flatMap((s) => s.split(/[\s,]+/)));
  // Unit tests are no graph nodes: a term that takes one (its name, test_type:unit…) matches.
  const takesUnitTest = (spec: string) =>
    selectUnitTests(parsed.manifest, new Set(), { select: [spec], exclude: [], indirectSelection: 'empty' })
      .length > 0;
  for (const { spec, suggestions } of unmatchedSelectors(parsed.graph, specs, methods)) {
    if (takesUnitTest(spec)) continue;
    const message = `The selection criterion '${spec}' does not match any enabled nodes${suggestions.length ? `; did you mean: ${suggestions.join(', ')}?` : '.'}`;
    // As dbt: only --select terms are expected to match (an --exclude that matches nothing never errors).
    noNodesWarning(message, output, selectTerms.has(spec) ? policy : NO_WARN_ERROR);
  }
}

/** Runs a dbt command on an open warehouse (the pipeline passes its own) and writes the artifacts. */
export async function runDbtCommand(
  prepared: PreparedProject,
  warehouse: Warehouse,
  command: RunCommand,
  flags: DbtFlags & { models?: string[] },
  output: Output,
  recorder?: RunRecorder,
  /** Sees the run's results (the pipeline's report is built from them). */
  onSummary?: (summary: RunSummary) => void,
  /** `dema retry`: exactly these nodes, instead of --select. */
  retryIds?: ReadonlySet<string>,
): Promise<number> {
  const { parsed, invocationId, startedAt } = prepared;
  const threads = flags.threads ? Number(flags.threads) : prepared.target.threads;
  if (!Number.isInteger(threads) || threads < 1)
    throw new DemaError('USAGE', `--threads ${flags.threads} is not a positive whole number.`);
  const policy = prepared.warnError ?? NO_WARN_ERROR;
  warnUnmatched(parsed, flags, output, policy, prepared.methods);
  const selection = resolveSelection(parsed, flags, output, policy, true, prepared.methods);
  const empty = flags.empty === true || envFlag(process.env.DBT_EMPTY);
  const interrupt = interruptOnSignals(output);
  const result = await executeRun(parsed, warehouse, {
    command,
    select: selection.select,
    exclude: selection.exclude,
    ...(selection.indirectSelection ? { indirectSelection: selection.indirectSelection } : {}),
    ...(selection.spec ? { spec: selection.spec } : {}),
    empty,
    warnError: policy,
    excludeResourceTypes: flags.excludeResourceType ?? [],
    threads,
    fullRefresh: flags.fullRefresh === true,
    failFast: flags.failFast === true,
    storeFailures: flags.storeFailures === true,
    invocationId,
    reporter: output.reporter,
    signal: interrupt.signal,
    selection: {
      ...(prepared.methods ? { methods: prepared.methods } : {}),
      ...(retryIds ? { uniqueIds: retryIds } : {}),
    },
  }).finally(interrupt.release);
  onSummary?.(result.summary);
  recorder?.dbtResults(result.summary.results, parsed.manifest.nodes, flags.storeFailures === true);
  writeArtifacts({
    parsed,
    invocationId,
    startedAt,
    summary: result.summary,
    compiled: result.compiled,
    executed: result.executed,
    args: {
      which: command,
      select: flags.select ?? [],
      exclude: flags.exclude ?? [],
      full_refresh: flags.fullRefresh === true,
      ...(flags.selector ? { selector: flags.selector } : {}),
      ...(selection.indirectSelection ? { indirect_selection: selection.indirectSelection } : {}),
      empty,
      threads,
      target: prepared.target.name,
      invocation_command: `dema ${process.argv.slice(2).join(' ')}`,
      ...retryArgs(flags, prepared.methods !== undefined),
    },
  });
  // As a shell reports a process stopped by a signal: 128 + its number (130 SIGINT, 143 SIGTERM).
  if (result.interrupted) return interrupt.signal.reason === 'SIGTERM' ? 143 : 130;
  return exitCodeFor(result.summary);
}

/**
 * SIGINT / SIGTERM during a run: the first asks the run to stop (it finishes the statement in
 * flight, drops its helper tables and reports); a second one exits at once.
 */
function interruptOnSignals(output: Output): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(name === 'SIGTERM' ? 143 : 130);
    output.reporter.emit({
      type: 'log',
      level: 'warn',
      message: `${name}: stopping after the statement in flight, then dropping this run's helper tables (again to quit at once).`,
    });
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export async function runCommandAction(
  global: GlobalOptions,
  flags: DbtFlags & { models?: string[] },
  name: RunCommand,
  output: Output,
  /** `dema retry`: exactly these nodes. */
  retryIds?: ReadonlySet<string>,
): Promise<number> {
  const prepared = withState(prepareProject(global, flags, name, output), flags);
  const warehouse = await connectForCommand(prepared.target.target, global, output.reporter);
  try {
    if (name === 'compile')
      return await runDbtCommand(prepared, warehouse, name, flags, output, undefined, undefined, retryIds);
    return await recordRun(
      warehouse,
      output.reporter,
      { command: name, invocationId: prepared.invocationId },
      (recorder) => runDbtCommand(prepared, warehouse, name, flags, output, recorder, undefined, retryIds),
    );
  } finally {
    await warehouse.close();
  }
}

export async function listAction(
  global: GlobalOptions,
  flags: DbtFlags & { models?: string[]; resourceType?: string[]; output: string },
  output: Output,
): Promise<number> {
  const { parsed, invocationId, startedAt, warnError, methods } = withState(
    prepareProject(global, flags, 'list', output),
    flags,
  );
  warnUnmatched(parsed, flags, output, warnError, methods);
  const selection = resolveSelection(parsed, flags, output, warnError, false, methods);
  const chosen = selectNodes(parsed.graph, selection);
  for (const id of [...chosen].sort()) {
    const node = parsed.manifest.nodes.get(id)!;
    if (node.resourceType === 'operation') continue;
    if (flags.resourceType && !flags.resourceType.includes(node.resourceType)) continue;
    if (flags.output === 'json')
      output.line(
        JSON.stringify({
          name: node.name,
          resource_type: node.resourceType,
          package_name: node.packageName,
          original_file_path: node.originalFilePath,
          unique_id: node.uniqueId,
          alias: node.alias,
          config: node.config,
          tags: node.tags,
          depends_on: { nodes: node.dependsOn },
        }),
      );
    else if (flags.output === 'name') output.line(node.name);
    else if (flags.output === 'path') output.line(node.originalFilePath);
    else
      output.line(
        node.resourceType === 'source'
          ? `source:${node.packageName}.${node.sourceName}.${node.name}`
          : node.fqn.join('.'),
      );
  }
  // Unit tests are no graph nodes: listed after the nodes, taken as build/test would take them.
  if (!flags.resourceType || flags.resourceType.includes('unit_test'))
    for (const unitTest of selectUnitTests(parsed.manifest, chosen, selection)) {
      const [, packageName, ...rest] = unitTest.uniqueId.split('.');
      if (flags.output === 'json')
        output.line(
          JSON.stringify({
            name: unitTest.name,
            resource_type: 'unit_test',
            package_name: packageName,
            original_file_path: unitTest.where.replace(/:\d+$/, ''),
            unique_id: unitTest.uniqueId,
            depends_on: { nodes: [`model.${packageName}.${unitTest.model}`] },
          }),
        );
      else if (flags.output === 'name') output.line(unitTest.name);
      else if (flags.output === 'path') output.line(unitTest.where.replace(/:\d+$/, ''));
      else output.line(`unit_test:${packageName}.${rest.join('.')}`);
    }
  writeArtifacts({ parsed, invocationId, startedAt, args: { which: 'list' } });
  return 0;
}
