import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from './cli.ts';
import { tempDir } from './fixtures.ts';
import { writeMultiMerchantProject } from './multi-merchant.ts';

const BIN = fileURLToPath(new URL('../../bin/dema.js', import.meta.url));
const _PROJECT = fileURLToPath(new URL('../../project', import.meta.url));

/** A temp project with two merchants in two currencies, ingested and built by `dema pipeline`. */
export async function builtProject(t: TestContext): Promise<string> {
  const dir = tempDir(t, 'dema-serve-');
  await writeMultiMerchantProject(dir, { orderLines: 3000, styles: 60 });
  const pipeline = await runCli(['pipeline'], { cwd: dir });
  if (pipeline.code !== 0) throw new Error(`pipeline failed:\n${pipeline.stdout}${pipeline.stderr}`);
  return dir;
}

/** `dema query SQL --format F` in the project: the oracle, run before serve takes the warehouse. */
export async function demaQuery(dir: string, sql: string, format = 'csv'): Promise<string> {
  const result = await runCli(['query', sql, '--format', format], { cwd: dir });
  if (result.code !== 0) throw new Error(`dema query failed: ${result.stderr}`);
  return result.stdout;
}

export interface Served {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM, then the exit code (serve closes the warehouse and its lock on the way out). */
  stop(): Promise<number | null>;
}

/** Starts `dema serve ARGS` and resolves with the URL it prints; stopped when the test ends. */
export function startServe(
  t: TestContext,
  dir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
) {
  return new Promise<Served>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', DEMA_SERVE_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const stop = async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    };
    t.after(stop);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ url, child, stop });
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    void exited.then((code) => reject(new Error(`dema serve exited ${code} before listening:\n${out}`)));
  });
}
