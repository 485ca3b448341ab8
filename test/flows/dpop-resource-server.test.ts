/**
 * latch/resource-server with DPoP (RFC 9449 §7): a Fastify and an Express API accept DPoP-bound tokens from Latch
 * (JWT and opaque) with proofs made by oauth4webapi, and refuse what RFC 9449 says to refuse, with DPoP challenges.
 */
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import express from 'express';
import Fastify from 'fastify';
import { generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/admin/apis.js';
import { createDpopNonces, createTokenVerifier, requireTokenExpress, requireTokenFastify } from '../../src/resource-server/index.js';
import { proof, proofKey } from '../helpers/dpop.js';
import { getJson, postForm } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const PHOTOS = 'https://photos.rs-dpop.example';
const OPAQUE = 'https://opaque.rs-dpop.example';

let ts: TestServer;
let m2m: TestClient;
let rs: TestClient;
let as: oauth.AuthorizationServer;
const apis: Record<'fastify' | 'express' | 'nonces', { url: string; close(): Promise<void> }> = {} as never;

async function fastifyApi(nonces = false) {
  const app = Fastify();
  const verifier = createTokenVerifier({
    issuer: ts.issuer,
    audience: PHOTOS,
    ...(nonces && { dpop: { nonces: createDpopNonces(randomBytes(32)) } }),
  });
  const opaque = createTokenVerifier({ issuer: ts.issuer, audience: OPAQUE, introspection: { clientId: rs.clientId, clientSecret: rs.clientSecret! }, introspectionCacheTtl: 0 });
  app.get('/photos', { preHandler: requireTokenFastify(verifier, { scopes: ['read:photos'] }) }, async (request) => ({ sub: request.latch.claims.sub, jkt: request.latch.jkt ?? null }));
  app.get('/opaque', { preHandler: requireTokenFastify(opaque) }, async (request) => ({ jkt: request.latch.jkt ?? null, format: request.latch.format }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

async function expressApi() {
  const app = express();
  const verifier = createTokenVerifier({ issuer: ts.issuer, audience: PHOTOS });
  app.get('/photos', requireTokenExpress(verifier, { scopes: ['read:photos'] }), (req, res) => {
    res.json({ sub: req.latch?.claims.sub, jkt: req.latch?.jkt ?? null });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

beforeAll(async () => {
  ts = await startTestServer();
  rs = await ts.client({ kind: 'm2m' });
  m2m = await ts.client({ kind: 'm2m', scopes: ['read:photos'] });
  await createApi(ts.latch.store, { identifier: PHOTOS, scopes: ['read:photos'], introspectionClients: [rs.clientId] });
  await createApi(ts.latch.store, { identifier: OPAQUE, scopes: ['read:photos'], tokenFormat: 'opaque', introspectionClients: [rs.clientId] });
  as = await oauth.processDiscoveryResponse(new URL(ts.issuer), await oauth.discoveryRequest(new URL(ts.issuer), insecure));
  apis.fastify = await fastifyApi();
  apis.express = await expressApi();
  apis.nonces = await fastifyApi(true);
});

afterAll(async () => {
  await Promise.all(Object.values(apis).map((api) => api.close()));
  await ts?.close();
});

/** A DPoP-bound token for `resource`, from client credentials through oauth4webapi. */
async function dpopToken(resource: string) {
  const rp: oauth.Client = { client_id: m2m.clientId };
  const DPoP = oauth.DPoP(rp, await generateKeyPair('ES256'));
  const response = await oauth.clientCredentialsGrantRequest(as, rp, oauth.ClientSecretBasic(m2m.clientSecret!), new URLSearchParams({ resource, scope: 'read:photos' }), { DPoP, ...insecure });
  const tokens = await oauth.processClientCredentialsResponse(as, rp, response);
  expect(tokens.token_type).toBe('dpop');
  return { token: tokens.access_token, DPoP, jkt: await DPoP.calculateThumbprint() };
}

function expectChallenge(res: { status: number; headers: Headers }, error: string): void {
  expect(res.status).toBe(401);
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^DPoP /);
  expect(challenge).toContain(`error="${error}"`);
  expect(challenge).toMatch(/algs="[^"]*ES256/);
}

describe.each(['fastify', 'express'] as const)('%s API with DPoP', (kind) => {
  it('accepts a DPoP-bound JWT with an oauth4webapi proof, and sees its jkt', async () => {
    const { token, DPoP, jkt } = await dpopToken(PHOTOS);
    const res = await oauth.protectedResourceRequest(token, 'GET', new URL(`${apis[kind].url}/photos?page=2`), new Headers(), null, { DPoP, ...insecure });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: m2m.clientId, jkt });
  });

  it('refuses the bound token as a Bearer token, and without a proof', async () => {
    const { token } = await dpopToken(PHOTOS);
    expectChallenge(await getJson(`${apis[kind].url}/photos`, { authorization: `Bearer ${token}` }), 'invalid_token');
    expectChallenge(await getJson(`${apis[kind].url}/photos`, { authorization: `DPoP ${token}` }), 'invalid_dpop_proof');
  });

  it('refuses a replayed proof, a proof for another URL or method, a wrong ath, another key', async () => {
    const { token } = await dpopToken(PHOTOS);
    const url = `${apis[kind].url}/photos`;
    // The token's key is oauth4webapi's; these proofs are made by hand with another key or claims.
    const other = await proofKey();
    expectChallenge(await getJson(url, { authorization: `DPoP ${token}`, dpop: await proof(other, { htm: 'GET', htu: url, accessToken: token }) }), 'invalid_dpop_proof');
    expectChallenge(await getJson(url, { authorization: `DPoP ${token}`, dpop: await proof(other, { htm: 'GET', htu: `${url}/other`, accessToken: token }) }), 'invalid_dpop_proof');
    expectChallenge(await getJson(url, { authorization: `DPoP ${token}`, dpop: await proof(other, { htm: 'POST', htu: url, accessToken: token }) }), 'invalid_dpop_proof');
    expectChallenge(await getJson(url, { authorization: `DPoP ${token}`, dpop: await proof(other, { htm: 'GET', htu: url, accessToken: 'x' }) }), 'invalid_dpop_proof');
  });

  it('answers a DPoP request whose token is not for this API with a DPoP challenge (RFC 9449 §7.1)', async () => {
    const key = await proofKey();
    const issued = await postForm(`${ts.issuer}/token`, { grant_type: 'client_credentials', resource: OPAQUE, scope: 'read:photos' }, { clientId: m2m.clientId, clientSecret: m2m.clientSecret! }, { dpop: await proof(key, { htu: `${ts.issuer}/token` }) });
    const token = issued.body.access_token as string;
    const url = `${apis[kind].url}/photos`;
    expectChallenge(await getJson(url, { authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: url, accessToken: token }) }), 'invalid_token');
  });

  it('refuses an unbound token sent with the DPoP scheme', async () => {
    const res = await postForm(`${ts.issuer}/token`, { grant_type: 'client_credentials', resource: PHOTOS, scope: 'read:photos' }, { clientId: m2m.clientId, clientSecret: m2m.clientSecret! });
    const token = res.body.access_token as string;
    const key = await proofKey();
    const url = `${apis[kind].url}/photos`;
    expectChallenge(await getJson(url, { authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: url, accessToken: token }) }), 'invalid_token');
    expect((await getJson(url, { authorization: `Bearer ${token}` })).status).toBe(200);
  });
});

