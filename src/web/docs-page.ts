import { existsSync, readFileSync } from 'node:fs';
import { escapeHtml, layout, NAV_STYLE, navBar } from './layout.ts';

/**
 * /docs: the site `dema docs generate` wrote (target/index.html), with the app's nav bar put in
 * front of it. When it is missing the page says how to make it. Serve does not generate it on
 * request: generating compiles the project and writes target/ (manifest, catalog) with a warehouse
 * that may write, while serve holds the warehouse read-only and must not write files behind the
 * user's back; it is one command (`dema docs generate`) and the next request picks it up.
 */
export function docsPage(
  docsFile: string | undefined,
  token: string | undefined,
): { status: number; body: string } {
  if (docsFile && existsSync(docsFile)) {
    const site = readFileSync(docsFile, 'utf8');
    // The site lays out its body as a full-height row: the bar sits fixed above it instead.
    const style = `${NAV_STYLE} nav.dema-nav { position: fixed; top: 0; left: 0; right: 0; height: 40px; z-index: 10; } body { padding-top: 40px; box-sizing: border-box; }`;
    const nav = `<style>${style}</style>${navBar('docs', token)}`;
    const body = /<body[^>]*>/i.test(site)
      ? site.replace(/<body[^>]*>/i, (tag) => `${tag}${nav}`)
      : nav + site;
    return { status: 200, body };
  }
  return {
    status: 404,
    body: layout({
      active: 'docs',
      token,
      title: 'No docs site yet',
      body: `<p id="docs-missing">The docs site is generated from the dbt project: run <code>dema docs generate</code> in the project, then reload this page.</p>
<p class="note" id="docs-embedded">While serve owns an embedded (chDB) warehouse, that command cannot open it: run <code>dema docs generate --no-compile --empty-catalog</code> now (no column types or row counts), or stop serve, generate, and start it again.</p>
<p class="note">It writes ${escapeHtml(docsFile ?? 'target/index.html')} (and catalog.json); serve reads it on every request.</p>`,
    }),
  };
}
