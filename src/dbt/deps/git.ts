import { execFileSync } from 'node:child_process';
import { DemaError } from '../../errors.ts';
import type { GitSpec } from './spec.ts';

/**
 * git packages through the `git` CLI (any URL git understands, `file://` included): clone, check
 * out the revision (tag, branch or sha; default the remote's HEAD), and report the commit sha
 * the lock file pins.
 */

function git(args: string[], what: string, cwd?: string): string {
  try {
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message).trim();
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new DemaError('DEPS_FETCH', `${what}: the git command is not installed.`, {
        hint: 'Install git, or use a hub or local: package.',
      });
    throw new DemaError('DEPS_FETCH', `${what}: git ${args[0]} failed: ${stderr.split('\n').at(-1)}`, {
      hint: 'Check the URL and the revision (a tag, branch or commit sha that exists).',
      cause: error,
    });
  }
}

/** Clones into `dir` at the spec's revision; returns the commit sha. */
export function cloneAt(spec: Pick<GitSpec, 'git' | 'revision' | 'where'>, dir: string): string {
  const what = `${spec.where}: git package ${spec.git}`;
  git(['clone', '--quiet', '--', spec.git, dir], what);
  if (spec.revision && spec.revision !== 'HEAD') git(['checkout', '--quiet', spec.revision], what, dir);
  return git(['rev-parse', 'HEAD'], what, dir);
}
