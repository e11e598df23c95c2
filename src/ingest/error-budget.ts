/**
 * The error budget of a load: how many rejected rows it may have and still land. Pure.
 *
 * Where it comes from: a source that sets either key has exactly the budget it sets (dema.yml's
 * top-level keys are defaults for sources that set neither). With nothing set anywhere the budget
 * is zero rows. A count and a ratio set together both apply: exceeding either fails the load.
 * The limits are inclusive: 5 rejects with max_rejects 5 pass; a ratio compares rejected/read.
 */
export interface ErrorBudget {
  /** At most this many rejected rows (undefined: no count limit). */
  readonly maxRejects: number | undefined;
  /** At most this share (0..1) of the rows read rejected (undefined: no ratio limit). */
  readonly maxRejectRatio: number | undefined;
}

interface BudgetKeys {
  readonly max_rejects?: number | undefined;
  readonly max_reject_ratio?: number | undefined;
}

const isSet = (keys: BudgetKeys) => keys.max_rejects !== undefined || keys.max_reject_ratio !== undefined;

export function resolveBudget(source: BudgetKeys, defaults: BudgetKeys): ErrorBudget {
  const keys = isSet(source) ? source : defaults;
  if (!isSet(keys)) return { maxRejects: 0, maxRejectRatio: undefined };
  return { maxRejects: keys.max_rejects, maxRejectRatio: keys.max_reject_ratio };
}

/** True when `rejected` of `read` rows is more than the budget allows. */
export function overBudget(rejected: number, read: number, budget: ErrorBudget): boolean {
  if (budget.maxRejects !== undefined && rejected > budget.maxRejects) return true;
  return budget.maxRejectRatio !== undefined && read > 0 && rejected / read > budget.maxRejectRatio;
}

/**
 * True once a count limit is exceeded: more rows cannot bring it back, so reading may stop.
 * (A ratio can recover as good rows follow, so it is only judged on the whole file.)
 */
export function countExceeded(rejected: number, budget: ErrorBudget): boolean {
  return budget.maxRejects !== undefined && rejected > budget.maxRejects;
}

export function describeBudget(budget: ErrorBudget): string {
  return [
    budget.maxRejects !== undefined ? `max_rejects ${budget.maxRejects}` : '',
    budget.maxRejectRatio !== undefined ? `max_reject_ratio ${budget.maxRejectRatio}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}
