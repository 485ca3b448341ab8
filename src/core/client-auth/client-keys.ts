/**
 * A client's public keys, from its registered `jwks` or its `jwks_uri` (RFC 7591 §2), for private_key_jwt assertions
 * and signed request objects. A jwks_uri is fetched through the outbound fetch (https, public addresses, timeout,
 * size limit) and kept for `maxAgeSeconds` in a small cache that belongs to one instance (created at start); a kid
 * the cached set does not have makes one refetch, so that a client's key rotation works at once.
 */
import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { outboundFetch, type OutboundFetchOptions, type OutboundResponse } from '../../outbound/index.js';
import type { ClientRecord } from '../../storage/types.js';

export interface ClientKeys {
  /** A key resolver for jose's jwtVerify over the client's keys; it throws ClientKeysError when there are none. */
  resolver(client: ClientRecord): JWTVerifyGetKey;
}

export class ClientKeysError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientKeysError';
  }
}

export interface ClientKeysOptions {
  /** LATCH_FETCH_ALLOW_PRIVATE (tests). */
  allowPrivate: boolean;
  maxAgeSeconds?: number;
  /** Most jwks_uri sets kept; the oldest is dropped first. */
  maxEntries?: number;
  fetch?: (url: string, options: OutboundFetchOptions) => Promise<OutboundResponse>;
  now?: () => number;
}

interface Entry {
  keys: ReturnType<typeof createLocalJWKSet>;
  fetchedAt: number;
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  return typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys);
}

export function createClientKeys(options: ClientKeysOptions): ClientKeys {
  const maxAge = options.maxAgeSeconds ?? 300;
  const maxEntries = options.maxEntries ?? 1000;
  const fetch = options.fetch ?? outboundFetch;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const cache = new Map<string, Entry>();
  const pending = new Map<string, Promise<Entry>>();

  async function download(uri: string): Promise<Entry> {
    let set: unknown;
    try {
      const answer = await fetch(uri, { allowPrivate: options.allowPrivate, timeoutMs: 5000, maxBytes: 256 * 1024, headers: { accept: 'application/json' } });
      set = JSON.parse(answer.body.toString('utf8'));
    } catch (err) {
      throw new ClientKeysError(`the client's jwks_uri could not be fetched: ${err instanceof Error ? err.message : 'failed'}`);
    }
    if (!isKeySet(set)) throw new ClientKeysError("the client's jwks_uri did not answer a JWK set");
    const entry = { keys: createLocalJWKSet(set), fetchedAt: now() };
    cache.delete(uri);
    cache.set(uri, entry);
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    return entry;
  }

  /** The cached set, or a fetched one (`fetched`: by this call, so refetching it again would not help). */
  async function load(uri: string, force: boolean): Promise<{ entry: Entry; fetched: boolean }> {
    const cached = cache.get(uri);
    if (!force && cached && now() - cached.fetchedAt < maxAge) return { entry: cached, fetched: false };
    let running = pending.get(uri);
    if (!running) {
      running = download(uri).finally(() => pending.delete(uri));
      pending.set(uri, running);
    }
    return { entry: await running, fetched: true };
  }

  return {
    resolver(client) {
      const { jwks, jwks_uri: uri } = client.metadata;
      if (jwks && jwks.keys.length > 0) return createLocalJWKSet(jwks);
      if (!uri) {
        return async () => {
          throw new ClientKeysError('the client has no registered keys (jwks or jwks_uri)');
        };
      }
      return async (header, token) => {
        const first = await load(uri, false);
        try {
          return await first.entry.keys(header, token);
        } catch (err) {
          // An unknown kid: the client may have rotated its keys since the set was cached; fetch it once more.
          if (!(err instanceof joseErrors.JWKSNoMatchingKey) || first.fetched) throw err;
          return (await load(uri, true)).entry.keys(header, token);
        }
      };
    },
  };
}

/** Only the keys registered inline: what a caller without a ClientKeys (older tests) gets. */
export const inlineClientKeys: ClientKeys = {
  resolver(client) {
    const { jwks } = client.metadata;
    if (jwks && jwks.keys.length > 0) return createLocalJWKSet(jwks);
    return async () => {
      throw new ClientKeysError('the client has no registered keys');
    };
  },
};
