import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DemaError, errorMessage } from '../../errors.ts';

/**
 * Asks the server's /ping endpoint for "Ok." within `timeoutMs`, so a server that accepts the
 * connection and never answers fails the connect in seconds, not after the query timeout.
 */
export function pingServer(url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const target = new URL('/ping', url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { agent: false });
    const failed = (reason: string) =>
      reject(
        new DemaError('WAREHOUSE_CONNECT', `Cannot reach ClickHouse at ${url}: ${reason}.`, {
          hint: 'Is the server running and answering? Check the host and port of the target in dema.yml (or CLICKHOUSE_HOST / CLICKHOUSE_PORT); connect_timeout_ms sets this wait.',
        }),
      );
    const timer = setTimeout(() => {
      request.destroy();
      failed(`no answer to /ping within ${timeoutMs} ms`);
    }, timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      const code = (error as NodeJS.ErrnoException).code;
      failed(`${errorMessage(error)}${code ? ` (${code})` : ''}`);
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => {
        clearTimeout(timer);
        // Any HTTP answer proves a live server; authentication is checked by the first query.
        resolve();
      });
      response.on('error', () => {});
    });
    request.end();
  });
}
