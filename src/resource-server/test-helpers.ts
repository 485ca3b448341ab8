/** A real Latch with APIs and clients for the resource-server tests (test support; not built into dist/). */
import { createApi } from '../admin/apis.js';
import { rotateKeys } from '../keys/key-ring.js';
import { resolveSecret } from '../keys/secret.js';
import { startTestServer, type TestClient, type TestServer } from '../../test/helpers/server.js';
import { expectTokens, revoke, tokenRequest } from '../../test/helpers/oauth.js';

export const PHOTOS = 'https://photos.example';
export const OTHER = 'https://other.example';
export const OPAQUE = 'https://opaque-photos.example';

export interface Fixture {
  ts: TestServer;
  /** An m2m client that may use every API's scopes (tokens via client credentials). */
  app: TestClient;
  /** The m2m client the APIs introspect with. */
  introspector: { clientId: string; clientSecret: string };
  token(resource: string, scope?: string): Promise<string>;
  revoke(token: string): Promise<void>;
  /** A JWT access token signed by Latch's active ES256 key, with the given claims over sensible defaults. */
  signed(claims: Record<string, unknown>, typ?: string): Promise<string>;
  /** One key rotation step, seen by Latch at once. */
  rotate(): Promise<void>;
  close(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const ts = await startTestServer();
  // RFC 7662 §4: the APIs let their resource server's own client introspect their tokens.
  const rs = await ts.client({ kind: 'm2m' });
  const introspectionClients = [rs.clientId];
  await createApi(ts.latch.store, { identifier: PHOTOS, scopes: ['read:photos', 'write:photos'], introspectionClients });
  await createApi(ts.latch.store, { identifier: OTHER, scopes: ['read:photos'], introspectionClients });
  await createApi(ts.latch.store, { identifier: OPAQUE, scopes: ['read:photos'], tokenFormat: 'opaque', introspectionClients });
  const app = await ts.client({ kind: 'm2m', scopes: ['read:photos write:photos'] });
  const introspector = { clientId: rs.clientId, clientSecret: rs.clientSecret! };
  const auth = { clientId: app.clientId, clientSecret: app.clientSecret! };
  return {
    ts,
    app,
    introspector,
    async token(resource, scope = 'read:photos') {
      const res = await tokenRequest(ts, { grant_type: 'client_credentials', resource, scope }, auth);
      return expectTokens(res).access_token as string;
    },
    async revoke(token) {
      const res = await revoke(ts, token, auth);
      if (res.status !== 200) throw new Error(`revoke: ${res.status} ${res.text}`);
    },
    async signed(claims, typ = 'at+jwt') {
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: ts.issuer, sub: 'someone', aud: PHOTOS, client_id: app.clientId, scope: 'read:photos', jti: `j${now}${Math.random()}`, iat: now, exp: now + 600, ...claims };
      return ts.latch.keys.sign(payload, { alg: 'ES256', typ });
    },
    async rotate() {
      const config = ts.latch.config;
      await rotateKeys({ repo: ts.latch.store.keys, secret: await resolveSecret(config), algorithms: config.keyAlgorithms });
      await ts.latch.keys.reload();
    },
    close: () => ts.close(),
  };
}

/** A fetch that counts the requests to each path. */
export function countingFetch(): { fetch: typeof fetch; calls(path: string): number } {
  const counts = new Map<string, number>();
  return {
    fetch: (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1);
      return fetch(input, init);
    },
    calls: (path) => counts.get(path) ?? 0,
  };
}
