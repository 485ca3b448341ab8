/**
 * The benchmark scenarios, one small declarative entry each. A scenario runs against every server
 * (Latch, node-oidc-provider); `available` says why it cannot (a feature a server lacks), `check` sends
 * one real request and verifies the answer before any load, `prepare` builds the autocannon requests for
 * one run (called before every run, so per-run state such as refresh token chains starts fresh).
 *
 * goal: what the issue asks of Latch: `{ vs: 'ceiling', min }` (ratio to bare Fastify) or
 * `{ vs: 'peer', min }` (ratio to node-oidc-provider). `p99Goal: false` exempts a scenario from the
 * p99 latency goal (RS256 signing is the ceiling there).
 */
import { basicAuth, formBody, pkcePair, postForm, randomValue } from './lib/http.mjs';

const FORM = 'application/x-www-form-urlencoded';

function tokenRequest(server, client, fields) {
  return {
    method: 'POST',
    path: server.paths.token,
    headers: { 'content-type': FORM, authorization: basicAuth(client.clientId, client.clientSecret) },
    body: formBody(fields),
  };
}

function decodeJwtHeader(jwt) {
  return JSON.parse(Buffer.from(String(jwt).split('.')[0], 'base64url').toString('utf8'));
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function expectToken(server, client, fields) {
  const response = await postForm(server.url(server.paths.token), fields, { authorization: basicAuth(client.clientId, client.clientSecret) });
  expect(response.status === 200, `token endpoint answered ${response.status}: ${response.text.slice(0, 300)}`);
  expect(typeof response.json?.access_token === 'string', 'no access_token in the token response');
  expect(/^bearer$/i.test(response.json.token_type), `token_type is ${response.json.token_type}`);
  return response.json;
}

function clientCredentials(id, label, api, goal, p99Goal = true) {
  const fields = (server) => ({ grant_type: 'client_credentials', scope: 'read', resource: server.apis[api] });
  return {
    id,
    label,
    unit: 'req/s',
    goal,
    p99Goal,
    available(server) {
      if (!server.features.clientCredentials) return 'client credentials grant missing';
      if (api !== 'opaque' && !server.apis[api]) return 'JWT access tokens (APIs) missing';
      return true;
    },
    async check(server) {
      const body = await expectToken(server, server.clients.m2m, fields(server));
      const isJwt = body.access_token.split('.').length === 3;
      if (api === 'opaque') expect(!isJwt, 'expected an opaque access token, got a JWT');
      else expect(isJwt && decodeJwtHeader(body.access_token).alg === server.apiAlgs[api], `expected a ${server.apiAlgs[api]} JWT access token`);
    },
    prepare: (server) => ({ requests: [tokenRequest(server, server.clients.m2m, fields(server))] }),
  };
}

/** A code flow for the logged-in browser of `server`: authorize (session and consent remembered), then the code exchange. */
export async function codeFlow(server) {
  const { web } = server.clients;
  const { verifier, challenge } = pkcePair();
  const url = new URL(server.url(server.paths.authorization));
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: web.clientId,
    redirect_uri: web.redirectUri,
    scope: 'openid profile email',
    state: randomValue(),
    nonce: randomValue(),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  const callback = await server.browser.authorize(url, { redirectUri: web.redirectUri, email: server.user.email, password: server.user.password });
  const code = callback.searchParams.get('code');
  expect(code, `no code in ${callback.href}`);
  return expectToken(server, web, { grant_type: 'authorization_code', code, redirect_uri: web.redirectUri, code_verifier: verifier });
}

async function pool(count, make) {
  const out = [];
  const workers = Array.from({ length: 10 }, async () => {
    while (out.length < count) out.push(await make());
  });
  await Promise.all(workers);
  return out.slice(0, count);
}

/** Shared by the per-request callbacks of one run. */
function tally() {
  return { ok: 0, bad: 0, lastError: undefined };
}

const CONNECTIONS_SPARE = 20;

export const scenarios = [
  {
    id: 'discovery',
    label: 'GET discovery',
    unit: 'req/s',
    goal: { vs: 'ceiling', min: 0.7 },
    available: () => true,
    async check(server) {
      const response = await fetch(server.url(server.paths.discovery), { signal: AbortSignal.timeout(15_000) });
      expect(response.status === 200 && (await response.json()).issuer === server.issuer, 'discovery document without the issuer');
    },
    prepare: (server) => ({ requests: [{ method: 'GET', path: server.paths.discovery }] }),
  },
  {
    id: 'jwks',
    label: 'GET JWKS',
    unit: 'req/s',
    goal: { vs: 'ceiling', min: 0.7 },
    available: () => true,
    async check(server) {
      const response = await fetch(server.url(server.paths.jwks), { signal: AbortSignal.timeout(15_000) });
      const body = await response.json();
      expect(response.status === 200 && body.keys.length > 0, 'empty JWKS');
      expect(body.keys.every((k) => k.d === undefined), 'private key material in the JWKS');
    },
    prepare: (server) => ({ requests: [{ method: 'GET', path: server.paths.jwks }] }),
  },
  clientCredentials('cc-opaque', 'client credentials, opaque token', 'opaque', { vs: 'peer', min: 4 }),
  clientCredentials('cc-es256', 'client credentials, JWT ES256', 'es256', { vs: 'peer', min: 4 }),
  clientCredentials('cc-rs256', 'client credentials, JWT RS256', 'rs256', { vs: 'peer', min: 1.8 }, false),
  {
    id: 'introspection',
    label: 'introspection (live opaque token)',
    unit: 'req/s',
    goal: { vs: 'peer', min: 4 },
    available: () => true,
    async check(server) {
      const { access_token } = await codeFlow(server);
      const { web } = server.clients;
      const response = await postForm(server.url(server.paths.introspection), { token: access_token }, { authorization: basicAuth(web.clientId, web.clientSecret) });
      expect(response.status === 200 && response.json?.active === true, `introspection: ${response.status} ${response.text.slice(0, 300)}`);
    },
    async prepare(server) {
      // A fresh token per run: node-oidc-provider's in-memory store may have evicted an older one.
      const { access_token } = await codeFlow(server);
      const { web } = server.clients;
      return {
        requests: [
          {
            method: 'POST',
            path: server.paths.introspection,
            headers: { 'content-type': FORM, authorization: basicAuth(web.clientId, web.clientSecret) },
            body: formBody({ token: access_token }),
          },
        ],
      };
    },
  },
  {
    id: 'refresh',
    label: 'refresh token rotation',
    unit: 'req/s',
    available: () => true,
    async check(server) {
      const { refresh_token } = await codeFlow(server);
      expect(refresh_token, 'no refresh token from the code flow');
      const body = await expectToken(server, server.clients.web, { grant_type: 'refresh_token', refresh_token });
      expect(body.refresh_token && body.refresh_token !== refresh_token, 'the refresh token was not rotated');
      // Once its successor has been used, the rotated token is refused (Latch answers an immediate replay, within
      // LATCH_REFRESH_REUSE_INTERVAL and while the successor is unused, with that same successor).
      const next = await expectToken(server, server.clients.web, { grant_type: 'refresh_token', refresh_token: body.refresh_token });
      expect(next.refresh_token && next.refresh_token !== body.refresh_token, 'the refresh token was not rotated twice');
      const reuse = await postForm(server.url(server.paths.token), { grant_type: 'refresh_token', refresh_token }, {
        authorization: basicAuth(server.clients.web.clientId, server.clients.web.clientSecret),
      });
      expect(reuse.status === 400 && reuse.json?.error === 'invalid_grant', 'a rotated refresh token was accepted again');
    },
    async prepare(server, { connections }) {
      // Chains of refresh tokens: each request uses the refresh token the previous request of its chain returned.
      const { web } = server.clients;
      await codeFlow(server); // logs in again first if the session is gone (node-oidc-provider's LRU evicts it under load)
      const live = (await pool(connections + CONNECTIONS_SPARE, () => codeFlow(server))).map((t) => t.refresh_token);
      const counts = tally();
      const authorization = basicAuth(web.clientId, web.clientSecret);
      return {
        tally: counts,
        requests: [
          {
            method: 'POST',
            path: server.paths.token,
            setupRequest(request) {
              // When every chain has broken (failed rotations), the request is sent anyway and counted as failed.
              const token = live.shift() ?? 'no-live-refresh-token-left';
              return { ...request, headers: { 'content-type': FORM, authorization }, body: formBody({ grant_type: 'refresh_token', refresh_token: token }) };
            },
            onResponse(status, body) {
              const next = status === 200 ? JSON.parse(body).refresh_token : undefined;
              if (next) {
                counts.ok++;
                live.push(next);
              } else {
                counts.bad++;
                counts.lastError = `${status} ${String(body).slice(0, 200)}`;
              }
            },
          },
        ],
      };
    },
  },
  {
    id: 'code-flow',
    label: 'authorization code flow, live session',
    unit: 'flows/s',
    requestsPerUnit: 2,
    available: () => true,
    check: async (server) => {
      const body = await codeFlow(server);
      expect(typeof body.id_token === 'string', 'no ID token from the code flow');
    },
    async prepare(server) {
      const { web } = server.clients;
      await codeFlow(server); // logs in again first if the session is gone (node-oidc-provider's LRU evicts it under load)
      const counts = tally();
      const cookie = server.browser.cookieHeader(server.url(server.paths.authorization));
      const pairs = Array.from({ length: 1000 }, pkcePair);
      let n = 0;
      const authorization = basicAuth(web.clientId, web.clientSecret);
      return {
        tally: counts,
        requests: [
          {
            method: 'GET',
            setupRequest(request, context) {
              const pair = pairs[n++ % pairs.length];
              context.verifier = pair.verifier;
              const query = new URLSearchParams({
                response_type: 'code',
                client_id: web.clientId,
                redirect_uri: web.redirectUri,
                scope: 'openid profile email',
                state: randomValue(),
                nonce: randomValue(),
                code_challenge: pair.challenge,
                code_challenge_method: 'S256',
              });
              return { ...request, path: `${server.paths.authorization}?${query}`, headers: { cookie } };
            },
            onResponse(status, body, context, headers) {
              const location = headers.location ?? headers.Location;
              const code = status >= 300 && status < 400 && location?.startsWith(web.redirectUri) ? new URL(location).searchParams.get('code') : null;
              if (code) context.code = code;
              else {
                counts.bad++;
                counts.lastError = `authorize: ${status} ${location ?? String(body).slice(0, 200)}`;
              }
            },
          },
          {
            method: 'POST',
            path: server.paths.token,
            setupRequest(request, context) {
              if (!context.code) return null;
              return {
                ...request,
                headers: { 'content-type': FORM, authorization },
                body: formBody({ grant_type: 'authorization_code', code: context.code, redirect_uri: web.redirectUri, code_verifier: context.verifier }),
              };
            },
            onResponse(status, body) {
              if (status === 200) counts.ok++;
              else {
                counts.bad++;
                counts.lastError = `token: ${status} ${String(body).slice(0, 200)}`;
              }
            },
          },
        ],
      };
    },
  },
];

/** The ceiling: bare Fastify, measured once, compared with discovery and JWKS. */
export const ceilingScenario = {
  id: 'hello',
  label: 'bare Fastify GET /hello (ceiling)',
  unit: 'req/s',
  available: () => true,
  async check(server) {
    const response = await fetch(server.url('/hello'), { signal: AbortSignal.timeout(15_000) });
    expect(response.status === 200, `hello: ${response.status}`);
  },
  prepare: () => ({ requests: [{ method: 'GET', path: '/hello' }] }),
};

/**
 * The scenarios of issue 14, run on their own servers (run.mjs): `pair` on one Latch and on two Latch instances
 * behind HAProxy on one PostgreSQL database (interleaved); `expired` on a Latch with an empty token table and one
 * with BENCH_EXPIRED_ROWS expired tokens in it (interleaved). By default they run on PostgreSQL only.
 */
function variant(id, suffix, group, label) {
  const base = scenarios.find((s) => s.id === id);
  return { ...base, id: `${id}-${suffix}`, label: `${base.label}: ${label}`, group, goal: undefined };
}

scenarios.push(
  variant('cc-opaque', '2x', 'pair', 'two instances behind HAProxy'),
  variant('introspection', '2x', 'pair', 'two instances behind HAProxy'),
  variant('cc-opaque', 'expired', 'expired', 'expired tokens in the table'),
  variant('introspection', 'expired', 'expired', 'expired tokens in the table'),
);
