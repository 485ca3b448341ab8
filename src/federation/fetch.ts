/**
 * openid-client's HTTP requests (discovery, JWKS, token, userinfo) through Latch's outbound fetch: https only,
 * public addresses only (unless LATCH_FETCH_ALLOW_PRIVATE), one timeout and a body limit per request.
 */
import type { CustomFetch } from 'openid-client';
import { OutboundFetchError, outboundFetch } from '../outbound/index.js';

export interface FederationFetchOptions {
  allowPrivate: boolean;
  timeoutMs?: number;
  maxBytes?: number;
}

function bodyText(body: unknown): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('a streamed request body is not sent upstream');
}

export function federationFetch(options: FederationFetchOptions): CustomFetch {
  return async (url, init) => {
    const method = init.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw new OutboundFetchError('scheme', new URL(url).origin, `method ${method} is not used upstream`);
    const body = bodyText(init.body);
    const answer = await outboundFetch(url, {
      method,
      headers: init.headers,
      ...(body !== undefined ? { body } : {}),
      allowPrivate: options.allowPrivate,
      timeoutMs: options.timeoutMs ?? 5000,
      maxBytes: options.maxBytes ?? 512 * 1024,
      // An error answer (400 invalid_grant, 401 at userinfo) is for openid-client to read.
      acceptStatus: (status) => status >= 200 && status < 600,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
    }
    const empty = answer.status === 204 || answer.status === 205 || answer.status === 304;
    return new Response(empty ? null : new Uint8Array(answer.body), { status: answer.status, headers });
  };
}

/** The OutboundFetchError behind an error of openid-client (it wraps some of them), if any. */
export function outboundCause(err: unknown): OutboundFetchError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundFetchError) return e;
  }
  return undefined;
}
