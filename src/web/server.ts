import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, filterOptions, financeData, marketingData, parseFilters } from './api.ts';
import { presentedToken, tokenMatches } from './auth.ts';
import { handleClickHouse } from './clickhouse-http.ts';
import { dashboardPage } from './dashboard-page.ts';
import type { ReadonlyEngine } from './engine.ts';

export interface WebOptions {
  readonly engine: ReadonlyEngine;
  /** When set, every request must present it (see auth.ts); the CLI requires it off loopback. */
  readonly token?: string;
  /** target/index.html of `dema docs generate`, served at /docs when it exists. */
  readonly docsFile?: string;
}

type Route = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Cache-Control': 'no-store',
  });
  response.end(JSON.stringify(value));
}

function html(response: ServerResponse, body: string): void {
  response.writeHead(200, {
    'Content-Type': 'text/html; charset=UTF-8',
    // The page is self-contained: nothing may load from elsewhere.
    'Content-Security-Policy':
      "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
    'Cache-Control': 'no-store',
  });
  response.end(body);
}

/** The app's pages and endpoints by path. A new page (e.g. /runs) is one more entry. */
function routes(options: WebOptions): Map<string, Route> {
  const { engine } = options;
  const api =
    (work: (params: URLSearchParams) => Promise<unknown>): Route =>
    async (_request, response, url) => {
      try {
        json(response, 200, await work(url.searchParams));
      } catch (error) {
        if (error instanceof ApiError) json(response, 400, { error: error.message });
        else json(response, 500, { error: error instanceof Error ? error.message : String(error) });
      }
    };
  return new Map<string, Route>([
    ['/dashboard', async (_request, response) => html(response, dashboardPage())],
    ['/api/filters', api(() => filterOptions(engine))],
    ['/api/finance', api((params) => financeData(engine, parseFilters(params)))],
    ['/api/marketing', api((params) => marketingData(engine, parseFilters(params)))],
    [
      '/docs',
      async (_request, response) => {
        if (options.docsFile && existsSync(options.docsFile))
          return html(response, readFileSync(options.docsFile, 'utf8'));
        response.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' });
        response.end('No docs yet: run `dema docs generate` (it writes target/index.html).\n');
      },
    ],
    ['/ping', async (_request, response) => void response.end('Ok.\n')],
  ]);
}

/**
 * The dema web app: the dashboard, its JSON API, /docs, and ClickHouse's HTTP interface on `/`
 * (where ClickHouse clients expect it). Every request passes the token check first.
 */
export function createWebServer(options: WebOptions): Server {
  const table = routes(options);
  return createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
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
    const route = table.get(url.pathname);
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

function notFound(response: ServerResponse): void {
  response.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' });
  response.end('Not found. Pages: /dashboard, /docs; ClickHouse HTTP interface: /?query=…\n');
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
