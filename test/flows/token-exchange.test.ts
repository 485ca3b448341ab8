/**
 * RFC 8693 token exchange over real HTTP: a person signs in to a web shop, whose token is for the orders API; the
 * orders service (an API with a client of its own) trades that token at /token for one for the stock API, on the
 * person's behalf, with oauth4webapi as its client; the stock service does the same for the warehouse API.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/admin/apis.js';
import { revokeGrant } from '../../src/admin/grants.js';
import { TOKEN_EXCHANGE_GRANT } from '../../src/admin/client-metadata.js';
import { tokenKey } from '../../src/core/tokens/token-key.js';
import { Browser } from '../helpers/browser.js';
import { expectTokenError, expectTokens, getJson, introspect, obtainTokens, revoke, tokenRequest } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const ORDERS = 'https://orders.example';
const STOCK = 'https://stock.example';
const WAREHOUSE = 'https://warehouse.example';
const SHORT = 'https://short.example';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
const ID = 'urn:ietf:params:oauth:token-type:id_token';

let ts: TestServer;
let user: TestUser;
let shop: TestClient;
let ordersService: TestClient;
let stockService: TestClient;
let stranger: TestClient;
let limited: TestClient;
let as: oauth.AuthorizationServer;

const auth = (c: TestClient) => ({ clientId: c.clientId, clientSecret: c.clientSecret! });

beforeAll(async () => {
  ts = await startTestServer({ tokenExchange: true });
  user = await ts.user();
  const exchanging = ['client_credentials', TOKEN_EXCHANGE_GRANT];
  shop = await ts.client({
    kind: 'web',
    grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT],
    scopes: ['openid profile offline_access orders:read stock:read short:read'],
  });
  ordersService = await ts.client({ kind: 'm2m', grantTypes: exchanging, scopes: ['stock:read stock:write'] });
  stockService = await ts.client({ kind: 'm2m', grantTypes: exchanging, scopes: ['stock:read'] });
  // May introspect the orders API's tokens, but is not registered for token exchange.
  stranger = await ts.client({ kind: 'm2m', scopes: ['stock:read'] });
  // May exchange the orders API's tokens, but is not registered for any scope of the stock API.
  limited = await ts.client({ kind: 'm2m', grantTypes: exchanging, scopes: ['orders:read'] });
  // The orders API's token carries what the orders service needs downstream (stock:read); the stock API defines it too.
  await createApi(ts.latch.store, { identifier: ORDERS, scopes: ['orders:read', 'stock:read'], accessTokenTtl: 600, introspectionClients: [ordersService.clientId, stranger.clientId, limited.clientId] });
  await createApi(ts.latch.store, { identifier: STOCK, scopes: ['stock:read', 'stock:write'], accessTokenTtl: 3600, introspectionClients: [stockService.clientId] });
  await createApi(ts.latch.store, { identifier: WAREHOUSE, scopes: ['stock:read'], tokenFormat: 'opaque', accessTokenTtl: 3600 });
  await createApi(ts.latch.store, { identifier: SHORT, scopes: ['short:read'], accessTokenTtl: 1, introspectionClients: [ordersService.clientId] });
  as = await oauth.processDiscoveryResponse(new URL(ts.issuer), await oauth.discoveryRequest(new URL(ts.issuer), { [oauth.allowInsecureRequests]: true }));
});

afterAll(async () => {
  await ts?.close();
});

async function ordersToken(scope = 'openid orders:read stock:read offline_access') {
  return (await obtainTokens(ts, new Browser(), shop, user, { scope, extra: { resource: ORDERS } })).tokens;
}

/** The exchange as the orders service's code would make it, with oauth4webapi. */
async function exchange(client: TestClient, parameters: Record<string, string>): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.genericTokenEndpointRequest(as, { client_id: client.clientId }, oauth.ClientSecretBasic(client.clientSecret!), TOKEN_EXCHANGE_GRANT, parameters, {
    [oauth.allowInsecureRequests]: true,
  });
  return oauth.processGenericTokenEndpointResponse(as, { client_id: client.clientId }, response);
}

function raw(client: TestClient, parameters: Record<string, string>) {
  return tokenRequest(ts, { grant_type: TOKEN_EXCHANGE_GRANT, ...parameters }, auth(client));
}

async function jwks() {
  return createLocalJWKSet((await getJson(`${ts.issuer}/jwks`)).body);
}

