import { parse } from 'yaml';
import { DemaError } from '../errors.ts';
import { RULES, ruleByKey } from './rules.ts';
import { DEFAULT_CONFIG, type LintConfig, type Severity } from './types.ts';

/** What `vars: {dema_lint: …}` in dbt_project.yml may hold, checked key by key. */
export interface ProjectLintSettings {
  readonly config: LintConfig;
  readonly rules?: readonly string[];
  readonly excludeRules: readonly string[];
}

function invalid(file: string, key: string, want: string): never {
  throw new DemaError('CONFIG_INVALID', `${file}: vars.dema_lint.${key} must be ${want}.`, {
    hint: 'See src/lint/README.md for the settings and rule ids (dema lint --list-rules).',
  });
}

const strings = (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** Rule ids of a list of ids or names; an unknown one names `where` in the error. */
export function ruleIds(keys: readonly string[], where: string): string[] {
  return keys.map((key) => {
    const rule = ruleByKey(key);
    if (!rule)
      throw new DemaError('USAGE', `${where}: unknown lint rule ${key}.`, {
        hint: `Rules: ${RULES.map((r) => `${r.id} (${r.name})`).join(', ')}.`,
      });
    return rule.id;
  });
}

/** The lint settings of a dbt_project.yml text (`file` names it in errors). */
export function lintSettings(projectYaml: string, file: string): ProjectLintSettings {
  const vars = (parse(projectYaml) as { vars?: Record<string, unknown> } | null)?.vars;
  const raw = (vars?.dema_lint ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) invalid(file, '', 'a mapping');
  const known = ['max_line_length', 'keyword_case', 'comma_style', 'marts_paths', 'allowed_schemas'];
  const allowed = [...known, 'severity', 'rules', 'exclude_rules'];
  for (const key of Object.keys(raw))
    if (!allowed.includes(key)) invalid(file, key, `one of the known settings (${allowed.join(', ')})`);
  const { max_line_length: length, keyword_case: kcase, comma_style: comma } = raw;
  if (length !== undefined && !(Number.isInteger(length) && (length as number) > 0))
    invalid(file, 'max_line_length', 'a positive integer');
  if (kcase !== undefined && !['lower', 'upper', 'consistent'].includes(kcase as string))
    invalid(file, 'keyword_case', 'lower, upper or consistent');
  if (comma !== undefined && !['trailing', 'leading'].includes(comma as string))
    invalid(file, 'comma_style', 'trailing or leading');
  for (const key of ['marts_paths', 'allowed_schemas', 'rules', 'exclude_rules'])
    if (raw[key] !== undefined && !strings(raw[key])) invalid(file, key, 'a list of strings');
  const severity: Record<string, Severity> = {};
  const sev = (raw.severity ?? {}) as Record<string, unknown>;
  if (typeof sev !== 'object' || Array.isArray(sev))
    invalid(file, 'severity', 'a mapping of rule to error|warning');
  for (const [key, value] of Object.entries(sev)) {
    if (value !== 'error' && value !== 'warning') invalid(file, `severity.${key}`, 'error or warning');
    severity[ruleIds([key], `${file} vars.dema_lint.severity`)[0] as string] = value;
  }
  return {
    config: {
      maxLineLength: (length as number | undefined) ?? DEFAULT_CONFIG.maxLineLength,
      keywordCase: (kcase as LintConfig['keywordCase'] | undefined) ?? DEFAULT_CONFIG.keywordCase,
      commaStyle: (comma as LintConfig['commaStyle'] | undefined) ?? DEFAULT_CONFIG.commaStyle,
      martsPaths: (raw.marts_paths as string[] | undefined) ?? DEFAULT_CONFIG.martsPaths,
      allowedSchemas: (raw.allowed_schemas as string[] | undefined) ?? DEFAULT_CONFIG.allowedSchemas,
      severity,
    },
    rules:
      raw.rules === undefined ? undefined : ruleIds(raw.rules as string[], `${file} vars.dema_lint.rules`),
    excludeRules: ruleIds(
      (raw.exclude_rules as string[] | undefined) ?? [],
      `${file} vars.dema_lint.exclude_rules`,
    ),
  };
}
