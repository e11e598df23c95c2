import type { JinjaSpan, Token } from './tokens.ts';

export type Severity = 'error' | 'warning';

export interface LintConfig {
  readonly maxLineLength: number;
  readonly keywordCase: 'lower' | 'upper' | 'consistent';
  readonly commaStyle: 'trailing' | 'leading';
  /** Path prefixes (relative to the project, `/`-separated) where `SELECT *` is an error. */
  readonly martsPaths: readonly string[];
  /** Schemas that may be named directly (e.g. `system.numbers`). */
  readonly allowedSchemas: readonly string[];
  readonly severity: Readonly<Record<string, Severity>>;
}

export const DEFAULT_CONFIG: LintConfig = {
  maxLineLength: 120,
  keywordCase: 'consistent',
  commaStyle: 'trailing',
  martsPaths: ['models/marts'],
  allowedSchemas: ['system'],
  severity: {},
};

/** A text replacement; fixes never overlap a Jinja span (checked when applied). */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export interface Hit {
  readonly offset: number;
  readonly message: string;
  readonly fix?: readonly Edit[];
}

export interface RuleContext {
  /** Project-relative, `/`-separated path of the file. */
  readonly path: string;
  readonly text: string;
  readonly tokens: readonly Token[];
  readonly spans: readonly JinjaSpan[];
  /** The tokens that are neither whitespace, newlines nor comments. */
  readonly code: readonly Token[];
  readonly config: LintConfig;
}

export interface Rule {
  readonly id: string;
  readonly name: string;
  readonly severity: Severity;
  /** Whether `--fix` repairs it (whitespace or keyword case only). */
  readonly fixable: boolean;
  readonly description: string;
  check(ctx: RuleContext): Hit[];
}

export interface Finding {
  readonly path: string;
  readonly line: number;
  readonly col: number;
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  readonly fixable: boolean;
}
