/** The Fastify and Express middleware, in real apps on loopback, against a real Latch. */
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireToken as expressRequireToken } from './express.js';
import { requireToken as fastifyRequireToken } from './fastify.js';
import { type Fixture, OPAQUE, OTHER, PHOTOS, startFixture } from './test-helpers.js';
import { createTokenVerifier } from './verifier.js';

let fx: Fixture;
const apps: Record<string, { url: string; close(): Promise<void> }> = {};

async function fastifyApp(): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify();
  const photos = createTokenVerifier({ issuer: fx.ts.issuer, audience: PHOTOS, introspection: fx.introspector });
  app.get('/photos', { preHandler: fastifyRequireToken(photos, { scopes: ['read:photos'] }) }, async (request) => ({
    owner: request.latch.claims.sub,
    scopes: request.latch.scopes,
  }));
  app.post('/photos', { preHandler: fastifyRequireToken(photos, { scopes: ['write:photos'] }) }, async () => ({ saved: true }));
  app.get('/opaque', { preHandler: fastifyRequireToken({ issuer: fx.ts.issuer, audience: OPAQUE, introspection: fx.introspector, introspectionCacheTtl: 0 }) }, async (request) => ({
    owner: request.latch.claims.sub,
    format: request.latch.format,
  }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

async function expressApp(): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  const photos = createTokenVerifier({ issuer: fx.ts.issuer, audience: PHOTOS });
  app.get('/photos', expressRequireToken(photos, { scopes: ['read:photos'] }), (req, res) => {
    res.json({ owner: req.latch?.claims.sub, scopes: res.locals.latch.scopes });
  });
  app.post('/photos', expressRequireToken(photos, { scopes: ['write:photos'] }), (_req, res) => {
    res.json({ saved: true });
  });
  app.get('/opaque', expressRequireToken({ issuer: fx.ts.issuer, audience: OPAQUE, introspection: fx.introspector, introspectionCacheTtl: 0 }), (req, res) => {
    res.json({ owner: req.latch?.claims.sub, format: req.latch?.format });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

beforeAll(async () => {
  fx = await startFixture();
  apps.fastify = await fastifyApp();
  apps.express = await expressApp();
});

afterAll(async () => {
  for (const app of Object.values(apps)) await app.close();
  await fx?.close();
});

async function call(app: string, path: string, token?: string, method = 'GET') {
  const res = await fetch(`${apps[app]!.url}${path}`, { method, headers: token === undefined ? {} : { authorization: token } });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: (await res.json()) as Record<string, unknown> };
}

describe.each(['fastify', 'express'])('requireToken for %s', (app) => {
  it('lets a valid JWT through and hands the claims to the route', async () => {
    const res = await call(app, '/photos', `Bearer ${await fx.token(PHOTOS)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ owner: fx.app.clientId, scopes: ['read:photos'] });
  });

  it('401 with a bare Bearer challenge without a token', async () => {
    const res = await call(app, '/photos');
    expect(res.status).toBe(401);
    expect(res.challenge).toBe('Bearer');
  });

  it('400 invalid_request for a malformed header', async () => {
    const res = await call(app, '/photos', 'Bearer two words');
    expect(res.status).toBe(400);
    expect(res.challenge).toMatch(/^Bearer error="invalid_request"/);
    expect(res.body.error).toBe('invalid_request');
  });

  it('401 invalid_token for an expired token and for another API\'s token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await call(app, '/photos', `Bearer ${await fx.signed({ iat: now - 120, exp: now - 30 })}`);
    expect(expired.status).toBe(401);
    expect(expired.challenge).toBe('Bearer error="invalid_token", error_description="the access token has expired"');
    expect(expired.body).toEqual({ error: 'invalid_token', error_description: 'the access token has expired' });
    const other = await call(app, '/photos', `Bearer ${await fx.token(OTHER)}`);
    expect(other.status).toBe(401);
    expect(other.challenge).toMatch(/error="invalid_token".*wrong audience/);
  });

  it('403 insufficient_scope with the needed scope in the challenge', async () => {
    const res = await call(app, '/photos', `Bearer ${await fx.token(PHOTOS, 'read:photos')}`, 'POST');
    expect(res.status).toBe(403);
    expect(res.challenge).toMatch(/error="insufficient_scope"/);
    expect(res.challenge).toMatch(/scope="write:photos"/);
    expect(res.body.error).toBe('insufficient_scope');
    expect((await call(app, '/photos', `Bearer ${await fx.token(PHOTOS, 'write:photos')}`, 'POST')).body).toEqual({ saved: true });
  });

  it('checks an opaque token by introspection, and refuses it after revocation', async () => {
    const token = await fx.token(OPAQUE);
    const ok = await call(app, '/opaque', `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ owner: fx.app.clientId, format: 'opaque' });
    await fx.revoke(token);
    const revoked = await call(app, '/opaque', `Bearer ${token}`);
    expect(revoked.status).toBe(401);
    expect(revoked.challenge).toMatch(/error="invalid_token"/);
  });
});