describe('replay and binding of a proof the client made', () => {
  it('refuses the same proof twice (the in-memory replay cache)', async () => {
    const { token, jkt } = await dpopToken(PHOTOS);
    expect(jkt).toBeTruthy();
    // A key of our own, bound through a hand-made token request, so the test can replay its proofs.
    const key = await proofKey();
    const issued = await postForm(`${ts.issuer}/token`, { grant_type: 'client_credentials', resource: PHOTOS, scope: 'read:photos' }, { clientId: m2m.clientId, clientSecret: m2m.clientSecret! }, { dpop: await proof(key, { htu: `${ts.issuer}/token` }) });
    expect(issued.body.token_type).toBe('DPoP');
    const bound = issued.body.access_token as string;
    const url = `${apis.fastify.url}/photos`;
    const once = await proof(key, { htm: 'GET', htu: url, accessToken: bound });
    expect((await getJson(url, { authorization: `DPoP ${bound}`, dpop: once })).status).toBe(200);
    expectChallenge(await getJson(url, { authorization: `DPoP ${bound}`, dpop: once }), 'invalid_dpop_proof');
    expect(token).not.toBe(bound);
  });

  it('accepts a DPoP-bound opaque token through introspection (cnf.jkt), and refuses it as Bearer', async () => {
    const { token, DPoP, jkt } = await dpopToken(OPAQUE);
    const res = await oauth.protectedResourceRequest(token, 'GET', new URL(`${apis.fastify.url}/opaque`), new Headers(), null, { DPoP, ...insecure });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jkt, format: 'opaque' });
    expectChallenge(await getJson(`${apis.fastify.url}/opaque`, { authorization: `Bearer ${token}` }), 'invalid_token');
  });
});

describe('resource server nonces (RFC 9449 §9)', () => {
  it('asks for a nonce with use_dpop_nonce; oauth4webapi retries with it and gets through', async () => {
    const { token, DPoP } = await dpopToken(PHOTOS);
    const url = new URL(`${apis.nonces.url}/photos`);
    const first = await oauth.protectedResourceRequest(token, 'GET', url, new Headers(), null, { DPoP, ...insecure }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(oauth.isDPoPNonceError(first)).toBe(true);
    const res = await oauth.protectedResourceRequest(token, 'GET', url, new Headers(), null, { DPoP, ...insecure });
    expect(res.status).toBe(200);
    expect(res.headers.get('dpop-nonce')).toBeTruthy();
  });
});
