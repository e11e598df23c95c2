import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildDocsData, type Manifest } from '../src/docs/docs-data.ts';
import { renderSite } from '../src/docs/site.ts';
import { launchChromium } from '../test/helpers/browser.ts';
import { writeBigProject } from './parse-bench.ts';

/**
 * `dema docs generate` on a generated 1,000-model project (compile + catalog + site, fresh process,
 * embedded warehouse with nothing built), then the time until the page is interactive in Chromium:
 * from navigation to the first lineage graph drawn for a model in the middle of the DAG.
 */

export interface DocsFigures {
  readonly models: number;
  readonly generate: { seconds: number; cpuSeconds: number; peakRssMb: number };
  readonly htmlMb: number;
  readonly interactiveMs: number;
  readonly graphNodes: number;
  readonly docsStepMs: number;
  readonly wholeDagMs: number;
  readonly wholeDagNodes: number;
  readonly loadAverage: number;
}

export async function benchDocs(dir: string, models: number, bin: string): Promise<DocsFigures> {
  writeBigProject(dir, models);
  writeFileSync(
    join(dir, 'profiles.yml'),
    `big:\n  target: dev\n  outputs:\n    dev: {type: chdb, path: "${join(dir, 'warehouse')}", schema: big, threads: 1}\n`,
  );
  const generate = timed(process.execPath, [bin, 'docs', 'generate', '--quiet'], dir);
  const html = join(dir, 'target', 'index.html');
  // The docs step alone (manifest → lineage, joined data, HTML), in this process.
  const started = performance.now();
  const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as Manifest;
  renderSite(buildDocsData(manifest, { metadata: {}, nodes: {}, sources: {}, errors: null }, 'big'));
  const docsStepMs = performance.now() - started;
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ offline: true })).newPage();
    const middle = `model.big.m_${String(Math.floor(models / 2)).padStart(4, '0')}`;
    const started = performance.now();
    await page.goto(`${pathToFileURL(html).href}#!/${middle}`);
    await page.waitForSelector('svg#graph g.n.focus');
    const interactiveMs = performance.now() - started;
    const graphNodes = await page.locator('svg#graph g.n').count();
    // Worst case: the root with everything downstream (the whole DAG), redrawn after a depth change.
    await page.goto(`${pathToFileURL(html).href}#!/model.big.m_0000`);
    await page.waitForSelector('svg#graph g.n.focus');
    const wholeDagMs = await page.evaluate(() => {
      const input = document.getElementById('down') as HTMLInputElement;
      const t0 = performance.now();
      input.value = '20';
      input.dispatchEvent(new Event('change'));
      return performance.now() - t0;
    });
    const wholeDagNodes = await page.locator('svg#graph g.n').count();
    await page.screenshot({ path: join(dir, 'whole-dag.png') });
    return {
      models,
      generate,
      htmlMb: statSync(html).size / 1e6,
      interactiveMs,
      graphNodes,
      docsStepMs,
      wholeDagMs,
      wholeDagNodes,
      loadAverage: loadavg()[0]!,
    };
  } finally {
    await browser.close();
  }
}

/** Wall time, CPU time (user + system) and peak RSS of a command: CPU time shows the cost on a busy machine. */
function timed(command: string, args: string[], cwd: string) {
  const run = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %U %S %M', command, ...args], {
    cwd,
    encoding: 'utf8',
  });
  const match = /__TIME__ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(run.stderr);
  if (run.status !== 0 || !match)
    throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr.slice(-2000)}`);
  return {
    seconds: Number(match[1]),
    cpuSeconds: Number(match[2]) + Number(match[3]),
    peakRssMb: Number(match[4]) / 1024,
  };
}
