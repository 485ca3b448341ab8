/**
 * Logos (the brand's and clients' logo_uri) as copies Latch fetched itself and serves from its own origin, so the
 * pages' img-src stays 'self'. A copy is at most 256 KB of PNG, JPEG, GIF or WebP (the bytes' magic numbers must
 * agree with the Content-Type), fetched only through outboundFetch (https to public addresses, unless
 * LATCH_FETCH_ALLOW_PRIVATE) with a 3 s timeout; the cache is bounded
 * in entries, per instance (created at start and passed in), and refetches after a while. A failed fetch means no
 * logo for a short while, never an error page.
 */
import { createHash } from 'node:crypto';
import { isImageSourceUrl } from '../config/brand-values.js';
import { OutboundFetchError, type OutboundFetchReason, outboundFetch, type OutboundResponse } from '../outbound/index.js';

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export interface LogoCopy {
  body: Buffer;
  contentType: ImageType;
  /** Strong ETag value (quoted), also the copy's version in the pages' img URLs. */
  etag: string;
}

/** What the pages and the logo routes need of the cache. */
export interface LogoSource {
  /** The copy of the image at `url`, fetched now if there is no fresh one; undefined when it cannot be had. */
  get(url: string): Promise<LogoCopy | undefined>;
}

export interface LogoCacheOptions {
  maxBytes?: number;
  timeoutMs?: number;
  /** How long a copy is served before it is fetched again. */
  ttlMs?: number;
  /** How long a failure is remembered (no logo) before the next try. */
  failureTtlMs?: number;
  maxEntries?: number;
  maxRedirects?: number;
  /** LATCH_FETCH_ALLOW_PRIVATE: logos on private, loopback and link-local addresses (and loopback http) too. */
  allowPrivate?: boolean;
  /** Milliseconds. */
  now?: () => number;
  onFailure?: (url: string, reason: string) => void;
}

export class LogoFetchError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'LogoFetchError';
  }
}

/** The image type the bytes say they are, by their magic numbers; undefined for anything else (SVG included). */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  const starts = (sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'image/gif';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return undefined;
}

/** Fetches one image under the rules above, through outboundFetch; throws LogoFetchError saying why not. */
export async function fetchImage(
  url: string,
  options: { maxBytes: number; timeoutMs: number; maxRedirects: number; allowPrivate?: boolean },
): Promise<LogoCopy> {
  let response: OutboundResponse;
  try {
    response = await outboundFetch(url, {
      allowPrivate: options.allowPrivate ?? false,
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      maxRedirects: options.maxRedirects,
      headers: { accept: IMAGE_TYPES.join(', ') },
      acceptStatus: (status) => status === 200,
    });
  } catch (err) {
    if (!(err instanceof OutboundFetchError)) throw new LogoFetchError('fetch failed');
    throw new LogoFetchError(failureText[err.reason](options) + ` (${err.message})`);
  }
  const header = response.headers['content-type'];
  const declared = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!(IMAGE_TYPES as readonly string[]).includes(declared)) throw new LogoFetchError(`Content-Type ${declared || '(none)'} is not PNG, JPEG, GIF or WebP`);
  const sniffed = sniffImageType(response.body);
  if (sniffed !== declared) throw new LogoFetchError(`the bytes are ${sniffed ?? 'not an image'}, not ${declared}`);
  const etag = `"${createHash('sha256').update(response.body).digest('base64url').slice(0, 22)}"`;
  return { body: response.body, contentType: sniffed, etag };
}

const failureText: Record<OutboundFetchReason, (o: { maxBytes: number; timeoutMs: number }) => string> = {
  scheme: () => 'not an https (or, with LATCH_FETCH_ALLOW_PRIVATE, loopback http) URL',
  address: () => 'not a public address (LATCH_FETCH_ALLOW_PRIVATE is off)',
  timeout: (o) => `no answer within ${o.timeoutMs} ms`,
  too_large: (o) => `larger than ${o.maxBytes} bytes`,
  redirects: () => 'too many redirects',
  network: () => 'fetch failed',
  status: () => 'unexpected status',
};

interface Entry {
  copy: LogoCopy | undefined;
  expiresAt: number;
}

export function createLogoCache(options: LogoCacheOptions = {}): LogoSource {
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const timeoutMs = options.timeoutMs ?? 3000;
  const ttlMs = options.ttlMs ?? 60 * 60_000;
  const failureTtlMs = options.failureTtlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 100;
  const maxRedirects = options.maxRedirects ?? 3;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const pending = new Map<string, Promise<LogoCopy | undefined>>();

  function remember(url: string, entry: Entry): void {
    entries.delete(url);
    entries.set(url, entry);
    // Least recently used first (Map order): drop it while over the bound.
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  }

  async function load(url: string): Promise<LogoCopy | undefined> {
    try {
      const copy = await fetchImage(url, { maxBytes, timeoutMs, maxRedirects, allowPrivate: options.allowPrivate ?? false });
      remember(url, { copy, expiresAt: now() + ttlMs });
      return copy;
    } catch (err) {
      options.onFailure?.(url, (err as Error).message);
      remember(url, { copy: undefined, expiresAt: now() + failureTtlMs });
      return undefined;
    } finally {
      pending.delete(url);
    }
  }

  return {
    async get(url) {
      if (!isImageSourceUrl(url)) return undefined;
      const entry = entries.get(url);
      if (entry && entry.expiresAt > now()) {
        remember(url, entry);
        return entry.copy;
      }
      const inFlight = pending.get(url);
      if (inFlight) return inFlight;
      const loading = load(url);
      pending.set(url, loading);
      return loading;
    },
  };
}
