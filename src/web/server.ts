import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiError,
  explainMissingMarts,
  filterOptions,
  financeData,
  marketingData,
  parseFilters,
} from './api.ts';
import { hostIsLoopback, presentedToken, tokenMatches } from './auth.ts';
import { handleClickHouse } from './clickhouse-http.ts';
import { dashboardPage } from './dashboard-page.ts';
import { docsPage } from './docs-page.ts';
import { EnginePaused, type ReadonlyEngine } from './engine.ts';
import { type FreshnessSources, freshnessData, freshnessPage } from './freshness.ts';
import { escapeHtml, layout, type PageName } from './layout.ts';
import { runDetail, runsList, storedFailures } from './runs.ts';
import { runPage, runsListPage } from './runs-page.ts';

export interface WebOptions {
  readonly engine: ReadonlyEngine;
  /** When set, every request must present it (see auth.ts); the CLI requires it off loopback. */
  readonly token?: string;
  /** target/index.html of `dema docs generate`, served at /docs when it exists. */
  readonly docsFile?: string;
  /** The project's sources with freshness rules, for /freshness (absent: the page says so). */
  readonly freshnessSources?: FreshnessSources;
}

type Route = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Cache-Control': 'no-store',
  });
  response.end(JSON.stringify(value));
}

function html(response: ServerResponse, body: string, status = 200): void {
  response.writeHead(status, {
    'Content-Type': 'text/html; charset=UTF-8',
    // The page is self-contained: nothing may load from elsewhere.
    'Content-Security-Policy':
      "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
    'Cache-Control': 'no-store',
  });
  response.end(body);
}

const errorOf = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/** What a page or endpoint answers for an error it did not make: a pause is 503, missing marts say what to run. */
const explained = (error: unknown) =>
  error instanceof EnginePaused ? new ApiError(error.message, 503) : explainMissingMarts(error);

/** The app's pages and endpoints by path; `/runs/*` is every run's page. A new page is one more entry. */
function routes(options: WebOptions): Map<string, Route> {
  const { engine } = options;
  const tokenOf = (url: URL) => url.searchParams.get('token') || undefined;
  const api =
    (work: (params: URLSearchParams) => Promise<unknown>): Route =>
    async (_request, response, url) => {
      try {
        json(response, 200, await work(url.searchParams));
      } catch (thrown) {
        const error = explained(thrown);
        if (error instanceof ApiError) json(response, error.status, { error: error.message });
        else json(response, 500, { error: errorOf(error).message });
      }
    };
  // A page's refusal (bad limit, unknown run) is a page too, with the nav bar and the reason.
  const page =
    (active: PageName, work: (url: URL, token: string | undefined) => Promise<string>): Route =>
    async (_request, response, url) => {
      const token = tokenOf(url);
      try {
        html(response, await work(url, token));
      } catch (thrown) {
        const error = explained(thrown);
        if (!(error instanceof ApiError)) throw error;
        const title = error.status === 404 ? 'Not found' : error.status === 503 ? 'Busy' : 'Bad request';
        const body = `<p class="note" id="page-error">${escapeHtml(error.message)}</p>`;
        html(response, layout({ active, token, title, body }), error.status);
      }
    };
  const freshness = () => {
    if (!options.freshnessSources) throw new ApiError('dema serve was started without a dbt project', 404);
    return freshnessData(engine, options.freshnessSources);
  };
  return new Map<string, Route>([
    ['/dashboard', async (_request, response, url) => html(response, dashboardPage(tokenOf(url)))],
    ['/api/filters', api(() => filterOptions(engine))],
    ['/api/finance', api((params) => financeData(engine, parseFilters(params)))],
    ['/api/marketing', api((params) => marketingData(engine, parseFilters(params)))],
    ['/api/runs', api((params) => runsList(engine, params))],
    ['/api/runs/detail', api((params) => runDetail(engine, params.get('id') ?? ''))],
    [
      '/api/runs/failures',
      api((params) => storedFailures(engine, params.get('id') ?? '', params.get('node') ?? '')),
    ],
    ['/api/freshness', api(() => freshness())],
    [
      '/runs',
      page('runs', async (url, token) => runsListPage(await runsList(engine, url.searchParams), token)),
    ],
    [
      '/runs/*',
      page('runs', async (url, token) => {
        const id = decodedSegment(url.pathname.slice('/runs/'.length));
        const detail = await runDetail(engine, id);
        const node = url.searchParams.get('node') || undefined;
        const stored = node ? await storedFailures(engine, id, node).catch(errorOf) : undefined;
        return runPage(detail, node && stored ? { node, stored } : undefined, token);
      }),
    ],
    [
      '/freshness',
      async (_request, response, url) =>
        html(response, freshnessPage(await freshness().catch(errorOf), tokenOf(url))),
    ],
    [
      '/docs',
      async (_request, response, url) => {
        const page = docsPage(options.docsFile, tokenOf(url));
        html(response, page.body, page.status);
      },
    ],
    ['/ping', async (_request, response) => void response.end('Ok.\n')],
  ]);
}

/**
 * The dema web app: the dashboard, runs, freshness, their JSON API, /docs, and ClickHouse's HTTP interface on `/`
 * (where ClickHouse clients expect it). Every request passes the token check first.
 */
export function createWebServer(options: WebOptions): Server {
  const table = routes(options);
  return createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (options.token === undefined && !hostIsLoopback(request.headers.host)) {
      response.writeHead(403, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Exception-Code': '516',
      });
      response.end(
        `Code: 516. DB::Exception: dema serve without a token answers only requests to a loopback name (Host: localhost or 127.0.0.1), not "${request.headers.host}"; off loopback start it with --token. (AUTHENTICATION_FAILED)\n`,
      );
      return;
    }
    if (options.token !== undefined && !tokenMatches(options.token, presentedToken(request, url))) {
      response.writeHead(401, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'WWW-Authenticate': 'Bearer realm="dema"',
        'X-ClickHouse-Exception-Code': '516',
      });
      response.end(
        'Code: 516. DB::Exception: dema serve: a valid token is required. (AUTHENTICATION_FAILED)\n',
      );
      return;
    }
    const isPage = request.method === 'GET' && url.pathname === '/' && !url.searchParams.has('query');
    if (isPage && (request.headers.accept ?? '').includes('text/html')) {
      response.writeHead(302, { Location: `/dashboard${url.search}` });
      response.end();
      return;
    }
    const route =
      table.get(url.pathname) ?? (/^\/runs\/[^/]+$/.test(url.pathname) ? table.get('/runs/*') : undefined);
    const work = route
      ? route(request, response, url)
      : url.pathname === '/'
        ? handleClickHouse(options.engine, request, response, url)
        : Promise.resolve(void notFound(response));
    work.catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8' });
      response.end(`Code: 1000. DB::Exception: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
}

function decodedSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ApiError(`bad run id in the path: ${text}`);
  }
}

function notFound(response: ServerResponse): void {
  response.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' });
  response.end(
    'Not found. Pages: /dashboard, /runs, /freshness, /docs; ClickHouse HTTP interface: /?query=…\n',
  );
}

/** Starts listening; resolves to the bound URL (port 0 picks a free port). */
export async function listen(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}
