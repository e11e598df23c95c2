import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The token a request presents, in any of the ways a browser, curl or a ClickHouse client sends
 * one: `Authorization: Bearer T`, `?token=T`, or ClickHouse credentials with T as the password
 * (basic auth, `X-ClickHouse-Key`, or `?password=`).
 */
export function presentedToken(request: IncomingMessage, url: URL): string | undefined {
  const authorization = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization)?.[1];
  if (bearer) return bearer.trim();
  const basic = /^Basic\s+(.+)$/i.exec(authorization)?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0 && colon < decoded.length - 1) return decoded.slice(colon + 1);
  }
  const key = request.headers['x-clickhouse-key'];
  if (typeof key === 'string' && key) return key;
  return url.searchParams.get('token') ?? url.searchParams.get('password') ?? undefined;
}

/** Compares in constant time: both sides are hashed first, so neither length nor content leaks. */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined || expected === '') return false;
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

/** Any address outside 127.0.0.0/8 and ::1 can be reached by other machines, so it needs a token. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/**
 * Without a token, only requests that name this machine's loopback in their Host header are
 * served. A web page elsewhere can make the browser send requests to 127.0.0.1, and with DNS
 * rebinding (its own name resolving to 127.0.0.1) even read the answers as same-origin: its Host
 * header then carries its own name. No Host header (not a browser) is let through.
 */
export function hostIsLoopback(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return true;
  const host = /^(\[[^\]]*\]|[^:]*)(:\d*)?$/.exec(hostHeader.trim())?.[1];
  return host !== undefined && isLoopback(host.toLowerCase());
}
