import { existsSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { writeArtifacts, writeSourcesJson } from '../../dbt/artifacts/artifacts.ts';
import { selectNodes } from '../../dbt/graph/select.ts';
import { loadProjectFile } from '../../dbt/project/project-file.ts';
import { checkFreshness, type FreshnessResult } from '../../dbt/run/freshness.ts';
import { resolveProjectDir } from '../../dbt/session.ts';
import { DemaError } from '../../errors.ts';
import { connectForCommand, type GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import { type DbtFlags, prepareProject, warnUnmatched } from './dbt-actions.ts';
import { resolveSelection } from './dbt-selection.ts';

/** dbt's commands that build no node: parse, debug, source freshness, deps, clean. */

/** A path as the user can use it from where they are (project/target, not target). */
function fromCwd(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown === '' ? '.' : shown;
}

export async function parseAction(global: GlobalOptions, flags: DbtFlags, output: Output): Promise<number> {
  const started = performance.now();
  const { parsed, invocationId, startedAt } = prepareProject(global, flags, 'parse', output);
  writeArtifacts({ parsed, invocationId, startedAt, args: { which: 'parse' } });
  output.line(
    `Parsed ${parsed.manifest.nodes.size} nodes in ${((performance.now() - started) / 1000).toFixed(2)}s → ${fromCwd(join(parsed.project.dir, parsed.project.targetPath, 'manifest.json'))}`,
  );
  return 0;
}

export async function debugAction(global: GlobalOptions, flags: DbtFlags, output: Output): Promise<number> {
  const prepared = prepareProject(global, flags, 'debug', output);
  output.line(`project: ${prepared.parsed.project.name} (${prepared.parsed.project.dir})`);
  output.line(`  ${prepared.parsed.manifest.nodes.size} nodes parsed OK`);
  output.line(
    `target: ${prepared.target.name} (profile ${prepared.target.profileName}, ${prepared.target.target.type}, schema ${prepared.target.target.schema})`,
  );
  const warehouse = await connectForCommand(prepared.target.target, global, output.reporter);
  try {
    await warehouse.query('select 1');
    output.line(`connection: OK — ${warehouse.description}`);
  } finally {
    await warehouse.close();
  }
  output.line('All checks passed!');
  return 0;
}

export async function freshnessAction(
  global: GlobalOptions,
  flags: DbtFlags & { models?: string[]; output?: string },
  output: Output,
): Promise<number> {
  const { parsed, target, invocationId, startedAt, warnError } = prepareProject(
    global,
    flags,
    'source-freshness',
    output,
  );
  warnUnmatched(parsed, flags, output, warnError);
  const chosen = selectNodes(parsed.graph, resolveSelection(parsed, flags, output, warnError));
  const sources = [...chosen]
    .sort()
    .map((id) => parsed.manifest.nodes.get(id)!)
    .filter((node) => node.resourceType === 'source' && node.source?.freshness);
  output.reporter.emit({
    type: 'dbt.start',
    command: 'source freshness',
    total: sources.length,
    description: `${sources.length} source${sources.length === 1 ? '' : 's'} with freshness rules`,
  });
  const warehouse = await connectForCommand(target.target, global, output.reporter);
  let results: FreshnessResult[];
  try {
    results = await checkFreshness(sources, warehouse, output.reporter);
  } finally {
    await warehouse.close();
  }
  const file = resolve(flags.output ?? join(parsed.project.dir, parsed.project.targetPath, 'sources.json'));
  writeSourcesJson(file, results, invocationId, startedAt);
  const count = (status: string) => results.filter((r) => r.status === status).length;
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  output.reporter.emit({
    type: 'dbt.done',
    command: 'source freshness',
    seconds,
    pass: count('pass'),
    warn: count('warn'),
    error: count('error') + count('runtime error'),
    skip: 0,
    total: results.length,
  });
  // As dbt's freshness task: with LogFreshnessResult an error, a warn result fails the command.
  const warnFails = warnError.isError('LogFreshnessResult') && count('warn') > 0;
  return count('error') + count('runtime error') > 0 || warnFails ? 1 : 0;
}

export async function depsAction(
  flags: { projectDir?: string; upgrade?: boolean },
  output: Output,
): Promise<number> {
  const projectDir = resolveProjectDir(flags.projectDir, process.cwd(), process.env);
  const { installDeps } = await import('../../dbt/deps/install.ts');
  const result = await installDeps({
    projectDir,
    env: process.env,
    upgrade: flags.upgrade === true,
    emit: (message) => output.reporter.emit({ type: 'log', level: 'info', message }),
  });
  if (output.json) {
    output.line(
      JSON.stringify({
        type: 'deps.done',
        installed: result.installed,
        fromLock: result.fromLock,
        installPath: result.installPath,
      }),
    );
    return 0;
  }
  if (result.installed.length === 0) output.line('No packages to install.');
  for (const item of result.installed) output.line(`Installed ${item.name} (${item.source})`);
  if (result.installed.length > 0)
    output.line(
      `${result.installed.length} package${result.installed.length === 1 ? '' : 's'} in ${relative(projectDir, result.installPath) || '.'}/${result.fromLock ? ' (from package-lock.yml)' : '; wrote package-lock.yml'}`,
    );
  return 0;
}

export async function cleanAction(flags: { projectDir?: string }, output: Output): Promise<number> {
  const projectDir = resolveProjectDir(flags.projectDir, process.cwd(), process.env);
  const project = loadProjectFile(projectDir);
  const protectedPaths = [
    ...project.modelPaths,
    ...project.seedPaths,
    ...project.testPaths,
    ...project.macroPaths,
  ];
  for (const path of project.cleanTargets) {
    const absolute = resolve(projectDir, path);
    const inside = relative(projectDir, absolute);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || protectedPaths.includes(inside))
      throw new DemaError(
        'USAGE',
        `clean-targets entry "${path}" is outside the project or is a source path; refusing to delete it.`,
        {
          hint: 'List only build output directories (e.g. target, dbt_packages) in clean-targets.',
        },
      );
    if (existsSync(absolute)) {
      rmSync(absolute, { recursive: true, force: true });
      output.line(`Cleaned ${fromCwd(absolute)}/`);
    }
  }
  return 0;
}
