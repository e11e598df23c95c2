/**
 * The frame every page of `dema serve` shares: a nav bar (dashboard, runs, freshness, docs) and
 * the base style. Pages are rendered on the server from the same data the JSON endpoints return;
 * every piece of text goes through `escapeHtml`, every link through `link` (which keeps the token
 * the page was opened with, so following a link stays authorised).
 */

export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** `path` with `params` and the token (when the page was opened with one), HTML-escaped for an attribute. */
export function link(path: string, token: string | undefined, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params);
  if (token) query.set('token', token);
  const search = query.toString();
  return escapeHtml(search ? `${path}?${search}` : path);
}

export const PAGES = [
  ['dashboard', '/dashboard', 'Dashboard'],
  ['runs', '/runs', 'Runs'],
  ['freshness', '/freshness', 'Freshness'],
  ['docs', '/docs', 'Docs'],
] as const;

export type PageName = (typeof PAGES)[number][0];

export const NAV_STYLE = `
nav.dema-nav { display: flex; gap: 4px; align-items: center; background: #1d2430; padding: 0 20px; font: 14px/1.4 system-ui, sans-serif; }
nav.dema-nav b { color: #fff; margin-right: 16px; }
nav.dema-nav a { color: #c8d0dc; text-decoration: none; padding: 10px 12px; display: inline-block; }
nav.dema-nav a[aria-current] { color: #fff; background: #2f3a4c; }
nav.dema-nav a:hover { color: #fff; }
`;

export function navBar(active: PageName | undefined, token: string | undefined): string {
  const items = PAGES.map(
    ([name, path, label]) =>
      `<a href="${link(path, token)}" data-nav="${name}"${name === active ? ' aria-current="page"' : ''}>${label}</a>`,
  );
  return `<nav class="dema-nav"><b>dema</b>${items.join('')}</nav>`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f5f6f8; }
main { padding: 12px 20px 40px; }
h1 { font-size: 20px; margin: 8px 0 12px; } h2 { font-size: 16px; margin: 20px 0 8px; }
table { border-collapse: collapse; background: #fff; font-size: 12px; }
th, td { border: 1px solid #dde; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef0f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.msg { max-width: 520px; white-space: pre-wrap; word-break: break-word; }
.status { font-weight: 600; border-radius: 3px; padding: 0 6px; }
.s-success, .s-pass { color: #17683a; background: #dff3e6; }
.s-warn, .s-running, .s-skipped { color: #7a5200; background: #fdf0d0; }
.s-error, .s-fail, .s-interrupted, .s-runtime-error, .s-failed { color: #8d1d1d; background: #fadcdc; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; background: #fff; padding: 8px 12px; border: 1px solid #dde; }
dt { color: #556; } dd { margin: 0; }
.note { color: #556; } code { background: #eef0f4; padding: 0 4px; border-radius: 3px; }
tr.selected td { background: #fff7dc; }
`;

export function statusBadge(status: string): string {
  return `<span class="status s-${escapeHtml(status.replace(/\W+/g, '-'))}" data-status="${escapeHtml(status)}">${escapeHtml(status)}</span>`;
}

/** A whole page: nav bar, the title, the body (already escaped HTML). */
export function layout(options: {
  active: PageName | undefined;
  token: string | undefined;
  title: string;
  body: string;
}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dema — ${escapeHtml(options.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${NAV_STYLE}${STYLE}</style></head>
<body>${navBar(options.active, options.token)}
<main><h1>${escapeHtml(options.title)}</h1>
${options.body}
</main></body></html>`;
}

/** Seconds as "3d 4h" style is the freshness module's; durations of runs are short: "2.4s", "3m 5s". */
export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return s < 3600
    ? `${Math.floor(s / 60)}m ${s % 60}s`
    : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function iso(ms: number): string {
  return ms > 0
    ? new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '';
}
