import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});

afterAll(async () => {
  await ts?.close();
});

const privateJwkMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

describe('OpenID Provider metadata (OIDC Discovery 1.0, RFC 8414)', () => {
  it('serves /.well-known/openid-configuration with the issuer and every endpoint', async () => {
    const res = await getJson(`${ts.issuer}/.well-known/openid-configuration`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const m = res.body;
    expect(m.issuer).toBe(ts.issuer);
    expect(m.authorization_endpoint).toBe(`${ts.issuer}/authorize`);
    expect(m.token_endpoint).toBe(`${ts.issuer}/token`);
    expect(m.userinfo_endpoint).toBe(`${ts.issuer}/userinfo`);
    expect(m.jwks_uri).toBe(`${ts.issuer}/jwks`);
    expect(m.introspection_endpoint).toBe(`${ts.issuer}/introspect`);
    expect(m.revocation_endpoint).toBe(`${ts.issuer}/revoke`);
    expect(m.end_session_endpoint).toBe(`${ts.issuer}/logout`);
  });

  it('advertises the supported features', async () => {
    const m = (await getJson(`${ts.issuer}/.well-known/openid-configuration`)).body;
    expect(m.response_types_supported).toContain('code');
    expect(m.code_challenge_methods_supported).toEqual(['S256']);
    expect(m.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']),
    );
    expect(m.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
    expect(m.id_token_signing_alg_values_supported).not.toContain('none');
    expect(m.authorization_response_iss_parameter_supported).toBe(true);
    expect(m.subject_types_supported).toContain('public');
    expect(m.scopes_supported).toContain('openid');
    expect(m.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    // OIDC Discovery §3: the levels an app may ask for with acr_values, and the claims that state them.
    expect(m.acr_values_supported).toEqual(['urn:latch:acr:pwd', 'urn:latch:acr:mfa', 'phr']);
    expect(m.claims_supported).toEqual(expect.arrayContaining(['acr', 'amr']));
  });

  it('serves /.well-known/oauth-authorization-server with the same issuer and endpoints', async () => {
    const oidc = (await getJson(`${ts.issuer}/.well-known/openid-configuration`)).body;
    const res = await getJson(`${ts.issuer}/.well-known/oauth-authorization-server`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const m = res.body;
    expect(m.issuer).toBe(ts.issuer);
    for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint']) {
      expect(m[key], key).toBe(oidc[key]);
    }
    expect(m.code_challenge_methods_supported).toEqual(['S256']);
    expect(m.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('publishes a JWKS with only public keys, including an RS256 RSA key and an ES256 P-256 key', async () => {
    const res = await getJson(`${ts.issuer}/jwks`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/(jwk-set\+)?json/);
    const keys: Array<Record<string, unknown>> = res.body.keys;
    expect(Array.isArray(keys)).toBe(true);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(typeof key.kid, JSON.stringify(key)).toBe('string');
      for (const member of privateJwkMembers) expect(key, `private member ${member}`).not.toHaveProperty(member);
    }
    const kids = keys.map((k) => k.kid);
    expect(new Set(kids).size).toBe(kids.length);
    expect(keys.some((k) => k.kty === 'RSA' && (k.alg === undefined || k.alg === 'RS256'))).toBe(true);
    expect(keys.some((k) => k.kty === 'EC' && k.crv === 'P-256')).toBe(true);
  });

  it('is accepted by openid-client discovery (issuer validated)', async () => {
    const config = await client.discovery(new URL(ts.issuer), 'anything', undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const m = config.serverMetadata();
    expect(m.issuer).toBe(ts.issuer);
    expect(m.supportsPKCE()).toBe(true);
  });

  it('is accepted by oauth4webapi for both the oidc and the oauth2 well-known', async () => {
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      const response = await oauth.discoveryRequest(new URL(ts.issuer), { algorithm, [oauth.allowInsecureRequests]: true });
      const as = await oauth.processDiscoveryResponse(new URL(ts.issuer), response);
      expect(as.issuer).toBe(ts.issuer);
      expect(as.token_endpoint).toBe(`${ts.issuer}/token`);
    }
  });

  it('answers an unknown path with 404', async () => {
    const res = await getJson(`${ts.issuer}/.well-known/nope`);
    expect(res.status).toBe(404);
  });
});
