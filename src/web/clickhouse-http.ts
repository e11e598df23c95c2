import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { clickhouseErrorBody, type ReadonlyEngine, readonlyErrorBody } from './engine.ts';
import { checkReadOnly, settingChange, statementFormat, withoutFormat } from './readonly.ts';

/** Request bodies above this are refused: a reading statement is never that long. */
const MAX_BODY = 1024 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  JSON: 'application/json; charset=UTF-8',
  JSONCompact: 'application/json; charset=UTF-8',
  JSONEachRow: 'application/x-ndjson; charset=UTF-8',
  CSV: 'text/csv; charset=UTF-8; header=absent',
  CSVWithNames: 'text/csv; charset=UTF-8; header=present',
};

/** The body as text; undefined when it (or, gzipped, what it inflates to) is over MAX_BODY. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  const encoding = request.headers['content-encoding'];
  if (encoding !== 'gzip') return raw.toString('utf8');
  try {
    // Bounded: a megabyte of gzip can inflate to a gigabyte.
    return gunzipSync(raw, { maxOutputLength: MAX_BODY }).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    throw new BadBody(`cannot decompress the request body (gzip): ${(error as Error).message}`);
  }
}

class BadBody extends Error {}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  const failed = status >= 400;
  response.writeHead(status, {
    'Content-Type': failed ? 'text/plain; charset=UTF-8' : 'text/plain; charset=UTF-8',
    ...(failed ? { 'X-ClickHouse-Exception-Code': /^Code: (\d+)/.exec(body)?.[1] ?? '1000' } : {}),
    ...headers,
  });
  response.end(body);
}

/**
 * ClickHouse's HTTP interface (the subset clients use), read-only: `GET /ping`, and `GET|POST /`
 * with the statement in `?query=` and/or the body, `database`, `default_format`. A statement is
 * refused unless the statement check passes and no URL parameter tries to change a setting; the
 * engine's own `readonly = 1` then refuses anything the check let through.
 */
export async function handleClickHouse(
  engine: ReadonlyEngine,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  const params = url.searchParams;
  let body: string | undefined;
  try {
    // Any method may carry the statement in its body (ClickHouse reads it for all but HEAD): a PUT
    // or a GET with a body must be checked, never answered "Ok." as if it had run.
    body = request.method === 'HEAD' ? '' : await readBody(request);
  } catch (error) {
    if (!(error instanceof BadBody)) throw error;
    return send(response, 400, `Code: 354. DB::Exception: ${error.message}. (ZLIB_INFLATE_FAILED)\n`);
  }
  if (body === undefined) return send(response, 413, 'Code: 1000. DB::Exception: request body too large.\n');
  const fromUrl = params.get('query') ?? '';
  const sql = fromUrl && body ? `${fromUrl}\n${body}` : fromUrl || body;
  if (!sql.trim()) return send(response, 200, 'Ok.\n');
  const setting = settingChange(params);
  if (setting) {
    const { status, body: text } = setting.startsWith('param_')
      ? {
          status: 400,
          body: 'Code: 48. DB::Exception: query parameters are not supported by dema serve; inline the values. (NOT_IMPLEMENTED)\n',
        }
      : readonlyErrorBody(`cannot modify '${setting}' setting in readonly mode`);
    return send(response, status, text);
  }
  const verdict = checkReadOnly(sql);
  if (!verdict.ok) {
    const refused = readonlyErrorBody(verdict.reason);
    return send(response, refused.status, refused.body);
  }
  const format = statementFormat(sql) ?? params.get('default_format') ?? 'TabSeparated';
  const started = process.hrtime.bigint();
  try {
    const text = await engine.text(withoutFormat(sql), format, params.get('database') ?? undefined);
    const elapsed = String(process.hrtime.bigint() - started);
    send(response, 200, text, {
      'Content-Type': CONTENT_TYPES[format] ?? 'text/plain; charset=UTF-8',
      'X-ClickHouse-Format': format,
      'X-ClickHouse-Query-Id': params.get('query_id') ?? '',
      // Only what is known here: the Warehouse interface returns text, not the engine's read counts.
      'X-ClickHouse-Summary': JSON.stringify({
        written_rows: '0',
        written_bytes: '0',
        result_bytes: String(Buffer.byteLength(text)),
        elapsed_ns: elapsed,
      }),
    });
  } catch (error) {
    const failed = clickhouseErrorBody(error);
    send(response, failed.status, failed.body);
  }
}
