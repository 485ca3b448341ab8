/**
 * Client metadata, everywhere the same: the admin API takes every member the registration endpoint and the CLI take,
 * checked by the same validator; an unknown member (an operator's typo) is a 400 problem naming it; PATCH with null
 * removes a member; a registered client cannot be given admin scopes by an operator either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistrationToken } from '../../src/admin/registration-tokens.js';
import { adminApi, expectInvalid, machineAdmin, type AdminCall } from '../helpers/admin.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
let call: AdminCall;
beforeAll(async () => {
  ts = await startTestServer();
  call = adminApi(ts, (await machineAdmin(ts)).token);
});
afterAll(async () => {
  await ts?.close();
});

const web = (extra: Record<string, unknown> = {}) => ({ client_name: 'Members', latch_client_kind: 'web', redirect_uris: ['https://members.example.test/cb'], ...extra });

describe('admin API: every metadata member', () => {
  it('creates a client with the new members and shows them', async () => {
    const created = await call('POST', '/clients', web({ require_auth_time: true, default_max_age: 300, dpop_bound_access_tokens: true, contacts: ['ops@example.test'], backchannel_logout_uri: 'https://members.example.test/bc', backchannel_logout_session_required: true }));
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ require_auth_time: true, default_max_age: 300, dpop_bound_access_tokens: true, backchannel_logout_session_required: true });
    const id = created.body.client_id as string;
    const patched = await call('PATCH', `/clients/${id}`, { dpop_bound_access_tokens: null, default_max_age: 60 });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.dpop_bound_access_tokens).toBeUndefined();
    expect(patched.body.default_max_age).toBe(60);
    expect(patched.body.require_auth_time).toBe(true);
  });

  it('refuses an unknown member and an invalid one as a problem naming it; nothing is created', async () => {
    const before = (await ts.latch.store.clients.list()).length;
    expectInvalid(await call('POST', '/clients', web({ require_auth_tme: true })), 'require_auth_tme');
    expectInvalid(await call('POST', '/clients', web({ jwks_uri: 'http://keys.example.test/jwks' })), 'jwks_uri');
    expectInvalid(await call('POST', '/clients', web({ subject_type: 'pairwise', redirect_uris: ['https://a.example.test/cb', 'https://b.example.test/cb'] })), 'sector_identifier_uri');
    expect((await ts.latch.store.clients.list()).length).toBe(before);
  });

  it('an operator cannot give a registered client admin scopes either', async () => {
    const { token } = await createRegistrationToken(ts.latch.store, { uses: 1 });
    const res = await fetch(`${ts.issuer}/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Registered', redirect_uris: ['https://registered.example.test/cb'] }),
    });
    const registered = (await res.json()) as { client_id: string };
    expect(res.status).toBe(201);
    expectInvalid(await call('PATCH', `/clients/${registered.client_id}`, { scope: 'openid admin:read' }), 'scope');
    const shown = await call('GET', `/clients/${registered.client_id}`);
    expect(shown.body.latch_registered).toBe(true);
    expect(shown.body.scope).not.toContain('admin:');
  });

  it('without LATCH_FETCH_ALLOW_PRIVATE: a fetched URL on a private, loopback or link-local address is refused', async () => {
    const strict = await startTestServer({ fetchAllowPrivate: false, registration: 'open' });
    try {
      for (const uri of ['https://10.0.0.1/jwks', 'https://169.254.169.254/jwks', 'http://127.0.0.1:9/jwks', 'https://localhost/jwks']) {
        const res = await fetch(`${strict.issuer}/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ client_name: 'Strict', redirect_uris: ['https://strict.example.test/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: uri }),
        });
        const body = (await res.json()) as { error: string; error_description: string };
        expect(res.status, uri).toBe(400);
        expect(body.error, uri).toBe('invalid_client_metadata');
        expect(body.error_description, uri).toMatch(/^jwks_uri: /);
      }
    } finally {
      await strict.close();
    }
  });
});
