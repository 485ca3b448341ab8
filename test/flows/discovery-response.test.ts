/**
 * Discovery and the JWKS are served as precomputed responses written straight to the socket (the hot path
 * of every client and resource server): they must still carry every header the other endpoints get, and
 * the JWKS must follow key rotation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateKeys } from '../../src/keys/key-ring.js';
import { resolveSecret } from '../../src/keys/secret.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});

afterAll(async () => {
  await ts?.close();
});

const documents = [
  ['/.well-known/openid-configuration', /^application\/json; charset=utf-8$/],
  ['/.well-known/oauth-authorization-server', /^application\/json; charset=utf-8$/],
  ['/jwks', /^application\/jwk-set\+json; charset=utf-8$/],
] as const;

describe('precomputed discovery and JWKS responses', () => {
  for (const [path, contentType] of documents) {
    it(`${path}: status, content type, length, caching, CORS and the security headers`, async () => {
      const res = await fetch(`${ts.issuer}${path}`);
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(contentType);
      expect(Number(res.headers.get('content-length'))).toBe(body.length);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(() => JSON.parse(body.toString('utf8'))).not.toThrow();
    });

    it(`${path}: HEAD answers the same headers without a body`, async () => {
      const get = await fetch(`${ts.issuer}${path}`);
      const head = await fetch(`${ts.issuer}${path}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
      expect((await head.arrayBuffer()).byteLength).toBe(0);
    });
  }

  it('serves the new key set after a rotation (not a stale copy)', async () => {
    const before = (await (await fetch(`${ts.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    const { config, store, keys } = ts.latch;
    const rotation = await rotateKeys({ repo: store.keys, secret: await resolveSecret(config), algorithms: config.keyAlgorithms });
    await keys.reload();
    const res = await fetch(`${ts.issuer}/jwks`);
    const text = await res.text();
    const after = JSON.parse(text) as { keys: { kid: string }[] };
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    const kids = after.keys.map((k) => k.kid);
    for (const created of rotation.created) expect(kids).toContain(created);
    expect(kids).not.toEqual(before.keys.map((k) => k.kid));
  });
});
