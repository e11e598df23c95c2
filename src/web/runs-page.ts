import type { RunNodeRecord } from '../history/store.ts';
import { duration, escapeHtml, iso, layout, link, statusBadge } from './layout.ts';
import { cellText, FAILURE_ROWS, nodeSummary, type RunView, type StoredFailures } from './runs.ts';

/** The /runs pages, rendered on the server from the data of /api/runs… (see runs.ts). */

const runHref = (id: string, token: string | undefined, params: Record<string, string> = {}) =>
  link(`/runs/${encodeURIComponent(id)}`, token, params);

export function runsListPage(runs: readonly RunView[], token: string | undefined): string {
  const rows = runs.map(
    (run) => `<tr class="run" data-id="${escapeHtml(run.invocation_id)}">
<td><a href="${runHref(run.invocation_id, token)}">${escapeHtml(run.invocation_id)}</a></td>
<td>${escapeHtml(run.command)}</td><td>${escapeHtml(run.trigger)}</td><td>${statusBadge(run.status)}</td>
<td>${escapeHtml(iso(run.started_ms))}</td><td class="num">${run.duration_ms === null ? '' : escapeHtml(duration(run.duration_ms))}</td>
<td class="msg">${escapeHtml(run.error)}</td></tr>`,
  );
  const body = runs.length
    ? `<table id="runs"><tr><th>run</th><th>command</th><th>trigger</th><th>status</th><th>started (UTC)</th><th>duration</th><th>error</th></tr>
${rows.join('\n')}</table>`
    : '<p class="note">No runs recorded yet: `dema pipeline`, `dema ingest` and the dbt commands record each run here.</p>';
  return layout({ active: 'runs', token, title: 'Runs', body });
}

function nodeRow(
  node: RunNodeRecord,
  id: string,
  selected: string | undefined,
  token: string | undefined,
): string {
  const failures =
    node.failures === null
      ? ''
      : node.failures_relation
        ? `<a class="stored" href="${runHref(id, token, { node: node.unique_id })}#failures">${node.failures} (stored)</a>`
        : String(node.failures);
  return `<tr class="node${node.unique_id === selected ? ' selected' : ''}" data-node="${escapeHtml(node.unique_id)}">
<td>${escapeHtml(node.unique_id)}</td><td>${escapeHtml(node.resource_type)}</td><td>${statusBadge(node.status)}</td>
<td>${escapeHtml(iso(node.started_ms))}</td><td class="num">${escapeHtml(duration(node.execution_time * 1000))}</td>
<td class="num" data-col="rows_written">${node.rows_written ?? ''}</td><td class="num" data-col="failures">${failures}</td>
<td class="msg">${escapeHtml(node.message)}</td></tr>`;
}

function failuresSection(uniqueId: string, stored: StoredFailures | Error, runId: string): string {
  const title = `<h2 id="failures">Stored failures of ${escapeHtml(uniqueId)}</h2>`;
  if (stored instanceof Error)
    return `${title}<p class="note" id="failures-error">${escapeHtml(stored.message)}</p>`;
  const head = stored.columns
    .map((c) => `<th title="${escapeHtml(c.type)}">${escapeHtml(c.name)}</th>`)
    .join('');
  const rows = stored.rows.map(
    (row) =>
      `<tr class="failure">${stored.columns.map((c) => `<td data-value="${escapeHtml(cellText(row[c.name]))}">${escapeHtml(cellText(row[c.name]))}</td>`).join('')}</tr>`,
  );
  // The relation is rebuilt by every run that stores this test's failures: say so when it is newer.
  const other = stored.rows.map((r) => r.dbt_invocation_id).find((v) => typeof v === 'string' && v !== runId);
  const shown =
    stored.total > FAILURE_ROWS
      ? `the first ${FAILURE_ROWS} of ${stored.total} rows`
      : `${stored.total} row${stored.total === 1 ? '' : 's'}`;
  return `${title}<p class="note">${shown} of <code>${escapeHtml(stored.relation)}</code>${
    other ? ` — stored by a later run, <code>${escapeHtml(String(other))}</code>` : ''
  }</p>
<table id="failure-rows"><tr>${head}</tr>${rows.join('')}</table>`;
}

export function runPage(
  detail: { run: RunView; nodes: readonly RunNodeRecord[] },
  selected: { node: string; stored: StoredFailures | Error } | undefined,
  token: string | undefined,
): string {
  const { run, nodes } = detail;
  const fields: [string, string][] = [
    ['command', escapeHtml(`dema ${run.args || run.command}`)],
    ['trigger', escapeHtml(run.trigger)],
    ['status', statusBadge(run.status)],
    ['started (UTC)', escapeHtml(iso(run.started_ms))],
    ['duration', run.duration_ms === null ? '' : escapeHtml(duration(run.duration_ms))],
    ['host / pid', escapeHtml(`${run.host} / ${run.pid}`)],
    ['error', `<span class="msg" id="run-error">${escapeHtml(run.error)}</span>`],
  ];
  const body = `<p><a href="${link('/runs', token)}">← all runs</a></p>
<dl id="run" data-id="${escapeHtml(run.invocation_id)}">${fields.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
<h2>Nodes</h2>
<p id="summary">${nodeSummary(nodes).map(escapeHtml).join(' · ')}</p>
${
  nodes.length
    ? `<table id="nodes"><tr><th>node</th><th>type</th><th>status</th><th>started (UTC)</th><th>time</th><th>rows written</th><th>failures</th><th>message</th></tr>
${nodes.map((n) => nodeRow(n, run.invocation_id, selected?.node, token)).join('\n')}</table>`
    : '<p class="note">This run recorded no nodes.</p>'
}
${selected ? failuresSection(selected.node, selected.stored, run.invocation_id) : ''}`;
  return layout({ active: 'runs', token, title: `Run ${run.invocation_id}`, body });
}
