import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DemaError } from '../../errors.ts';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import type { DbtFlags } from './dbt-actions.ts';

/** `dema docs generate` (catalog.json + a self-contained index.html) and `dema docs serve`. */

type Runner = (work: (g: GlobalOptions, o: Output) => Promise<number>) => void;

interface GenerateFlags extends DbtFlags {
  readonly compile: boolean;
  readonly emptyCatalog?: boolean;
}

export function registerDocs(program: Command, run: Runner): void {
  const docs = program.command('docs').description('Documentation site of the dbt project');
  docs
    .command('generate')
    .description(
      'Compile the project, read the catalog from the warehouse, write target/catalog.json and target/index.html',
    )
    .option(
      '--project-dir <dir>',
      'the dbt project (default: nearest dbt_project.yml, else dema.yml project_dir)',
    )
    .option('--profiles-dir <dir>', 'where profiles.yml is')
    .option('--vars <yaml>', "variables for var(), e.g. '{start: 2023-01-01}'")
    .option('--threads <n>', 'nodes compiled at once (default: the profile threads)')
    .option('--no-compile', 'do not compile the models first (the site shows raw SQL only)')
    .option('--empty-catalog', 'do not query the warehouse: no column types or table statistics')
    .action((flags: GenerateFlags) => run((global, output) => generateAction(global, flags, output)));
  docs
    .command('serve')
    .description('Serve target/ on 127.0.0.1 (loopback only) until interrupted')
    .option('--project-dir <dir>', 'the dbt project')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8080')
    .action((flags: { projectDir?: string; port: string }) =>
      run((_global, output) => serveAction(flags, output)),
    );
}

async function generateAction(global: GlobalOptions, flags: GenerateFlags, output: Output): Promise<number> {
  const [{ prepareProject, runDbtCommand }, { writeArtifacts }, { connectWarehouse }, { generateDocs }] =
    await Promise.all([
      import('./dbt-actions.ts'),
      import('../../dbt/artifacts/artifacts.ts'),
      import('../../warehouse/connect.ts'),
      import('../../docs/generate-docs.ts'),
    ]);
  const prepared = prepareProject(global, flags, 'generate', output);
  const { parsed } = prepared;
  const needsWarehouse = flags.compile || !flags.emptyCatalog;
  const warehouse = needsWarehouse ? await connectWarehouse(prepared.target.target) : undefined;
  try {
    let code = 0;
    if (flags.compile && warehouse) code = await runDbtCommand(prepared, warehouse, 'compile', flags, output);
    else
      writeArtifacts({
        parsed,
        invocationId: prepared.invocationId,
        startedAt: prepared.startedAt,
        args: { which: 'generate' },
      });
    const result = await generateDocs({
      targetDir: join(parsed.project.dir, parsed.project.targetPath),
      warehouse: flags.emptyCatalog ? undefined : warehouse,
      defaultSchema: prepared.target.target.schema,
      invocationId: prepared.invocationId,
    });
    if (output.json) {
      output.line(JSON.stringify({ type: 'docs.generated', ...result }));
      return code;
    }
    output.line(`Catalog written to ${result.catalogPath} (${result.catalogued} relations)`);
    output.line(
      `Docs site written to ${result.sitePath} (${result.nodes} nodes) — open it, or run \`dema docs serve\``,
    );
    return code;
  } finally {
    await warehouse?.close();
  }
}

async function serveAction(flags: { projectDir?: string; port: string }, output: Output): Promise<number> {
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65535)
    throw new DemaError('USAGE', `--port ${flags.port} is not a port number.`, {
      hint: 'Use 1–65535, or 0 for any free port.',
    });
  const { resolveProjectDir } = await import('../../dbt/session.ts');
  const { loadProjectFile } = await import('../../dbt/project/project-file.ts');
  const { serveDirectory } = await import('../../docs/serve.ts');
  const project = loadProjectFile(resolveProjectDir(flags.projectDir, process.cwd(), process.env));
  const root = join(project.dir, project.targetPath);
  if (!existsSync(join(root, 'index.html')))
    throw new DemaError('USAGE', `No docs site at ${join(root, 'index.html')}.`, {
      hint: 'Run `dema docs generate` first.',
    });
  const server = await serveDirectory(root, port).catch((error: NodeJS.ErrnoException) => {
    throw new DemaError('USAGE', `Cannot listen on 127.0.0.1:${port}: ${error.code ?? error.message}.`, {
      hint: 'Pick another --port.',
    });
  });
  const address = server.address() as AddressInfo;
  output.line(`Serving ${root} at http://127.0.0.1:${address.port}/ — press Ctrl+C to stop`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
