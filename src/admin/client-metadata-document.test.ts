import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { checkFetchedUri } from './client-metadata-members.js';
import { AdminInputError, buildClientMetadata, createClient, inputFromDocument, updateClient, USER_FACING_SCOPE } from './clients.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AdminInputError);
    return (err as AdminInputError).field;
  }
  throw new Error('accepted');
}

const web = { client_name: 'Doc app', redirect_uris: ['https://doc.example.test/cb'] };
const build = (doc: Record<string, unknown>, mode: 'operator' | 'registration' = 'operator', allowPrivate = false) =>
  buildClientMetadata(inputFromDocument(doc, mode, mode === 'operator' ? { kind: 'web' } : {}), { allowPrivate });

describe('metadata documents', () => {
  it('an operator document: unknown members refused by name, server members refused, scope replaces the defaults', () => {
    expect(refusal(() => build({ ...web, redirect_uri: ['https://x.example.test/cb'] }))).toBe('redirect_uri');
    expect(refusal(() => build({ ...web, registration_access_token: 'x' }))).toBe('registration_access_token');
    expect(build({ ...web }).scope).toBe(USER_FACING_SCOPE);
    expect(build({ ...web, scope: 'openid email' }).scope).toBe('openid email');
  });

  it('a registration document: unknown and latch_* members ignored, kind from what it asks', () => {
    const m = build({ ...web, unknown_member: 1, latch_default_resource: 'urn:latch:admin', latch_profile: 'fapi2' }, 'registration');
    expect(m.latch_default_resource).toBeUndefined();
    expect(m.latch_profile).toBeUndefined();
    expect(m.latch_client_kind).toBe('web');
    expect(build({ ...web, token_endpoint_auth_method: 'none' }, 'registration').latch_client_kind).toBe('spa');
    expect(build({ ...web, application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['com.example.app:/cb'] }, 'registration').latch_client_kind).toBe('native');
    expect(build({ client_name: 'M', grant_types: ['client_credentials'] }, 'registration').latch_client_kind).toBe('m2m');
  });

  it('refuses wrong JSON types and values, naming the member', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ redirect_uris: 'https://doc.example.test/cb' }, 'redirect_uris'],
      [{ scope: ['openid'] }, 'scope'],
      [{ require_auth_time: 'true' }, 'require_auth_time'],
      [{ default_max_age: 1.5 }, 'default_max_age'],
      [{ request_object_signing_alg: 'HS256' }, 'request_object_signing_alg'],
      [{ token_endpoint_auth_signing_alg: 'none', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://keys.example.test/jwks' }, 'token_endpoint_auth_signing_alg'],
      [{ token_endpoint_auth_signing_alg: 'ES256' }, 'token_endpoint_auth_signing_alg'],
      [{ subject_type: 'secret' }, 'subject_type'],
      [{ sector_identifier_uri: 'https://sector.example.test/list' }, 'sector_identifier_uri'],
      [{ backchannel_logout_session_required: true }, 'backchannel_logout_session_required'],
      [{ frontchannel_logout_uri: 'javascript:alert(1)' }, 'frontchannel_logout_uri'],
      [{ request_uris: ['http://requests.example.test/r'] }, 'request_uris'],
      [{ require_signed_request_object: true, request_object_signing_alg: 'none' }, 'require_signed_request_object'],
      [{ request_object_signing_alg: 'ES256' }, 'request_object_signing_alg'],
      [{ application_type: 'native' }, 'application_type'],
      [{ token_endpoint_auth_method: 'private_key_jwt' }, 'jwks'],
    ];
    for (const [extra, field] of cases) expect(refusal(() => build({ ...web, ...extra })), JSON.stringify(extra)).toBe(field);
  });

  it('accepts and stores every member', () => {
    const m = build({
      ...web,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://keys.example.test/jwks',
      token_endpoint_auth_signing_alg: 'ES256',
      contacts: ['ops@example.test'],
      require_auth_time: true,
      default_max_age: 3600,
      userinfo_signed_response_alg: 'ES256',
      request_object_signing_alg: 'PS256',
      require_signed_request_object: true,
      require_pushed_authorization_requests: true,
      dpop_bound_access_tokens: true,
      backchannel_logout_uri: 'https://doc.example.test/bc',
      backchannel_logout_session_required: true,
      frontchannel_logout_uri: 'https://doc.example.test/fc',
      frontchannel_logout_session_required: false,
      subject_type: 'pairwise',
      request_uris: ['https://doc.example.test/request.jwt'],
      latch_profile: 'fapi2',
      // FAPI 2.0 §5.4.1: the profile signs ID tokens with PS256, ES256 or EdDSA only.
      id_token_signed_response_alg: 'PS256',
    });
    expect(m).toMatchObject({ jwks_uri: 'https://keys.example.test/jwks', token_endpoint_auth_method: 'private_key_jwt', subject_type: 'pairwise', dpop_bound_access_tokens: true, latch_profile: 'fapi2', default_max_age: 3600 });
    expect(m.jwks).toBeUndefined();
  });

  it('a registered client never gets admin scopes or the admin API as its default', () => {
    expect(refusal(() => buildClientMetadata({ name: 'R', kind: 'web', redirectUris: ['https://r.example.test/cb'], extraScopes: ['admin:write'], registered: true }))).toBe('scope');
    expect(refusal(() => buildClientMetadata({ name: 'R', kind: 'web', redirectUris: ['https://r.example.test/cb'], defaultResource: 'urn:latch:admin', registered: true }))).toBe('latch_default_resource');
    expect(buildClientMetadata({ name: 'R', kind: 'web', redirectUris: ['https://r.example.test/cb'], registered: true }).latch_registered).toBe(true);
  });

  it('pairwise without a sector_identifier_uri needs its redirect URIs on one host (OIDC Core §8.1)', () => {
    expect(refusal(() => build({ ...web, subject_type: 'pairwise', redirect_uris: ['https://a.example.test/cb', 'https://b.example.test/cb'] }))).toBe('sector_identifier_uri');
    expect(build({ ...web, subject_type: 'pairwise', redirect_uris: ['https://a.example.test/cb', 'https://a.example.test/other'] }).subject_type).toBe('pairwise');
  });
});

