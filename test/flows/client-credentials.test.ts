/**
 * The client credentials grant (RFC 6749 §4.4): a confidential client gets an access token for itself, with
 * openid-client as the client. No refresh token, no ID token, no /userinfo; scopes within what it is registered for.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTokenError, expectTokens, getJson, introspect, revoke, tokenRequest, userinfo } from '../helpers/oauth.js';
import { createApi } from '../../src/admin/apis.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

const execFileAsync = promisify(execFile);

let ts: TestServer;
let m2m: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  m2m = await ts.client({ kind: 'm2m', name: 'Nightly reports', scopes: ['reports:read', 'reports:write'] });
});

afterAll(async () => {
  await ts?.close();
});

function scopes(value: unknown): string[] {
  return String(value ?? '').split(' ').filter(Boolean).sort();
}

describe('client credentials with openid-client', () => {
  it('issues an access token for the requested scope, without refresh or ID token', async () => {
    const config = await discover(ts, m2m);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'reports:read' });
    expect(typeof tokens.access_token).toBe('string');
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.scope).toBe('reports:read');
    // RFC 6749 §4.4.3: "A refresh token SHOULD NOT be included."
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.id_token).toBeUndefined();
    expect(tokens.claims()).toBeUndefined();
  });

  it('the token introspects as the client itself: client_id, scope, and sub = client_id (RFC 7662, RFC 9068 §2.2)', async () => {
    const tokens = await client.clientCredentialsGrant(await discover(ts, m2m), { scope: 'reports:read reports:write' });
    const res = await introspect(ts, tokens.access_token, m2m);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ active: true, client_id: m2m.clientId, token_type: 'Bearer', iss: ts.issuer });
    expect(scopes(res.body.scope)).toEqual(['reports:read', 'reports:write']);
    expect(res.body.sub).toBe(m2m.clientId);
    expect(res.body.exp - res.body.iat).toBe(3600);
  });

  it('introspection and the JWT form of a token for an API agree on sub (RFC 9068 §2.2)', async () => {
    const api = await createApi(ts.latch.store, { identifier: 'https://reports-jwt.example.test', scopes: ['reports:read'], tokenFormat: 'jwt' });
    const caller = await ts.client({ kind: 'm2m', scopes: ['reports:read'] });
    const tokens = expectTokens(await tokenRequest(ts, { grant_type: 'client_credentials', scope: 'reports:read', resource: api.identifier }, caller));
    const jwt = decodeJwt(tokens.access_token);
    expect(jwt.sub).toBe(caller.clientId);
    const res = await introspect(ts, tokens.access_token, caller);
    expect(res.body.active, res.text).toBe(true);
    expect(res.body.sub).toBe(jwt.sub);
    expect(res.body.client_id).toBe(caller.clientId);
  });

  it('refuses a resource that is not an absolute URI without a fragment, before any API lookup (RFC 8707 §2)', async () => {
    for (const [resource, description] of [
      ['/reports', /absolute URI/],
      ['https://reports-jwt.example.test#x', /fragment/],
    ] as const) {
      const res = await tokenRequest(ts, { grant_type: 'client_credentials', scope: 'reports:read', resource }, m2m);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toBe('invalid_target');
      expect(res.body.error_description).toMatch(description);
    }
  });

  it('/userinfo refuses the token: there is no person (RFC 6750 §3.1 insufficient_scope)', async () => {
    const tokens = await client.clientCredentialsGrant(await discover(ts, m2m), { scope: 'reports:read' });
    for (const method of ['GET', 'POST'] as const) {
      const res = await userinfo(ts, tokens.access_token, method);
      expect(res.status, res.text).toBe(403);
      expect(res.body?.error).toBe('insufficient_scope');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="insufficient_scope"/);
    }
  });

  it('revocation ends the token', async () => {
    const tokens = await client.clientCredentialsGrant(await discover(ts, m2m), { scope: 'reports:read' });
    expect((await revoke(ts, tokens.access_token, m2m)).status).toBe(200);
    expect((await introspect(ts, tokens.access_token, m2m)).body).toEqual({ active: false });
  });
});

describe('client credentials scope (RFC 6749 §3.3)', () => {
  it('without a scope parameter, grants every scope the client is registered for', async () => {
    const body = expectTokens(await tokenRequest(ts, { grant_type: 'client_credentials' }, m2m));
    expect(scopes(body.scope)).toEqual(['reports:read', 'reports:write']);
    expect(body).not.toHaveProperty('refresh_token');
    expect(body).not.toHaveProperty('id_token');
  });

  it('ignores parameters the grant does not read (RFC 6749 §3.1): a code_verifier or a refresh_token changes nothing', async () => {
    const body = expectTokens(
      await tokenRequest(
        ts,
        { grant_type: 'client_credentials', scope: 'reports:read', code_verifier: 'x'.repeat(43), refresh_token: 'stray', code: 'stray', username: 'u' },
        m2m,
      ),
    );
    expect(body.scope).toBe('reports:read');
    expect(body).not.toHaveProperty('refresh_token');
  });

  it('by default leaves out scopes about a person (openid, offline_access...)', async () => {
    const mixed = await ts.client({ kind: 'm2m', scopes: ['openid', 'offline_access', 'email', 'reports:read'] });
    const body = expectTokens(await tokenRequest(ts, { grant_type: 'client_credentials' }, mixed));
    expect(body.scope).toBe('reports:read');
  });

  it('a client registered for no scope gets a token without scope', async () => {
    const bare = await ts.client({ kind: 'm2m' });
    const body = expectTokens(await tokenRequest(ts, { grant_type: 'client_credentials' }, bare));
    expect(body).not.toHaveProperty('scope');
  });

  it('refuses a scope the client is not registered for with invalid_scope', async () => {
    const res = await tokenRequest(ts, { grant_type: 'client_credentials', scope: 'reports:read billing:write' }, m2m);
    expectTokenError(res, 400, 'invalid_scope');
    expect(res.body.error_description).toContain('billing:write');
  });

  it('refuses openid and other person scopes with invalid_scope, even when registered', async () => {
    const mixed = await ts.client({ kind: 'm2m', scopes: ['openid', 'offline_access', 'reports:read'] });
    for (const scope of ['openid', 'offline_access', 'reports:read openid']) {
      expectTokenError(await tokenRequest(ts, { grant_type: 'client_credentials', scope }, mixed), 400, 'invalid_scope');
    }
  });

  it('openid-client surfaces invalid_scope as a ResponseBodyError', async () => {
    const err = await client.clientCredentialsGrant(await discover(ts, m2m), { scope: 'admin' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(client.ResponseBodyError);
    expect((err as client.ResponseBodyError).error).toBe('invalid_scope');
  });
});

describe('who may use client credentials', () => {
  it('refuses a public client: the grant is for confidential clients only (RFC 6749 §4.4)', async () => {
    // createClient refuses to register this; a hand-made record checks that /token refuses it too.
    const clientId = `public-cc-${Date.now()}`;
    await ts.latch.store.clients.create({
      clientId,
      clientSecretDigest: null,
      previousSecret: null,
      createdAt: Math.floor(Date.now() / 1000),
      metadata: {
        client_name: 'Misconfigured public client',
        application_type: 'native',
        latch_client_kind: 'device',
        redirect_uris: [],
        post_logout_redirect_uris: [],
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'none',
        scope: 'reports:read',
        id_token_signed_response_alg: 'RS256',
      },
    });
    const res = await tokenRequest(ts, { grant_type: 'client_credentials', scope: 'reports:read' }, { clientId });
    expectTokenError(res, 400, 'unauthorized_client');
    expect(res.body.error_description).toMatch(/confidential/);
  });

  it('refuses a web client not registered for the grant with unauthorized_client', async () => {
    const web = await ts.client({ kind: 'web' });
    expectTokenError(await tokenRequest(ts, { grant_type: 'client_credentials' }, web), 400, 'unauthorized_client');
  });

  it('refuses a wrong secret with invalid_client and a Basic challenge', async () => {
    const res = await tokenRequest(ts, { grant_type: 'client_credentials' }, { clientId: m2m.clientId, clientSecret: 'wrong' });
    expectTokenError(res, 401, 'invalid_client');
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('refuses an m2m client at /authorize: it has no redirect URI and no authorization_code grant', async () => {
    const res = await getJson(`${ts.issuer}/authorize?response_type=code&client_id=${m2m.clientId}&scope=reports:read`);
    expect(res.status).toBe(400);
  });

  it('is listed in grant_types_supported', async () => {
    const m = (await getJson(`${ts.issuer}/.well-known/openid-configuration`)).body;
    expect(m.grant_types_supported).toContain('client_credentials');
  });
});

describe('examples/m2m/get-token.mjs', () => {
  let api: Server;
  let apiUrl: string;
  const seen: string[] = [];

  beforeAll(async () => {
    // A stand-in API: it checks the bearer token by introspection, as a resource server would.
    api = createServer(async (req, res) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      seen.push(token);
      const info = await introspect(ts, token, m2m);
      res.writeHead(info.body?.active ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(info.body?.active ? { reports: ['q1', 'q2'], scope: info.body.scope } : { error: 'invalid_token' }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/reports`;
  });

  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
  });

  it('gets a token and calls the API with it', async () => {
    const { stdout } = await execFileAsync(process.execPath, [join('examples', 'm2m', 'get-token.mjs')], {
      env: { ...process.env, LATCH_ISSUER: ts.issuer, CLIENT_ID: m2m.clientId, CLIENT_SECRET: m2m.clientSecret, SCOPE: 'reports:read', API_URL: apiUrl },
      timeout: 20_000,
    });
    expect(stdout).toContain('"scope": "reports:read"');
    expect(stdout).toContain(`GET ${apiUrl} -> 200`);
    expect(stdout).toContain('"reports":["q1","q2"]');
    expect(seen).toHaveLength(1);
    // The example never prints the whole bearer token.
    expect(stdout).not.toContain(seen[0]);
  });

  it('reports a refused scope and exits with an error', async () => {
    const err = await execFileAsync(process.execPath, [join('examples', 'm2m', 'get-token.mjs')], {
      env: { ...process.env, LATCH_ISSUER: ts.issuer, CLIENT_ID: m2m.clientId, CLIENT_SECRET: m2m.clientSecret, SCOPE: 'admin' },
      timeout: 20_000,
    }).catch((e: { code?: number; stderr?: string }) => e);
    expect((err as { code?: number }).code).toBe(1);
    expect((err as { stderr?: string }).stderr).toContain('invalid_scope');
  });
});
