import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { resolveProjectDir } from '../../dbt/session.ts';
import { DemaError } from '../../errors.ts';
import { lintSettings, ruleIds } from '../../lint/config.ts';
import { projectSqlDirs, sqlFiles } from '../../lint/files.ts';
import { fixText, lintText } from '../../lint/lint.ts';
import { ALL_RULE_IDS, RULES } from '../../lint/rules.ts';
import type { Finding } from '../../lint/types.ts';
import type { Output } from '../output.ts';

export interface LintFlags {
  readonly projectDir?: string;
  readonly fix?: boolean;
  readonly rules?: string;
  readonly excludeRules?: string;
  readonly listRules?: boolean;
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function readProjectYaml(projectDir: string): { file: string; text: string } {
  const file = join(projectDir, 'dbt_project.yml');
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch {
    throw new DemaError('CONFIG_NOT_FOUND', `No dbt_project.yml in ${projectDir}.`, {
      hint: 'Run dema lint in a dbt project or pass --project-dir.',
    });
  }
}

/** Writes through a temporary file and a rename, so a file is never left half-written. */
function replaceFile(file: string, text: string): void {
  const temporary = `${file}.dema-lint-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/**
 * Where a file is for the person at the terminal (relative to the current directory, else absolute),
 * so `file:line:col` opens in an editor; the project-relative path is what rules and --json use.
 */
function shownPath(file: string): string {
  const fromHere = relative(process.cwd(), file);
  return fromHere.startsWith('..') || isAbsolute(fromHere) ? file : fromHere;
}

function print(
  output: Output,
  findings: readonly Finding[],
  fixed: number,
  files: number,
  shown: ReadonlyMap<string, string>,
): void {
  for (const f of findings) {
    if (output.json) output.line(JSON.stringify({ type: 'lint', ...f }));
    else
      output.line(`${shown.get(f.path) ?? f.path}:${f.line}:${f.col} ${f.rule} ${f.message} [${f.severity}]`);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const summary = { files, errors, warnings: findings.length - errors, fixed };
  if (output.json) output.line(JSON.stringify({ type: 'lint_summary', ...summary }));
  else
    output.line(
      `${files} files: ${errors} errors, ${summary.warnings} warnings${fixed > 0 ? `, ${fixed} files fixed` : ''}`,
    );
}

export function lintAction(flags: LintFlags, paths: readonly string[], output: Output): number {
  if (flags.listRules) {
    for (const r of RULES)
      output.line(`${r.id} ${r.name} [${r.severity}${r.fixable ? ', fixable' : ''}] ${r.description}`);
    return 0;
  }
  const projectDir = resolveProjectDir(flags.projectDir, process.cwd(), process.env);
  const project = readProjectYaml(projectDir);
  const settings = lintSettings(project.text, project.file);
  const chosen = flags.rules ? ruleIds(list(flags.rules), '--rules') : (settings.rules ?? ALL_RULE_IDS);
  const excluded = new Set([
    ...settings.excludeRules,
    ...ruleIds(list(flags.excludeRules), '--exclude-rules'),
  ]);
  const options = { config: settings.config, rules: new Set(chosen.filter((id) => !excluded.has(id))) };
  const files = sqlFiles(projectDir, paths.length > 0 ? paths : projectSqlDirs(projectDir, project.text));
  const findings: Finding[] = [];
  let fixed = 0;
  for (const { file, path } of files) {
    let text = readFileSync(file, 'utf8');
    if (flags.fix) {
      const after = fixText(path, text, options);
      if (after !== text) {
        replaceFile(file, after);
        text = after;
        fixed++;
      }
    }
    findings.push(...lintText(path, text, options));
  }
  const shown = new Map(files.map(({ file, path }) => [path, shownPath(file)]));
  print(output, findings, fixed, files.length, shown);
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}