describe('URLs Latch fetches', () => {
  it('https only, and never a loopback, private or link-local address, unless allowPrivate', () => {
    for (const uri of ['http://keys.example.test/jwks', 'https://127.0.0.1/jwks', 'https://localhost/jwks', 'https://10.0.0.8/jwks', 'https://169.254.169.254/latest', 'https://[::1]/jwks', 'https://[fe80::1]/jwks', 'https://192.168.1.1/jwks', 'https://keys.example.test/jwks#x', 'https://u:p@keys.example.test/jwks']) {
      expect(refusal(() => checkFetchedUri('jwks_uri', uri, {})), uri).toBe('jwks_uri');
    }
    expect(checkFetchedUri('jwks_uri', 'https://keys.example.test/jwks', {})).toBe('https://keys.example.test/jwks');
    expect(checkFetchedUri('jwks_uri', 'https://93.184.215.14/jwks', {})).toBe('https://93.184.215.14/jwks');
    expect(checkFetchedUri('jwks_uri', 'http://127.0.0.1:8080/jwks', { allowPrivate: true })).toBe('http://127.0.0.1:8080/jwks');
    expect(refusal(() => checkFetchedUri('jwks_uri', 'http://keys.example.test/jwks', { allowPrivate: true }))).toBe('jwks_uri');
  });
});

describe('the admin services with every member', () => {
  let dataDir: string;
  let store: OpenedStore;
  let sector: Server;
  let sectorUrl: string;
  beforeAll(async () => {
    sector = createServer((_req, res) => res.end(JSON.stringify(['https://s1.example.test/cb', 'https://s2.example.test/cb'])));
    await new Promise<void>((resolve) => sector.listen(0, '127.0.0.1', resolve));
    sectorUrl = `http://127.0.0.1:${(sector.address() as AddressInfo).port}/sector.json`;
  });
  afterAll(() => new Promise((resolve) => sector.close(resolve)));
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latch-metadata-'));
    store = await openMigratedStore({ dataDir });
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('fetches the sector_identifier_uri; an edit keeps the members, and null removes one', async () => {
    const redirectUris = ['https://s1.example.test/cb', 'https://s2.example.test/cb'];
    const members = { subject_type: 'pairwise', sector_identifier_uri: sectorUrl, dpop_bound_access_tokens: true };
    await expect(createClient(store, { name: 'P', kind: 'web', redirectUris, members })).rejects.toMatchObject({ field: 'sector_identifier_uri' });
    const { client } = await createClient(store, { name: 'P', kind: 'web', redirectUris, members }, undefined, undefined, { allowPrivate: true });
    expect(client.metadata.sector_identifier_uri).toBe(sectorUrl);

    const renamed = await updateClient(store, client.clientId, { client_name: 'Q' }, undefined, undefined, { allowPrivate: true });
    expect(renamed.metadata).toMatchObject({ client_name: 'Q', subject_type: 'pairwise', dpop_bound_access_tokens: true });
    const bad = updateClient(store, client.clientId, { redirect_uris: ['https://s3.example.test/cb'] }, undefined, undefined, { allowPrivate: true });
    await expect(bad).rejects.toMatchObject({ field: 'sector_identifier_uri' });
    expect((await store.clients.find(client.clientId))?.metadata.redirect_uris).toEqual(redirectUris);
    const off = await updateClient(store, client.clientId, { members: { dpop_bound_access_tokens: null } }, undefined, undefined, { allowPrivate: true });
    expect(off.metadata.dpop_bound_access_tokens).toBeUndefined();
  });
});