describe('an API calling another API on the person\'s behalf', () => {
  it('trades the orders token for a stock token: same person, the stock API, the scope asked, no refresh token', async () => {
    const subject = await ordersToken();
    const issued = await exchange(ordersService, { subject_token: subject.access_token, subject_token_type: ACCESS, resource: STOCK, scope: 'stock:read' });
    expect(issued.issued_token_type).toBe(ACCESS);
    expect(issued.token_type).toBe('bearer');
    expect(issued.scope).toBe('stock:read');
    expect(issued.refresh_token).toBeUndefined();
    // Never longer-lived than the subject token (600 s), though the stock API's tokens live an hour.
    expect(issued.expires_in).toBeLessThanOrEqual(600);
    const { payload } = await jwtVerify(issued.access_token, await jwks(), { issuer: ts.issuer, audience: STOCK, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: user.sub, client_id: ordersService.clientId, scope: 'stock:read' });
    expect(payload.exp!).toBeLessThanOrEqual(decodeJwt(subject.access_token).exp!);
    expect(payload).not.toHaveProperty('act');
    // The stock service introspects it like any token for its API.
    const seen = await introspect(ts, issued.access_token, auth(stockService));
    expect(seen.body).toMatchObject({ active: true, aud: STOCK, sub: user.sub, client_id: ordersService.clientId, scope: 'stock:read' });
    const events = await ts.latch.store.events.page({ type: 'token.exchanged' }, { limit: 10 });
    expect(events.items.some((e) => e.clientId === ordersService.clientId && e.sub === user.sub && e.data.audience === STOCK)).toBe(true);
  });

  it('without scope: the subject token\'s scopes that the API defines; by audience as well as resource', async () => {
    const subject = await ordersToken();
    const issued = expectTokens(await raw(ordersService, { subject_token: subject.access_token, subject_token_type: ACCESS, audience: STOCK }));
    expect(issued.scope).toBe('stock:read');
    expect(issued.issued_token_type).toBe(ACCESS);
    expect(issued.refresh_token).toBeUndefined();
  });

  it('delegation: the actor (the orders service) is named in act, and nested when the stock service exchanges again', async () => {
    const subject = await ordersToken();
    const own = await oauth.processClientCredentialsResponse(
      as,
      { client_id: ordersService.clientId },
      await oauth.clientCredentialsGrantRequest(as, { client_id: ordersService.clientId }, oauth.ClientSecretBasic(ordersService.clientSecret!), {}, { [oauth.allowInsecureRequests]: true }),
    );
    const delegated = await exchange(ordersService, {
      subject_token: subject.access_token,
      subject_token_type: ACCESS,
      actor_token: own.access_token,
      actor_token_type: ACCESS,
      resource: STOCK,
    });
    const act = { sub: ordersService.clientId, client_id: ordersService.clientId };
    expect(decodeJwt(delegated.access_token).act).toEqual(act);
    expect((await introspect(ts, delegated.access_token, auth(stockService))).body).toMatchObject({ active: true, sub: user.sub, act });

    const stockOwn = expectTokens(await tokenRequest(ts, { grant_type: 'client_credentials' }, auth(stockService)));
    const onward = expectTokens(
      await raw(stockService, { subject_token: delegated.access_token, subject_token_type: ACCESS, actor_token: stockOwn.access_token, actor_token_type: ACCESS, resource: WAREHOUSE }),
    );
    // An opaque token for the warehouse: its act is stated by introspection, the most recent actor outermost.
    expect((await introspect(ts, onward.access_token, auth(stockService))).body).toMatchObject({
      active: true,
      aud: WAREHOUSE,
      sub: user.sub,
      act: { sub: stockService.clientId, client_id: stockService.clientId, act },
    });
  });

  it('an ID token issued to the calling client, within the person\'s grant to it, and revoked with that grant', async () => {
    const { id_token: idToken, access_token: accessToken } = await ordersToken();
    const issued = expectTokens(await raw(shop, { subject_token: idToken, subject_token_type: ID, resource: STOCK, scope: 'stock:read' }));
    expect(decodeJwt(issued.access_token)).toMatchObject({ sub: user.sub, aud: STOCK, client_id: shop.clientId, scope: 'stock:read' });
    expect(issued.expires_in).toBeLessThanOrEqual(decodeJwt(idToken).exp! - Math.floor(Date.now() / 1000) + 1);
    const grantId = (await ts.latch.store.tokens.find(tokenKey(accessToken)))!.grantId!;
    expect((await ts.latch.store.tokens.find(tokenKey(issued.access_token)))!.grantId).toBe(grantId);
    await revokeGrant(ts.latch.store, grantId);
    expect((await introspect(ts, issued.access_token, auth(stockService))).body).toEqual({ active: false });
    // Without a live grant of the person to the client, the ID token is no subject any more.
    expectTokenError(await raw(shop, { subject_token: idToken, subject_token_type: ID, resource: STOCK }), 400, 'invalid_request');
  });

  it('a pairwise client\'s ID token (OIDC Core §8.1): its session names the person; the new token keeps the client\'s sub', async () => {
    const pairwise = await ts.client({ kind: 'web', grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT], scopes: ['openid stock:read'] });
    const record = await ts.latch.store.clients.find(pairwise.clientId);
    await ts.latch.store.clients.update(pairwise.clientId, { metadata: { ...record!.metadata, subject_type: 'pairwise' } });
    const { id_token: idToken } = (await obtainTokens(ts, new Browser(), pairwise, user, { scope: 'openid stock:read' })).tokens;
    const pairwiseSub = decodeJwt(idToken).sub;
    expect(pairwiseSub).not.toBe(user.sub);
    const issued = expectTokens(await raw(pairwise, { subject_token: idToken, subject_token_type: ID, resource: STOCK, scope: 'stock:read' }));
    expect(decodeJwt(issued.access_token)).toMatchObject({ sub: pairwiseSub, aud: STOCK, client_id: pairwise.clientId });
    // The grant it joined is the person's own (local sub).
    expect((await ts.latch.store.tokens.find(tokenKey(issued.access_token)))!.sub).toBe(user.sub);
  });

  it('an exchanged token is of the person\'s grant: revoking the grant revokes it', async () => {
    const subject = await ordersToken();
    const issued = await exchange(ordersService, { subject_token: subject.access_token, subject_token_type: ACCESS, resource: STOCK });
    const record = await ts.latch.store.tokens.find(tokenKey(subject.access_token));
    await revokeGrant(ts.latch.store, record!.grantId!);
    expect((await introspect(ts, issued.access_token, auth(stockService))).body).toEqual({ active: false });
  });

  it('is advertised in grant_types_supported', async () => {
    expect(as.grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
  });
});

