import type { DbtNode, FreshnessSpec } from '../dbt/manifest/types.ts';
import { type FreshnessResult, formatAge, freshnessMessage, measureFreshness } from '../dbt/run/freshness.ts';
import type { ReadonlyEngine } from './engine.ts';
import { escapeHtml, layout, statusBadge } from './layout.ts';

/**
 * /freshness and /api/freshness: `dema source freshness` measured live through the read-only
 * engine. The measuring, the status rule and the age text are the freshness module's own
 * (`measureFreshness`, `formatAge`, `freshnessMessage`); this only lays them out.
 */

/** The sources with a freshness rule, from the project as it is now (parsed per request). */
export type FreshnessSources = () => Promise<readonly DbtNode[]>;

export interface FreshnessRow extends FreshnessResult {
  readonly source: string;
  /** The age as people read it ("3d 4h"), or "never loaded". */
  readonly age: string;
  readonly message: string;
}

export async function freshnessData(
  engine: ReadonlyEngine,
  sources: FreshnessSources,
): Promise<FreshnessRow[]> {
  const rows: FreshnessRow[] = [];
  for (const node of await sources()) {
    const result = await measureFreshness(node, engine.reader());
    rows.push({
      ...result,
      source: `${node.sourceName}.${node.name}`,
      age: result.ageSeconds === null ? (result.error ? '' : 'never loaded') : formatAge(result.ageSeconds),
      message: result.error ?? freshnessMessage(result),
    });
  }
  return rows;
}

function rule(limit: FreshnessSpec['warn_after']): string {
  return limit ? `${limit.count} ${limit.period}${limit.count === 1 ? '' : 's'}` : '—';
}

export function freshnessPage(rows: readonly FreshnessRow[] | Error, token: string | undefined): string {
  if (rows instanceof Error)
    return layout({
      active: 'freshness',
      token,
      title: 'Source freshness',
      body: `<p class="note" id="freshness-error">${escapeHtml(rows.message)}</p>`,
    });
  const body = rows.length
    ? `<table id="freshness"><tr><th>source</th><th>status</th><th>age</th><th>newest (UTC)</th><th>measured from</th><th>warn after</th><th>error after</th><th>filter</th><th>message</th></tr>
${rows
  .map(
    (
      r,
    ) => `<tr class="source" data-unique-id="${escapeHtml(r.uniqueId)}" data-source="${escapeHtml(r.source)}" data-age-seconds="${r.ageSeconds ?? ''}">
<td>${escapeHtml(r.source)}</td><td>${statusBadge(r.status)}</td><td class="num age">${escapeHtml(r.age)}</td>
<td>${escapeHtml(r.maxLoadedAt ?? '')}</td><td>${r.measuredFrom === 'column' ? 'data (loaded_at_field)' : 'load ledger'}</td>
<td>${escapeHtml(rule(r.criteria.warn_after))}</td><td>${escapeHtml(rule(r.criteria.error_after))}</td>
<td>${escapeHtml(r.criteria.filter ?? '')}</td><td class="msg">${escapeHtml(r.message)}</td></tr>`,
  )
  .join('\n')}</table>
<p class="note">Measured now, as <code>dema source freshness</code> does: from the source's <code>loaded_at_field</code> when it names one, else from the newest successful load in the ledger.</p>`
    : '<p class="note">No source in the project has a freshness rule (<code>freshness:</code> with <code>warn_after</code> / <code>error_after</code>).</p>';
  return layout({ active: 'freshness', token, title: 'Source freshness', body });
}
