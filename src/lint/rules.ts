import { JINJA_RULES } from './rules-jinja.ts';
import { LAYOUT_RULES } from './rules-layout.ts';
import { SQL_RULES } from './rules-sql.ts';
import type { Rule } from './types.ts';

/** A Jinja tag that never closes: nothing else in the file can be checked. */
export const UNCLOSED_JINJA: Omit<Rule, 'check'> = {
  id: 'JJ00',
  name: 'jinja-unclosed',
  severity: 'error',
  fixable: false,
  description: 'Every Jinja tag closes ({{ … }}, {% … %}, {# … #}).',
};

export const RULES: readonly Rule[] = [...LAYOUT_RULES, ...SQL_RULES, ...JINJA_RULES];

/** Every rule id and name, for validating --rules, --exclude-rules and the config. */
export function ruleByKey(key: string): Omit<Rule, 'check'> | undefined {
  const all = [...RULES, UNCLOSED_JINJA];
  return all.find((r) => r.id === key.toUpperCase() || r.name === key.toLowerCase());
}

/** Every rule id, the unclosed-Jinja check included: the default selection. */
export const ALL_RULE_IDS: readonly string[] = [...RULES.map((r) => r.id), UNCLOSED_JINJA.id];
