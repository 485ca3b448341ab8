import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../admin/clients.js';
import { loadKeyRing } from '../../keys/key-ring.js';
import type { KeyRing } from '../../keys/types.js';
import { openMigratedStore, type OpenedStore } from '../../storage/open.js';
import type { ClientRecord } from '../../storage/types.js';
import { BACKCHANNEL_LOGOUT_EVENT, issueLogoutToken, LOGOUT_TOKEN_TYPE } from './logout-token.js';

const issuer = 'https://id.example.test';
let dataDir: string;
let store: OpenedStore;
let keys: KeyRing;
let rs: ClientRecord;
let es: ClientRecord;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-logout-token-'));
  store = await openMigratedStore({ dataDir });
  keys = await loadKeyRing({ repo: store.keys, secret: randomBytes(32), algorithms: ['RS256', 'ES256'] });
  rs = (await createClient(store, { name: 'RS', kind: 'web', redirectUris: ['https://rp.example.test/cb'] })).client;
  es = (await createClient(store, { name: 'ES', kind: 'web', redirectUris: ['https://rp.example.test/cb'], idTokenSignedResponseAlg: 'ES256' })).client;
});

afterAll(async () => {
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('logout token (Back-Channel Logout 1.0 §2.4)', () => {
  it('is a logout+jwt signed by the active key with every claim the RP checks, and never a nonce', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issueLogoutToken({ issuer, client: rs, sub: 'person-1', sid: 'session-1', now }, keys);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(keys.jwks()), { issuer, audience: rs.clientId, typ: LOGOUT_TOKEN_TYPE });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'logout+jwt' });
    expect(protectedHeader.kid).toBeTypeOf('string');
    expect(payload).toEqual({
      iss: issuer,
      aud: rs.clientId,
      sub: 'person-1',
      sid: 'session-1',
      iat: now,
      exp: now + 120,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    });
  });

  it('uses the client\'s ID token algorithm, a fresh jti each time, and no sid when none is known', async () => {
    const now = Math.floor(Date.now() / 1000);
    const a = await issueLogoutToken({ issuer, client: es, sub: 'person-1', sid: null, now }, keys);
    const b = await issueLogoutToken({ issuer, client: es, sub: 'person-1', sid: null, now }, keys);
    expect(decodeProtectedHeader(a).alg).toBe('ES256');
    const jwks = createLocalJWKSet(keys.jwks());
    const first = (await jwtVerify(a, jwks, { issuer, audience: es.clientId })).payload;
    const second = (await jwtVerify(b, jwks, { issuer, audience: es.clientId })).payload;
    expect(first).not.toHaveProperty('sid');
    expect(first).not.toHaveProperty('nonce');
    expect(first.jti).not.toBe(second.jti);
    // An RP that expects an ID token (typ JWT) does not take it for one.
    await expect(jwtVerify(a, jwks, { issuer, audience: es.clientId, typ: 'JWT' })).rejects.toThrow();
  });
});
