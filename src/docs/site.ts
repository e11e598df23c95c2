import type { DocsData } from './docs-data.ts';
import { SITE_SCRIPT } from './site-script.ts';

/**
 * target/index.html: one self-contained file (inline CSS, inline script, the data embedded as
 * JSON) that works from file:// with no network — no CDN, no framework.
 */

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#1f2328;display:flex;height:100vh}
aside{width:300px;border-right:1px solid #d0d7de;display:flex;flex-direction:column;background:#f6f8fa}
aside header{padding:12px;font-weight:600;font-size:16px}aside header small{display:block;font-weight:400;color:#57606a;font-size:12px}
#search{margin:0 12px 8px;padding:6px 8px;border:1px solid #d0d7de;border-radius:6px;font:inherit}
#results{overflow:auto;flex:1;padding:0 4px 12px}#results a{display:block;padding:3px 8px;border-radius:4px;color:#1f2328;text-decoration:none;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#results a:hover,#results a.on{background:#ddf4ff}#results .more{color:#57606a;padding:3px 8px;font-size:12px}
main{flex:1;overflow:auto;padding:16px 24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 8px}
.badge{display:inline-block;font-size:11px;padding:1px 6px;border-radius:10px;background:#eaeef2;color:#57606a;margin-right:6px;vertical-align:middle}
.desc{max-width:900px}.meta td{padding:2px 12px 2px 0;color:#57606a}.meta td+td{color:#1f2328}
table.cols{border-collapse:collapse;width:100%;max-width:1200px}table.cols th,table.cols td{border-bottom:1px solid #eaeef2;padding:5px 8px;text-align:left;vertical-align:top}
table.cols th{background:#f6f8fa;font-weight:600}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
pre{background:#f6f8fa;padding:12px;border-radius:6px;overflow:auto;max-height:480px}.test{display:inline-block;background:#dafbe1;color:#116329;border-radius:4px;padding:0 5px;margin:1px 2px;font-size:12px}
.lineage{font-size:12px}.lineage a{color:#0969da}ul.links{columns:3;max-width:1100px;padding-left:18px}ul.links li{overflow-wrap:anywhere;break-inside:avoid}a{color:#0969da}
#graphbox{border:1px solid #d0d7de;border-radius:6px;overflow:auto;max-height:520px;background:#fff}
.controls{margin:6px 0;color:#57606a;font-size:13px}.controls input{width:48px}
svg .n rect{fill:#fff;stroke:#8c959f;rx:4}svg .n{cursor:pointer}svg .n text{font-size:12px;fill:#1f2328}
svg .n.model rect{fill:#ddf4ff;stroke:#54aeff}svg .n.source rect{fill:#dafbe1;stroke:#4ac26b}svg .n.seed rect{fill:#fff8c5;stroke:#d4a72c}
svg .n.exposure rect{fill:#fbefff;stroke:#c297ff}svg .n.focus rect{stroke:#cf222e;stroke-width:2.5}svg .n:hover rect{stroke:#0969da;stroke-width:2}
svg path.e{fill:none;stroke:#8c959f;stroke-width:1.2}svg .more text{fill:#57606a;font-size:12px}
`;

/** JSON inside a <script> element: `<` escaped so no `</script>` or `<!--` in the data ends it. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function renderSite(data: DocsData): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(data.project)} — dema docs</title><style>${STYLE}</style></head>
<body><aside><header>${escapeHtml(data.project)}<small>dema docs</small></header>
<input id="search" type="search" placeholder="Search models, sources, columns…" autocomplete="off">
<div id="results"></div></aside><main id="main"></main>
<script id="docs-data" type="application/json">${embedJson(data)}</script>
<script>${SITE_SCRIPT}</script></body></html>
`;
}
