import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationServerUnavailable, BearerError } from './bearer-error.js';
import { countingFetch, type Fixture, OPAQUE, OTHER, PHOTOS, startFixture } from './test-helpers.js';
import { createTokenVerifier, type TokenVerifierOptions } from './verifier.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.close();
});

function verifier(options: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({ issuer: fx.ts.issuer, audience: PHOTOS, ...options });
}

async function refusal(promise: Promise<unknown>): Promise<BearerError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BearerError);
  return err as BearerError;
}

describe('JWT access tokens, verified locally', () => {
  it('accepts a valid token and returns its claims and scopes', async () => {
    const token = await fx.token(PHOTOS, 'read:photos write:photos');
    const auth = await verifier({ scopes: ['read:photos'] }).verify(`Bearer ${token}`);
    expect(auth.format).toBe('jwt');
    expect(auth.scopes).toEqual(['read:photos', 'write:photos']);
    expect(auth.claims).toMatchObject({ iss: fx.ts.issuer, aud: PHOTOS, sub: fx.app.clientId, client_id: fx.app.clientId });
  });

  it('refuses an expired token: 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const err = await refusal(verifier().verify(`Bearer ${await fx.signed({ iat: now - 700, exp: now - 60 })}`));
    expect(err.status).toBe(401);
    expect(err.code).toBe('invalid_token');
    expect(err.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token", error_description="the access token has expired"');
  });

  it('refuses a token for another API: 401 invalid_token (audience)', async () => {
    const err = await refusal(verifier().verify(`Bearer ${await fx.token(OTHER)}`));
    expect(err.status).toBe(401);
    expect(err.description).toMatch(/not for this API/);
  });

  it('refuses a token without a required scope: 403 insufficient_scope naming the scope', async () => {
    const token = await fx.token(PHOTOS, 'read:photos');
    const err = await refusal(verifier({ scopes: ['read:photos'], realm: 'photos' }).verify(`Bearer ${token}`, ['write:photos']));
    expect(err.status).toBe(403);
    expect(err.code).toBe('insufficient_scope');
    expect(err.headers['WWW-Authenticate']).toBe(
      'Bearer realm="photos", error="insufficient_scope", error_description="the access token lacks the scope write:photos", scope="read:photos write:photos"',
    );
  });

  it('refuses a JWT that is not an access token (typ), from another issuer, or tampered with', async () => {
    expect((await refusal(verifier().verify(`Bearer ${await fx.signed({}, 'JWT')}`))).description).toMatch(/typ must be at\+jwt/);
    expect((await refusal(verifier().verify(`Bearer ${await fx.signed({ iss: 'https://evil.example' })}`))).description).toMatch(/another authorization server/);
    const token = await fx.token(PHOTOS);
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${p}.${s!.slice(0, -4)}${s!.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect((await refusal(verifier().verify(`Bearer ${tampered}`))).code).toBe('invalid_token');
  });

  it('keeps working across key rotations: refetches the JWKS only for an unknown kid', async () => {
    const counter = countingFetch();
    const v = verifier({ fetch: counter.fetch, jwksCooldown: 0 });
    const before = await fx.token(PHOTOS);
    await v.verify(`Bearer ${before}`);
    expect(counter.calls('/jwks')).toBe(1);

    // One rotation: the new active key was published as `next` beforehand, so the cached JWKS already has it.
    await fx.rotate();
    const afterOne = await fx.token(PHOTOS);
    expect(decodeProtectedHeader(afterOne).kid).not.toBe(decodeProtectedHeader(before).kid);
    await v.verify(`Bearer ${afterOne}`);
    expect(counter.calls('/jwks')).toBe(1);

    // A second rotation activates a key the cached JWKS has never seen: one refetch, no restart.
    await fx.rotate();
    const afterTwo = await fx.token(PHOTOS);
    await v.verify(`Bearer ${afterTwo}`);
    expect(counter.calls('/jwks')).toBe(2);
    // Tokens signed before the rotations stay valid (retired keys are still published).
    await v.verify(`Bearer ${before}`);
    expect(counter.calls('/.well-known/openid-configuration')).toBe(1);
  });
});

describe('opaque access tokens, checked by introspection', () => {
  it('accepts an active token for this API, and refuses it once revoked', async () => {
    const counter = countingFetch();
    const v = verifier({ audience: OPAQUE, introspection: fx.introspector, introspectionCacheTtl: 0, fetch: counter.fetch });
    const token = await fx.token(OPAQUE);
    const auth = await v.verify(`Bearer ${token}`, ['read:photos']);
    expect(auth.format).toBe('opaque');
    expect(auth.claims).toMatchObject({ aud: OPAQUE, client_id: fx.app.clientId, sub: fx.app.clientId, scope: 'read:photos' });
    await fx.revoke(token);
    const err = await refusal(v.verify(`Bearer ${token}`));
    expect(err.status).toBe(401);
    expect(err.description).toMatch(/revoked/);
    expect(counter.calls('/introspect')).toBe(2);
  });

  it('reuses an answer for a short while (cache), keyed by the token', async () => {
    const counter = countingFetch();
    const v = verifier({ audience: OPAQUE, introspection: fx.introspector, fetch: counter.fetch });
    const token = await fx.token(OPAQUE);
    await v.verify(`Bearer ${token}`);
    await v.verify(`Bearer ${token}`);
    expect(counter.calls('/introspect')).toBe(1);
    await v.verify(`Bearer ${await fx.token(OPAQUE)}`);
    expect(counter.calls('/introspect')).toBe(2);
  });

  it('refuses an opaque token for another API, and opaque tokens without introspection credentials', async () => {
    const token = await fx.token(OPAQUE);
    const wrongApi = verifier({ audience: PHOTOS, introspection: fx.introspector });
    expect((await refusal(wrongApi.verify(`Bearer ${token}`))).description).toMatch(/not for this API/);
    expect((await refusal(verifier({ audience: OPAQUE }).verify(`Bearer ${token}`))).description).toMatch(/no introspection credentials/);
  });

  it('answers 503 (not the caller\'s fault) when its introspection credentials are wrong', async () => {
    const v = verifier({ audience: OPAQUE, introspection: { clientId: fx.introspector.clientId, clientSecret: 'wrong' } });
    await expect(v.verify(`Bearer ${await fx.token(OPAQUE)}`)).rejects.toBeInstanceOf(AuthorizationServerUnavailable);
  });
});

describe('the Authorization header (RFC 6750 §2.1, §3.1)', () => {
  it('without a token: 401 with a bare challenge, no error code', async () => {
    for (const header of [undefined, 'Basic dXNlcjpwYXNz']) {
      const err = await refusal(verifier().verify(header));
      expect(err.status).toBe(401);
      expect(err.code).toBeUndefined();
      expect(err.headers['WWW-Authenticate']).toBe('Bearer');
    }
    expect((await refusal(verifier({ realm: 'photos' }).verify(undefined))).headers['WWW-Authenticate']).toBe('Bearer realm="photos"');
  });

  it.each(['Bearer', 'Bearer   ', 'Bearer a b', 'Bearer tok"en'])('malformed %j: 400 invalid_request', async (header) => {
    const err = await refusal(verifier().verify(header));
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_request');
  });

  it('an opaque-looking garbage token: 401 invalid_token; a JWT-looking one that is not: 401 invalid_token', async () => {
    expect((await refusal(verifier({ audience: OPAQUE, introspection: fx.introspector }).verify('Bearer nonsense'))).code).toBe('invalid_token');
    expect((await refusal(verifier().verify('bearer aaa.bbb.ccc'))).code).toBe('invalid_token');
  });

  it('answers 503 when Latch cannot be reached', async () => {
    const v = createTokenVerifier({ issuer: 'http://127.0.0.1:9', audience: PHOTOS });
    await expect(v.verify(`Bearer ${await fx.token(PHOTOS)}`)).rejects.toBeInstanceOf(AuthorizationServerUnavailable);
  });
});
