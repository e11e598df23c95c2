import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DemaError } from '../../errors.ts';
import { isLoopback } from '../../web/auth.ts';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';

interface ServeFlags {
  readonly host: string;
  readonly port: string;
  readonly token?: string;
  readonly maxExecutionTime: string;
  /** False with --no-schedule: serve then never runs dema.yml's schedule. */
  readonly schedule: boolean;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new DemaError('USAGE', `--port must be an integer from 0 to 65535, got "${text}".`, {
      hint: '0 picks a free port (the URL is printed).',
    });
  return port;
}

function parseSeconds(text: string): number {
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new DemaError(
      'USAGE',
      `--max-execution-time must be a whole number of seconds (1 or more), got "${text}".`,
      {
        hint: 'Statements run one at a time; a long one holds every page and client until it ends.',
      },
    );
  return seconds;
}

/** The token rule: optional on loopback, required on any address other machines can reach. */
function tokenFor(flags: ServeFlags): string | undefined {
  // An empty token is no token: `?token=` would present it.
  const token = flags.token || process.env.DEMA_SERVE_TOKEN || undefined;
  if (token === undefined && !isLoopback(flags.host))
    throw new DemaError(
      'USAGE',
      `dema serve on ${flags.host} needs a token: that address is reachable from other machines.`,
      {
        hint: 'Pass --token T or set DEMA_SERVE_TOKEN; clients then send "Authorization: Bearer T", ?token=T, or T as the ClickHouse password.',
      },
    );
  return token;
}

export function registerServe(
  program: Command,
  run: (work: (g: GlobalOptions, o: Output) => Promise<number>) => void,
): void {
  program
    .command('serve')
    .description(
      'Serve the marts dashboard and a read-only ClickHouse HTTP interface for the warehouse (owns the warehouse while it runs)',
    )
    .option('--host <address>', 'address to bind; anything but loopback requires a token', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '8080')
    .option('--token <token>', 'required from every client (default: DEMA_SERVE_TOKEN)')
    .option('--max-execution-time <seconds>', "a client's statement that runs longer is stopped", '60')
    .option('--no-schedule', "do not run dema.yml's schedule (by default serve runs it, as dema schedule)")
    .action((flags: ServeFlags) =>
      run(async (global, output) => {
        const port = parsePort(flags.port);
        const token = tokenFor(flags);
        const maxSeconds = parseSeconds(flags.maxExecutionTime);
        // Loaded only when the command runs, so `dema --help` stays quick.
        const [{ openWarehouse }, { ReadonlyEngine }, { createWebServer, listen }, { serveScheduler }] =
          await Promise.all([
            import('../context.ts'),
            import('../../web/engine.ts'),
            import('../../web/server.ts'),
            import('./serve-schedule.ts'),
          ]);
        const { config, warehouse } = await openWarehouse(global);
        // The warehouse serve holds now: a scheduled run closes it and opens another (serve-schedule.ts).
        let current: typeof warehouse | undefined = warehouse;
        try {
          const engine = await ReadonlyEngine.open(warehouse, maxSeconds);
          const projectDir = resolve(config.root, config.project_dir);
          const docsFile = join(projectDir, 'target', 'index.html');
          // Parsed again only when a project file (or dema.yml, or a profiles.yml dbt would find)
          // changed: the page shows the rules as the project states them now. Measured per request.
          const { profilesCandidates } = await import('../../dbt/project/profiles.ts');
          const { cachedByFiles } = await import('../../web/file-cache.ts');
          const search = { projectDir, cwd: process.cwd(), env: process.env };
          const freshnessSources = cachedByFiles(
            () => ({ dirs: [projectDir], files: [config.file, ...profilesCandidates(search)] }),
            async () => {
              const { prepareProject } = await import('./dbt-actions.ts');
              const { parsed } = prepareProject(global, { projectDir }, 'source-freshness', output);
              return [...parsed.manifest.nodes.values()]
                .filter((node) => node.resourceType === 'source' && node.source?.freshness)
                .sort((a, b) => (a.uniqueId < b.uniqueId ? -1 : a.uniqueId > b.uniqueId ? 1 : 0));
            },
          );
          const server = createWebServer({
            engine,
            docsFile,
            freshnessSources,
            ...(token === undefined ? {} : { token }),
          });
          const url = await listen(server, flags.host, port).catch((error: NodeJS.ErrnoException) => {
            throw new DemaError(
              'USAGE',
              `Cannot listen on ${flags.host}:${port}: ${error.code ?? error.message}.`,
              {
                hint: 'Pick another --port (0 picks a free one), or a --host this machine has.',
                cause: error,
              },
            );
          });
          if (output.json) output.line(JSON.stringify({ type: 'serve', url, readonly: true }));
          else {
            output.line(`dema serve: listening on ${url}`);
            // One page a line: the four URLs on one line ran past 100 characters.
            output.line(`  dashboard: ${url}/dashboard`);
            output.line(`  runs, freshness, docs: ${url}/runs  /freshness  /docs`);
            output.line(`  ClickHouse HTTP (read-only): ${url}/?query=SELECT+1`);
            output.line(`  ${warehouse.description}; Ctrl-C stops it and releases the warehouse`);
          }
          const scheduler = flags.schedule
            ? serveScheduler({
                global,
                output,
                config,
                engine,
                close: async (held) => {
                  current = undefined;
                  await held.close();
                },
                reopen: async () => {
                  current = (await openWarehouse(global)).warehouse;
                  return current;
                },
              })
            : undefined;
          if (scheduler && config.schedule)
            output.line(`  schedule: "${config.schedule.cron}" (${config.schedule.timezone}) from dema.yml`);
          await scheduler?.start();
          await stopped(server);
          // A run in progress ends first (its child has its own process group), then the warehouse closes.
          await scheduler?.stop();
          return 0;
        } finally {
          await current?.close();
        }
      }),
    );
}

/** Resolves when SIGINT or SIGTERM closes the server, so the warehouse is closed and unlocked. */
function stopped(server: import('node:http').Server): Promise<void> {
  return new Promise((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => resolveStop());
      server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
