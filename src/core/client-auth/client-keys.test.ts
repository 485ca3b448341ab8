import { exportJWK, generateKeyPair, SignJWT, jwtVerify, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import type { OutboundResponse } from '../../outbound/index.js';
import type { ClientRecord } from '../../storage/types.js';
import { ClientKeysError, createClientKeys } from './client-keys.js';

async function key(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256' };
  const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
  return { jwk, token };
}

function clientWith(metadata: Partial<ClientRecord['metadata']>): ClientRecord {
  return { clientId: 'c', clientSecretDigest: null, previousSecret: null, createdAt: 0, metadata: metadata as ClientRecord['metadata'] };
}

/** A jwks_uri served from memory: what it publishes, and how often it was asked. */
function keyServer() {
  const state = { keys: [] as JWK[], fetches: 0, fail: false };
  const fetch = async (url: string): Promise<OutboundResponse> => {
    state.fetches += 1;
    if (state.fail) throw new Error('connection refused');
    return { url, status: 200, headers: {}, body: Buffer.from(JSON.stringify({ keys: state.keys })) };
  };
  return { state, fetch };
}

describe('client keys', () => {
  it('uses inline jwks without fetching', async () => {
    const { jwk, token } = await key('a');
    const server = keyServer();
    const keys = createClientKeys({ allowPrivate: false, fetch: server.fetch });
    await expect(jwtVerify(token, keys.resolver(clientWith({ jwks: { keys: [jwk] } })))).resolves.toBeDefined();
    expect(server.state.fetches).toBe(0);
  });

  it('caches a jwks_uri set, refetches once for an unknown kid, and again after maxAge', async () => {
    let now = 1000;
    const a = await key('a');
    const b = await key('b');
    const server = keyServer();
    server.state.keys = [a.jwk];
    const keys = createClientKeys({ allowPrivate: false, fetch: server.fetch, now: () => now, maxAgeSeconds: 60 });
    const client = clientWith({ jwks_uri: 'https://rp.example/jwks' });
    await jwtVerify(a.token, keys.resolver(client));
    await jwtVerify(a.token, keys.resolver(client));
    expect(server.state.fetches).toBe(1);
    server.state.keys = [a.jwk, b.jwk];
    await jwtVerify(b.token, keys.resolver(client));
    expect(server.state.fetches).toBe(2);
    // An unknown kid whose refetch does not have it either: refused, after one fetch only.
    const stranger = await key('z');
    await expect(jwtVerify(stranger.token, keys.resolver(client))).rejects.toThrow();
    expect(server.state.fetches).toBe(3);
    now += 61;
    await jwtVerify(a.token, keys.resolver(client));
    expect(server.state.fetches).toBe(4);
  });

  it('says why there are no keys', async () => {
    const { token } = await key('a');
    const server = keyServer();
    server.state.fail = true;
    const keys = createClientKeys({ allowPrivate: false, fetch: server.fetch });
    await expect(jwtVerify(token, keys.resolver(clientWith({})))).rejects.toBeInstanceOf(ClientKeysError);
    await expect(jwtVerify(token, keys.resolver(clientWith({ jwks_uri: 'https://rp.example/jwks' })))).rejects.toThrow(/could not be fetched/);
  });

  it('keeps at most maxEntries sets', async () => {
    const a = await key('a');
    const server = keyServer();
    server.state.keys = [a.jwk];
    const keys = createClientKeys({ allowPrivate: false, fetch: server.fetch, maxEntries: 1 });
    await jwtVerify(a.token, keys.resolver(clientWith({ jwks_uri: 'https://one.example/jwks' })));
    await jwtVerify(a.token, keys.resolver(clientWith({ jwks_uri: 'https://two.example/jwks' })));
    await jwtVerify(a.token, keys.resolver(clientWith({ jwks_uri: 'https://one.example/jwks' })));
    expect(server.state.fetches).toBe(3);
  });
});
