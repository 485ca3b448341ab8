import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digest } from '../core/tokens/hash.js';
import { generateSigningKey } from '../keys/generate.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import {
  AdminInputError,
  buildClientMetadata,
  clientToJson,
  createClient,
  deleteClient,
  DEVICE_CODE_GRANT,
  USER_FACING_SCOPE,
  type CreateClientInput,
} from './clients.js';

let dataDir: string;
let store: OpenedStore;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-clients-'));
  store = await openMigratedStore({ dataDir });
});
afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

function fieldOf(input: CreateClientInput): string {
  try {
    buildClientMetadata(input);
  } catch (err) {
    expect(err).toBeInstanceOf(AdminInputError);
    const e = err as AdminInputError;
    expect(e.message.startsWith(`${e.field}: `)).toBe(true);
    return e.field;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

describe('client kinds', () => {
  it('web: confidential, code + refresh, secret shown once and stored as a digest', async () => {
    const { client, clientSecret } = await createClient(store, { name: 'Web', kind: 'web', redirectUris: ['https://app.example/cb'] }, 1000);
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(client.clientSecretDigest).toBe(digest(clientSecret!));
    expect(client.metadata).toEqual({
      client_name: 'Web',
      application_type: 'web',
      latch_client_kind: 'web',
      redirect_uris: ['https://app.example/cb'],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: USER_FACING_SCOPE,
      id_token_signed_response_alg: 'RS256',
    });
    expect(await store.clients.find(client.clientId)).toEqual(client);
    expect(JSON.stringify(await store.clients.find(client.clientId))).not.toContain(clientSecret);
  });

  it('spa: public, no secret', async () => {
    const { client, clientSecret } = await createClient(store, { name: 'SPA', kind: 'spa', redirectUris: ['http://localhost:5173/cb'] });
    expect(clientSecret).toBeUndefined();
    expect(client.clientSecretDigest).toBeNull();
    expect(client.metadata).toMatchObject({ token_endpoint_auth_method: 'none', application_type: 'web', grant_types: ['authorization_code', 'refresh_token'] });
  });

  it('native: public, application_type native, loopback/private-use/https redirects', async () => {
    const { client, clientSecret } = await createClient(store, {
      name: 'App',
      kind: 'native',
      redirectUris: ['http://127.0.0.1/cb', 'http://[::1]:8123/cb', 'com.example.app:/oauth2redirect', 'https://app.example/native'],
    });
    expect(clientSecret).toBeUndefined();
    expect(client.metadata).toMatchObject({ token_endpoint_auth_method: 'none', application_type: 'native' });
  });

  it('m2m: client_credentials, secret, no redirects, empty scope', async () => {
    const { client, clientSecret } = await createClient(store, { name: 'Job', kind: 'm2m' });
    expect(clientSecret).toBeDefined();
    expect(client.metadata).toMatchObject({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: '',
    });
  });

  it('device: device_code + refresh, public, native, no redirects', async () => {
    const { client, clientSecret } = await createClient(store, { name: 'TV', kind: 'device' });
    expect(clientSecret).toBeUndefined();
    expect(client.metadata).toMatchObject({
      grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      scope: USER_FACING_SCOPE,
    });
  });
});

describe('overrides', () => {
  it('extraScopes add to the kind\'s defaults (openid stays); scopes replace them', () => {
    const web = buildClientMetadata({ name: 'x', kind: 'web', redirectUris: ['https://a.example/cb'], extraScopes: ['read:photos', 'openid'] });
    expect(web.scope).toBe(`${USER_FACING_SCOPE} read:photos`);
    expect(buildClientMetadata({ name: 'x', kind: 'm2m', extraScopes: ['reports:read'] }).scope).toBe('reports:read');
    const exact = buildClientMetadata({ name: 'x', kind: 'spa', redirectUris: ['https://a.example/cb'], scopes: ['openid'], extraScopes: ['email'] });
    expect(exact.scope).toBe('openid email');
    expect(fieldOf({ name: 'x', kind: 'm2m', extraScopes: ['bad"scope'] })).toBe('scope');
  });

  it('scopes may be repeated and space-separated; duplicates dropped', () => {
    const m = buildClientMetadata({ name: 'x', kind: 'm2m', scopes: ['api:read api:write', 'api:read', ' reports '] });
    expect(m.scope).toBe('api:read api:write reports');
  });

  it('grant types, auth method and ID token alg can be set', () => {
    const m = buildClientMetadata({
      name: 'x',
      kind: 'web',
      redirectUris: ['https://a.example/cb'],
      grantTypes: ['authorization_code'],
      tokenEndpointAuthMethod: 'client_secret_post',
      idTokenSignedResponseAlg: 'EdDSA',
    });
    expect(m).toMatchObject({ grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_post', id_token_signed_response_alg: 'EdDSA' });
  });

  it('private_key_jwt takes public keys, gets no secret', async () => {
    const key = await generateSigningKey('ES256');
    const { client, clientSecret } = await createClient(store, {
      name: 'Signed',
      kind: 'm2m',
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [key.publicJwk] },
    });
    expect(clientSecret).toBeUndefined();
    expect(client.clientSecretDigest).toBeNull();
    expect(client.metadata.jwks).toEqual({ keys: [key.publicJwk] });
    expect(clientToJson(client)).toMatchObject({ jwks: { keys: [key.publicJwk] }, token_endpoint_auth_method: 'private_key_jwt' });
  });

  it('jwks on a confidential kind defaults the auth method to private_key_jwt', async () => {
    const key = await generateSigningKey('EdDSA');
    expect(buildClientMetadata({ name: 'x', kind: 'm2m', jwks: { keys: [key.publicJwk] } }).token_endpoint_auth_method).toBe('private_key_jwt');
  });

  it('a custom client id is kept; a duplicate is refused', async () => {
    await createClient(store, { name: 'a', kind: 'm2m', clientId: 'my-service' });
    await expect(createClient(store, { name: 'b', kind: 'm2m', clientId: 'my-service' })).rejects.toThrow(/^client_id: .*already exists/);
    await expect(createClient(store, { name: 'b', kind: 'm2m', clientId: 'has space' })).rejects.toThrow(/^client_id: /);
  });
});

describe('validation names the field', () => {
  const web = (redirectUris: string[]): CreateClientInput => ({ name: 'x', kind: 'web', redirectUris });

  it('kind and name', () => {
    expect(fieldOf({ name: 'x', kind: 'desktop' as never })).toBe('latch_client_kind');
    expect(fieldOf({ name: '  ', kind: 'm2m' })).toBe('client_name');
  });

  it('allowed_cors_origins: public clients only, bare origins only', () => {
    const spa = (allowedCorsOrigins: string[]): CreateClientInput => ({ name: 'x', kind: 'spa', redirectUris: ['https://a.example/cb'], allowedCorsOrigins });
    expect(buildClientMetadata(spa(['https://app.example', 'http://localhost:5173', 'https://app.example/'])).allowed_cors_origins).toEqual([
      'https://app.example',
      'http://localhost:5173',
    ]);
    for (const bad of ['https://app.example/path', 'https://*.example', 'app.example', 'ftp://app.example', 'https://app.example:443']) {
      expect(fieldOf(spa([bad])), bad).toBe('allowed_cors_origins');
    }
    expect(fieldOf({ ...web(['https://a.example/cb']), allowedCorsOrigins: ['https://a.example'] })).toBe('allowed_cors_origins');
    expect(buildClientMetadata(spa([])).allowed_cors_origins).toBeUndefined();
  });

  it('redirect URIs: absolute, no fragment, https or loopback http for web', () => {
    expect(fieldOf(web(['/cb']))).toBe('redirect_uris');
    expect(fieldOf(web(['https://a.example/cb#frag']))).toBe('redirect_uris');
    expect(fieldOf(web(['https://a.example/cb#']))).toBe('redirect_uris');
    expect(fieldOf(web(['http://a.example/cb']))).toBe('redirect_uris');
    expect(fieldOf(web(['https://user:pw@a.example/cb']))).toBe('redirect_uris');
    expect(fieldOf(web(['com.example.app:/cb']))).toBe('redirect_uris');
    expect(fieldOf(web(['javascript:alert(1)']))).toBe('redirect_uris');
    expect(() => buildClientMetadata(web(['http://localhost:3000/cb', 'http://127.0.0.1/cb', 'http://[::1]/cb', 'https://a.example/cb?x=1']))).not.toThrow();
  });

  it('redirect URIs: native allows private-use schemes with a dot only', () => {
    const native = (uri: string): CreateClientInput => ({ name: 'x', kind: 'native', redirectUris: [uri] });
    expect(fieldOf(native('myapp:/cb'))).toBe('redirect_uris');
    expect(fieldOf(native('http://example.com/cb'))).toBe('redirect_uris');
    expect(fieldOf(native('file:///etc/passwd'))).toBe('redirect_uris');
  });

  it('redirect URIs: spa allows https and loopback http only', () => {
    expect(fieldOf({ name: 'x', kind: 'spa', redirectUris: ['com.example.app:/cb'] })).toBe('redirect_uris');
    expect(fieldOf({ name: 'x', kind: 'spa', redirectUris: ['http://app.example/cb'] })).toBe('redirect_uris');
  });

  it('redirect URIs are required for authorization_code and refused where unused', () => {
    expect(fieldOf({ name: 'x', kind: 'web' })).toBe('redirect_uris');
    expect(fieldOf({ name: 'x', kind: 'native', redirectUris: [] })).toBe('redirect_uris');
    expect(fieldOf({ name: 'x', kind: 'm2m', redirectUris: ['https://a.example/cb'] })).toBe('redirect_uris');
    expect(fieldOf({ name: 'x', kind: 'device', redirectUris: ['https://a.example/cb'] })).toBe('redirect_uris');
    expect(fieldOf({ name: 'x', kind: 'm2m', postLogoutRedirectUris: ['https://a.example/'] })).toBe('post_logout_redirect_uris');
    expect(fieldOf({ ...web(['https://a.example/cb']), postLogoutRedirectUris: ['http://a.example/bye'] })).toBe('post_logout_redirect_uris');
  });

  it('grant types must be known and fit the client', () => {
    expect(fieldOf({ name: 'x', kind: 'm2m', grantTypes: ['magic'] })).toBe('grant_types');
    expect(fieldOf({ name: 'x', kind: 'm2m', grantTypes: [] })).toBe('grant_types');
    expect(fieldOf({ name: 'x', kind: 'spa', redirectUris: ['https://a.example/cb'], grantTypes: ['authorization_code', 'client_credentials'] })).toBe('grant_types');
    expect(() => buildClientMetadata({ name: 'x', kind: 'm2m', grantTypes: ['client_credentials', 'password'] })).not.toThrow();
  });

  it('response types must be known and match the grant types', () => {
    expect(fieldOf({ name: 'x', kind: 'm2m', responseTypes: ['code'] })).toBe('response_types');
    expect(fieldOf({ ...web(['https://a.example/cb']), responseTypes: ['token id_token'] })).toBe('response_types');
    expect(fieldOf({ ...web(['https://a.example/cb']), responseTypes: ['bogus'] })).toBe('response_types');
    const hybrid = buildClientMetadata({ ...web(['https://a.example/cb']), grantTypes: ['authorization_code', 'implicit'], responseTypes: ['id_token code'] });
    expect(hybrid.response_types).toEqual(['code id_token']);
  });

  it('auth method, jwks and ID token alg', async () => {
    expect(fieldOf({ name: 'x', kind: 'm2m', tokenEndpointAuthMethod: 'tls_client_auth' as never })).toBe('token_endpoint_auth_method');
    expect(fieldOf({ name: 'x', kind: 'm2m', tokenEndpointAuthMethod: 'private_key_jwt' })).toBe('jwks');
    const key = await generateSigningKey('ES256');
    expect(fieldOf({ name: 'x', kind: 'm2m', jwks: { keys: [key.privateJwk] } })).toBe('jwks');
    expect(fieldOf({ name: 'x', kind: 'm2m', jwks: { keys: [{ kty: 'oct', k: 'AAAA' }] } })).toBe('jwks');
    expect(fieldOf({ name: 'x', kind: 'm2m', jwks: { keys: [] } })).toBe('jwks');
    expect(fieldOf({ name: 'x', kind: 'm2m', jwks: 'nope' as never })).toBe('jwks');
    expect(fieldOf({ name: 'x', kind: 'm2m', idTokenSignedResponseAlg: 'HS256' })).toBe('id_token_signed_response_alg');
    expect(fieldOf({ name: 'x', kind: 'm2m', idTokenSignedResponseAlg: 'none' })).toBe('id_token_signed_response_alg');
  });

  it('redirect URIs with a wildcard (they could never match)', () => {
    for (const uri of ['https://*.example.com/cb', 'https://app.example.com/*', 'http://localhost:*/cb', 'com.example.*:/cb']) {
      expect(fieldOf({ name: 'x', kind: 'native', redirectUris: [uri] })).toBe('redirect_uris');
    }
    expect(() => buildClientMetadata({ name: 'x', kind: 'web', redirectUris: ['https://*.example.com/cb'] })).toThrow(
      /redirect_uris: "https:\/\/\*\.example\.com\/cb" contains a wildcard \(\*\): redirect URIs are matched exactly/,
    );
    expect(fieldOf({ name: 'x', kind: 'web', redirectUris: ['https://a.example/cb'], postLogoutRedirectUris: ['https://*.example/bye'] })).toBe(
      'post_logout_redirect_uris',
    );
  });

  it('scope tokens', () => {
    expect(fieldOf({ name: 'x', kind: 'm2m', scopes: ['ok "quoted"'] })).toBe('scope');
    expect(fieldOf({ name: 'x', kind: 'm2m', scopes: ['back\\slash'] })).toBe('scope');
  });
});

describe('clientToJson and deleteClient', () => {
  it('uses RFC 7591 names; client_secret only when given', async () => {
    const { client, clientSecret } = await createClient(store, { name: 'Web', kind: 'web', redirectUris: ['https://a.example/cb'] }, 42);
    const shown = clientToJson(client, clientSecret);
    expect(shown).toEqual({
      client_id: client.clientId,
      client_secret: clientSecret,
      client_secret_expires_at: 0,
      client_id_issued_at: 42,
      client_name: 'Web',
      redirect_uris: ['https://a.example/cb'],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: USER_FACING_SCOPE,
      application_type: 'web',
      id_token_signed_response_alg: 'RS256',
      latch_client_kind: 'web',
    });
    const later = clientToJson(client);
    expect(later).not.toHaveProperty('client_secret');
    expect(later).not.toHaveProperty('client_secret_expires_at');
    expect(JSON.stringify(later)).not.toContain(client.clientSecretDigest!);
  });

  it('deletes a client, then reports it unknown', async () => {
    const { client } = await createClient(store, { name: 'Job', kind: 'm2m' });
    expect((await deleteClient(store, client.clientId)).clientId).toBe(client.clientId);
    expect(await store.clients.find(client.clientId)).toBeUndefined();
    await expect(deleteClient(store, client.clientId)).rejects.toThrow(/client not found/);
  });
});