describe('what token exchange refuses', () => {
  let subject: { access_token: string; id_token: string; refresh_token: string };
  beforeAll(async () => {
    subject = await ordersToken();
  });
  const base = () => ({ subject_token: subject.access_token, subject_token_type: ACCESS, resource: STOCK });

  it('a scope beyond the subject token\'s (stock:write), though the client and the API allow it: invalid_scope', async () => {
    expectTokenError(await raw(ordersService, { ...base(), scope: 'stock:write' }), 400, 'invalid_scope');
    expectTokenError(await raw(ordersService, { ...base(), scope: 'stock:read stock:write' }), 400, 'invalid_scope');
  });

  it('a scope the subject token has but the target API does not define: invalid_scope', async () => {
    expectTokenError(await raw(ordersService, { ...base(), scope: 'orders:read' }), 400, 'invalid_scope');
  });

  it('the admin API, by resource or audience: invalid_target', async () => {
    expectTokenError(await raw(ordersService, { ...base(), resource: 'urn:latch:admin' }), 400, 'invalid_target');
    const { resource: _, ...noResource } = base();
    expectTokenError(await raw(ordersService, { ...noResource, audience: 'urn:latch:admin' }), 400, 'invalid_target');
    // Refused for what it asks, before any token is looked at: even a subject token that is no token at all.
    expectTokenError(await raw(ordersService, { ...base(), subject_token: 'not-a-token', resource: 'urn:latch:admin', scope: 'admin:read' }), 400, 'invalid_target');
  });

  it('an unknown API, or resource and audience naming two: invalid_target', async () => {
    expectTokenError(await raw(ordersService, { ...base(), resource: 'https://nowhere.example' }), 400, 'invalid_target');
    expectTokenError(await raw(ordersService, { ...base(), audience: WAREHOUSE }), 400, 'invalid_target');
  });

  it('a scope of the subject token and the API that the calling client is not registered for: invalid_scope', async () => {
    expectTokenError(await raw(limited, { ...base(), scope: 'stock:read' }), 400, 'invalid_scope');
    // Without a scope parameter: the API is no target for this client.
    expectTokenError(await raw(limited, base()), 400, 'invalid_target');
  });

  it('no target: invalid_request', async () => {
    expectTokenError(await raw(ordersService, { subject_token: subject.access_token, subject_token_type: ACCESS }), 400, 'invalid_request');
  });

  it('a revoked subject token: invalid_request (RFC 8693 §2.2.2)', async () => {
    const revoked = await ordersToken('orders:read stock:read');
    expect((await revoke(ts, revoked.access_token, auth(shop))).status).toBe(200);
    expectTokenError(await raw(ordersService, { ...base(), subject_token: revoked.access_token }), 400, 'invalid_request');
  });

  it('an expired subject token: invalid_request', async () => {
    const short = await obtainTokens(ts, new Browser(), shop, user, { scope: 'openid short:read', extra: { resource: SHORT } });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expectTokenError(await raw(ordersService, { subject_token: short.tokens.access_token, subject_token_type: ACCESS, resource: STOCK }), 400, 'invalid_request');
  });

  it('another client\'s ID token (aud is the shop): invalid_request', async () => {
    expectTokenError(await raw(ordersService, { subject_token: subject.id_token, subject_token_type: ID, resource: STOCK }), 400, 'invalid_request');
  });

  it('a token of an API the caller does not serve: invalid_request', async () => {
    // The stock service may not introspect the orders API's tokens, so it may not exchange them.
    expectTokenError(await raw(stockService, base()), 400, 'invalid_request');
  });

  it('a client not registered for token exchange: unauthorized_client', async () => {
    expectTokenError(await raw(stranger, base()), 400, 'unauthorized_client');
  });

  it('token types: missing, unknown, or not what the token is: invalid_request', async () => {
    expectTokenError(await raw(ordersService, { subject_token: subject.access_token, resource: STOCK }), 400, 'invalid_request');
    expectTokenError(await raw(ordersService, { ...base(), subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }), 400, 'invalid_request');
    expectTokenError(await raw(ordersService, { ...base(), subject_token: subject.refresh_token }), 400, 'invalid_request');
    expectTokenError(await raw(ordersService, { ...base(), subject_token: subject.access_token, subject_token_type: ID }), 400, 'invalid_request');
    expectTokenError(await raw(ordersService, { ...base(), actor_token_type: ACCESS }), 400, 'invalid_request');
    expectTokenError(await raw(ordersService, { ...base(), requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }), 400, 'invalid_request');
  });

  it('an actor token of another client: invalid_request', async () => {
    const stockOwn = expectTokens(await tokenRequest(ts, { grant_type: 'client_credentials' }, auth(stockService)));
    // The orders service cannot introspect the stock service's own token: not usable as its actor.
    expectTokenError(await raw(ordersService, { ...base(), actor_token: stockOwn.access_token, actor_token_type: ACCESS }), 400, 'invalid_request');
  });

  it('a refused exchange issues nothing and leaves the subject token as it was', async () => {
    const before = await ts.latch.store.tokens.find(tokenKey(subject.access_token));
    expectTokenError(await raw(ordersService, { ...base(), scope: 'stock:write' }), 400, 'invalid_scope');
    expect(await ts.latch.store.tokens.find(tokenKey(subject.access_token))).toEqual(before);
    expect((await introspect(ts, subject.access_token, auth(ordersService))).body).toMatchObject({ active: true });
  });
});

describe('off by default', () => {
  it('without LATCH_TOKEN_EXCHANGE: unsupported_grant_type, and not advertised', async () => {
    const off = await startTestServer();
    try {
      const client = await off.client({ kind: 'm2m', grantTypes: ['client_credentials', TOKEN_EXCHANGE_GRANT] });
      const res = await tokenRequest(off, { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: 'x', subject_token_type: ACCESS, resource: STOCK }, auth(client));
      expectTokenError(res, 400, 'unsupported_grant_type');
      const metadata = (await getJson(`${off.issuer}/.well-known/openid-configuration`)).body;
      expect(metadata.grant_types_supported).not.toContain(TOKEN_EXCHANGE_GRANT);
    } finally {
      await off.close();
    }
  });
});
