import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

/** Malformed input never answers 500: every endpoint answers a 4xx with a clear error. */
describe('malformed input', () => {
  let ts: TestServer;
  let web: TestClient;

  beforeAll(async () => {
    ts = await startTestServer();
    web = await ts.client({ kind: 'web' });
  });
  afterAll(() => ts?.close());

  const form = 'application/x-www-form-urlencoded';
  const cases: Array<[string, string, RequestInit]> = [
    ['token: JSON body', '/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"authorization_code"}' }],
    ['token: no body', '/token', { method: 'POST' }],
    ['token: GET', '/token', { method: 'GET' }],
    ['token: broken percent-encoding', '/token', { method: 'POST', headers: { 'content-type': form }, body: 'grant_type=%E0%A4%A&code=%%%' }],
    ['token: Basic not base64', '/token', { method: 'POST', headers: { 'content-type': form, authorization: 'Basic !!!notbase64' }, body: 'grant_type=authorization_code&code=x' }],
    ['token: Basic without colon', '/token', { method: 'POST', headers: { 'content-type': form, authorization: `Basic ${Buffer.from('abc').toString('base64')}` }, body: 'grant_type=authorization_code' }],
    ['token: Basic bad percent', '/token', { method: 'POST', headers: { 'content-type': form, authorization: `Basic ${Buffer.from('%zz:%zz').toString('base64')}` }, body: 'grant_type=authorization_code' }],
    ['token: garbage assertion', '/token', { method: 'POST', headers: { 'content-type': form }, body: 'grant_type=authorization_code&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=a.b.c' }],
    ['token: huge body', '/token', { method: 'POST', headers: { 'content-type': form }, body: `grant_type=${'a'.repeat(200_000)}` }],
    ['token: NUL bytes', '/token', { method: 'POST', headers: { 'content-type': form }, body: 'grant_type=%00&client_id=%00' }],
    ['token: unknown grant, unknown client', '/token', { method: 'POST', headers: { 'content-type': form }, body: 'grant_type=x&client_id=nobody' }],
    ['introspect: no auth', '/introspect', { method: 'POST', headers: { 'content-type': form }, body: 'token=x' }],
    ['revoke: multipart', '/revoke', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }],
    ['userinfo: bad scheme', '/userinfo', { headers: { authorization: 'Negotiate abc' } }],
    ['userinfo: empty bearer', '/userinfo', { headers: { authorization: 'Bearer ' } }],
    ['userinfo: POST JSON', '/userinfo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
    ['authorize: nothing', '/authorize', {}],
    ['authorize: bad percent', '/authorize?client_id=%E0%A4%A&redirect_uri=%%', {}],
    ['authorize: POST JSON', '/authorize', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
    ['interaction: unknown', '/interaction/nope', {}],
    ['interaction: login without form', '/interaction/nope/login', { method: 'POST' }],
    ['interaction: login with JSON', '/interaction/nope/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }],
    ['logout: garbage hint', '/logout?id_token_hint=abc.def.ghi&post_logout_redirect_uri=x', {}],
    ['logout confirm: no csrf', '/logout/confirm', { method: 'POST', headers: { 'content-type': form }, body: 'logout=yes' }],
    ['unknown route', '/nope', {}],
  ];

  it.each(cases)('%s answers a 4xx, never a 5xx', async (_name, path, init) => {
    const res = await fetch(ts.url + path, { redirect: 'manual', ...init });
    const body = await res.text();
    expect(res.status, body.slice(0, 300)).toBeGreaterThanOrEqual(400);
    expect(res.status, body.slice(0, 300)).toBeLessThan(500);
    if ((res.headers.get('content-type') ?? '').startsWith('application/json')) {
      const json = JSON.parse(body);
      expect(typeof json.error).toBe('string');
      expect(typeof json.error_description).toBe('string');
    }
  });

  it('a path with broken percent-encoding answers 400 in the error format of its part of Latch', async () => {
    const protocol = await fetch(`${ts.url}/interaction/%E0%A4%A/login`);
    expect(protocol.status).toBe(400);
    expect(protocol.headers.get('content-type')).toMatch(/^application\/json/);
    expect(protocol.headers.get('cache-control')).toBe('no-store');
    expect(await protocol.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('percent-encoding') });
    const admin = await fetch(`${ts.url}/admin/api/apis/%E0%A4%A`);
    expect(admin.status).toBe(400);
    expect(admin.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await admin.json()).toMatchObject({ status: 400, errors: [{ field: 'path' }] });
  });

  it('an authorization request with a malformed redirect_uri is shown, not redirected', async () => {
    const res = await fetch(`${ts.url}/authorize?client_id=${web.clientId}&redirect_uri=javascript:alert(1)&response_type=code&scope=openid`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });
});
