/**
 * The one way Latch fetches from elsewhere (logos; discovery, JWKS, token and userinfo of upstream providers).
 * https only; every address a host name resolves to must be public (see address-policy.ts) and the connection goes
 * to the address that was checked, so DNS cannot change its answer in between; at most `maxRedirects` redirects,
 * each hop checked again; one timeout for the whole exchange and a body limit enforced while the bytes arrive.
 * `allowPrivate` (LATCH_FETCH_ALLOW_PRIVATE, tests) lifts the address rule and allows http to loopback hosts.
 */
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { createAddressPolicy } from './address-policy.js';

export type OutboundFetchReason = 'scheme' | 'address' | 'timeout' | 'too_large' | 'redirects' | 'network' | 'status';

/** Its message names the URL's origin (scheme, host, port), never its path, query or credentials. */
export class OutboundFetchError extends Error {
  constructor(
    readonly reason: OutboundFetchReason,
    readonly origin: string,
    detail: string,
    readonly status?: number,
  ) {
    super(`${origin}: ${detail}`);
    this.name = 'OutboundFetchError';
  }
}

export interface OutboundFetchOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Lift the address rule and allow http to loopback hosts (LATCH_FETCH_ALLOW_PRIVATE; tests). */
  allowPrivate?: boolean;
  /** The whole exchange, redirects included; default 5000. */
  timeoutMs?: number;
  /** Largest body accepted; default 1 MB. */
  maxBytes?: number;
  /** Redirects followed (GET only); default 3. */
  maxRedirects?: number;
  /**
   * Replaces the address rule (applied even with allowPrivate): true for an address Latch may connect to. For tests
   * that need one loopback origin allowed and the rule kept for every other hop.
   */
  addressPolicy?: (address: string) => boolean;
  /** The resolver, all addresses of a host name (tests); default node:dns lookup. */
  resolve?: (host: string) => Promise<Array<{ address: string; family: number }>>;
  /** Statuses that are an answer; others throw reason 'status'. Default: 200-299. */
  acceptStatus?: (status: number) => boolean;
}

export interface OutboundResponse {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const systemResolve = (host: string) => lookup(host, { all: true, verbatim: true });

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !['authorization', 'cookie', 'proxy-authorization'].includes(name.toLowerCase())));
}

function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function isLoopbackName(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

function parseUrl(value: string | URL, base?: URL): URL {
  try {
    return new URL(value, base);
  } catch {
    throw new OutboundFetchError('scheme', '(invalid URL)', 'not a URL');
  }
}

/** The checked address to connect to; throws when the URL or any address is not allowed. */
async function resolveChecked(url: URL, options: OutboundFetchOptions, isAllowed: ((address: string) => boolean) | undefined): Promise<{ address: string; family: 4 | 6 }> {
  const origin = originOf(url);
  if (url.username !== '' || url.password !== '') throw new OutboundFetchError('scheme', origin, 'credentials in the URL are not sent');
  const httpAllowed = options.allowPrivate === true && url.protocol === 'http:' && isLoopbackName(bareHost(url));
  if (url.protocol !== 'https:' && !httpAllowed) throw new OutboundFetchError('scheme', origin, 'not an https URL');
  const host = bareHost(url);
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (options.resolve ?? systemResolve)(host);
    } catch (err) {
      throw new OutboundFetchError('network', origin, `cannot resolve the host (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const first = addresses[0];
  if (!first) throw new OutboundFetchError('network', origin, 'the host has no address');
  if (isAllowed) {
    const refused = addresses.find((a) => !isAllowed(a.address));
    if (refused) throw new OutboundFetchError('address', origin, `${refused.address} is not a public address`);
  }
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

interface Hop {
  status: number;
  headers: http.IncomingHttpHeaders;
  body?: Buffer;
}

function requestOnce(url: URL, target: { address: string; family: 4 | 6 }, options: OutboundFetchOptions, signal: AbortSignal, maxBytes: number, method: string): Promise<Hop> {
  const origin = originOf(url);
  // Connect to the address checked above, whatever the resolver would say now.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<Hop>((resolveHop, rejectHop) => {
    let settled = false;
    const resolve = (hop: Hop) => void (settled || ((settled = true), resolveHop(hop)));
    const reject = (err: unknown) => void (settled || ((settled = true), rejectHop(err)));
    const req = transport.request(
      url,
      { method, headers: { 'user-agent': 'Latch', ...options.headers }, lookup: pinned, signal, agent: false },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          resolve({ status, headers: res.headers });
          return;
        }
        const declared = Number(res.headers['content-length'] ?? NaN);
        if (declared > maxBytes) {
          reject(new OutboundFetchError('too_large', origin, `larger than ${maxBytes} bytes (Content-Length ${declared})`));
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.byteLength;
          if (total > maxBytes) {
            reject(new OutboundFetchError('too_large', origin, `larger than ${maxBytes} bytes`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (err) => reject(err));
        res.on('aborted', () => reject(new Error('the answer was cut off')));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Fetches `url` under the rules above; throws OutboundFetchError saying why not. */
export async function outboundFetch(input: string | URL, options: OutboundFetchOptions = {}): Promise<OutboundResponse> {
  const allowPrivate = options.allowPrivate ?? false;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const maxRedirects = options.maxRedirects ?? 3;
  const acceptStatus = options.acceptStatus ?? ((s: number) => s >= 200 && s < 300);
  const method = options.method ?? 'GET';
  const signal = AbortSignal.timeout(timeoutMs);
  const isAllowed = options.addressPolicy ?? (allowPrivate ? undefined : createAddressPolicy());
  let url = parseUrl(input);
  let headers = { ...options.headers };
  for (let hop = 0; ; hop++) {
    const origin = originOf(url);
    let answer: Hop;
    try {
      const target = await resolveChecked(url, { ...options, headers }, isAllowed);
      if (signal.aborted) throw new Error('timeout');
      answer = await requestOnce(url, target, { ...options, headers }, signal, maxBytes, method);
    } catch (err) {
      if (err instanceof OutboundFetchError) throw err;
      if (signal.aborted) throw new OutboundFetchError('timeout', origin, `no answer within ${timeoutMs} ms`);
      const code = (err as NodeJS.ErrnoException).code;
      throw new OutboundFetchError('network', origin, `fetch failed${code ? ` (${code})` : ''}`);
    }
    if (!answer.body) {
      if (method !== 'GET') throw new OutboundFetchError('redirects', origin, `redirect (${answer.status}) refused for ${method}`);
      if (hop >= maxRedirects) throw new OutboundFetchError('redirects', origin, `too many redirects (more than ${maxRedirects})`);
      const next = parseUrl(String(answer.headers.location), url);
      // Credentials meant for one origin are not sent to another (RFC 9110 §15.4: a redirect may change the target).
      if (next.origin !== url.origin) headers = withoutCredentials(headers);
      url = next;
      continue;
    }
    if (!acceptStatus(answer.status)) throw new OutboundFetchError('status', origin, `status ${answer.status}`, answer.status);
    return { url: url.href, status: answer.status, headers: answer.headers, body: answer.body };
  }
}
