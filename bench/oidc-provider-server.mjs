/**
 * node-oidc-provider, configured like the Latch side of the benchmark: the same clients, the same signing
 * key types, client credentials, introspection, revocation, resource indicators with one opaque and two
 * JWT (ES256, RS256) APIs, refresh token rotation, and a session flow whose login and consent are done once
 * by an in-process interaction handler. Default in-memory store (its MemoryAdapter, an LRU).
 *
 * Environment: PORT, BENCH_SETUP (JSON: issuer, clients, user, apis).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const setup = JSON.parse(process.env.BENCH_SETUP ?? '{}');
const { issuer, clients, user, apis } = setup;

/** The same key set as Latch: an active and a next key for RS256, ES256, PS256 and EdDSA. */
function signingKeys() {
  const keys = [];
  for (const [alg, type, options] of [
    ['RS256', 'rsa', { modulusLength: 2048 }],
    ['ES256', 'ec', { namedCurve: 'P-256' }],
    ['PS256', 'rsa', { modulusLength: 2048 }],
    ['EdDSA', 'ed25519', {}],
  ]) {
    for (let i = 0; i < 2; i++) {
      const { privateKey } = generateKeyPairSync(type, options);
      keys.push({ ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `${alg.toLowerCase()}-${i}` });
    }
  }
  return keys;
}

const apisByIdentifier = new Map(apis.map((api) => [api.identifier, api]));

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clients.m2m.clientId,
      client_secret: clients.m2m.clientSecret,
      grant_types: ['client_credentials'],
      scope: 'read',
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: clients.web.clientId,
      client_secret: clients.web.clientSecret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [clients.web.redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: signingKeys() },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'profile', 'email', 'offline_access', 'read'],
  async findAccount(_ctx, id) {
    if (id !== user.sub) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, name: user.name, email: user.email, email_verified: true }) };
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo(_ctx, resource) {
        const api = apisByIdentifier.get(resource);
        if (!api) throw new Provider.errors.InvalidTarget();
        const info = { audience: resource, scope: api.scopes.join(' '), accessTokenTTL: 3600 };
        return api.tokenFormat === 'jwt'
          ? { ...info, accessTokenFormat: 'jwt', jwt: { sign: { alg: api.signingAlg } } }
          : { ...info, accessTokenFormat: 'opaque' };
      },
    },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // As Latch: a client allowed the refresh_token grant gets a refresh token, rotated on every use,
  // living on after the session ends.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  expiresWithSession: async () => false,
  ttl: {
    AccessToken: 3600,
    ClientCredentials: 3600,
    IdToken: 3600,
    AuthorizationCode: 60,
    RefreshToken: 1209600,
    Grant: 1209600,
    Session: 1209600,
    Interaction: 900,
  },
});

provider.on('server_error', (_ctx, err) => console.error('server_error', err));

/** Login and consent: the person is `user`, who allows what the client asks for (a Grant is saved, so it is remembered). */
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    return provider.interactionFinished(req, res, { login: { accountId: user.sub, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
  }
  const { accountId } = details.session;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
const server = createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
    return;
  }
  callback(req, res);
});
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1');
const shutdown = () => server.close(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
