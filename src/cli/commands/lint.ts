import type { Command } from 'commander';
import type { GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import type { LintFlags } from './lint-action.ts';

export function registerLint(
  program: Command,
  run: (work: (g: GlobalOptions, o: Output) => Promise<number>) => void,
): void {
  program
    .command('lint')
    .description(
      'Lint the SQL and Jinja of the dbt project (file:line:col RULE message); --fix repairs style',
    )
    .argument(
      '[paths...]',
      '.sql files or directories (default: the project model, macro, test, analysis paths)',
    )
    .option('--project-dir <dir>', 'the dbt project')
    .option('--fix', 'repair the fixable findings (whitespace and keyword case only; Jinja is never touched)')
    .option('--rules <ids>', 'only these rules, comma-separated ids or names')
    .option('--exclude-rules <ids>', 'leave out these rules, comma-separated ids or names')
    .option('--list-rules', 'print the rules and exit')
    .action((paths: string[], flags: LintFlags) =>
      run(async (_global, output) => {
        // Loaded only when the command runs, so `dema --help` stays quick.
        const { lintAction } = await import('./lint-action.ts');
        return lintAction(flags, paths, output);
      }),
    );
}
