import { spawn } from 'node:child_process';

export interface Measurement {
  readonly seconds: number;
  readonly peakRssMb: number;
  /** User + system CPU seconds of the process: steadier than wall time on a shared machine. */
  readonly cpuSeconds: number;
  readonly stdout: string;
}

/** Runs a command under /usr/bin/time and returns wall time and the peak RSS of the process. */
export function measure(
  command: string,
  args: readonly string[],
  options: { stdinFile?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const shellArgs = ['-f', '__TIME__ %e %M %U %S', command, ...args];
    const child = spawn('/usr/bin/time', shellArgs, {
      env: { ...process.env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: [options.stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (options.stdinFile && child.stdin) {
      import('node:fs').then(({ createReadStream }) =>
        createReadStream(options.stdinFile!).pipe(child.stdin!),
      );
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const match = /__TIME__ ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (code !== 0 || !match) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      resolve({
        seconds: Number(match[1]),
        peakRssMb: Number(match[2]) / 1024,
        cpuSeconds: Number(match[3]) + Number(match[4]),
        stdout,
      });
    });
  });
}
