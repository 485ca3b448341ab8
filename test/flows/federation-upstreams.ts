/**
 * The upstream providers of the federation flow tests, on 127.0.0.1 (the Latch under test runs on localhost, so that
 * the browser keeps their cookies apart): a second Latch instance and node-oidc-provider with its development
 * interactions (any login name signs in; consent is one button).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';
import { createConnection, type CreateConnectionInput } from '../../src/admin/connections.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';

export interface OidcProviderUpstream {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/** node-oidc-provider; the account `<name>` has email `<name>@op.test`, verified unless the name starts with "unverified". */
export async function startOidcProvider(redirectUri: string): Promise<OidcProviderUpstream> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'latch-under-test',
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, id: string) {
      return {
        accountId: id,
        claims: async () => ({ sub: id, email: `${id}@op.test`, email_verified: !id.startsWith('unverified'), name: `OP ${id}` }),
      };
    },
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer,
    clientId: 'latch-under-test',
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The Latch under test on localhost, with a known server secret (so the test can create connections). */
export async function startLatchOnLocalhost(): Promise<{ latch: TestServer; secret: Uint8Array }> {
  const secret = randomBytes(32);
  const port = await freePort();
  const latch = await startTestServer({ port, issuer: `http://localhost:${port}`, secret: secret.toString('base64url') });
  return { latch, secret };
}

export function addConnection(latch: TestServer, secret: Uint8Array, input: CreateConnectionInput) {
  return createConnection({ store: latch.latch.store, serverSecret: secret, allowPrivate: true, issuer: latch.issuer }, input);
}

/** A second Latch on 127.0.0.1 as an upstream provider, with a confidential client for the callback. */
export async function startUpstreamLatch(redirectUri: string): Promise<{ upstream: TestServer; clientId: string; clientSecret: string }> {
  const upstream = await startTestServer();
  const client = await upstream.client({ kind: 'web', name: 'Latch downstream', redirectUris: [redirectUri] });
  return { upstream, clientId: client.clientId, clientSecret: client.clientSecret! };
}

export interface FederationSetup {
  latch: TestServer;
  secret: Uint8Array;
  upstream: TestServer;
  op: OidcProviderUpstream;
  close(): Promise<void>;
}

/**
 * The Latch under test on localhost with its two upstreams on 127.0.0.1: another Latch (connection `latch-up`, with
 * grace@ and hedy@up.test) and node-oidc-provider (connection `op`); bob@op.test already has an account here.
 */
export async function startFederation(): Promise<FederationSetup> {
  const { latch, secret } = await startLatchOnLocalhost();
  const up = await startUpstreamLatch(`${latch.issuer}/federation/latch-up/callback`);
  const upstream = up.upstream;
  await upstream.user({ email: 'grace@up.test', name: 'Grace Hopper' });
  await upstream.user({ email: 'hedy@up.test', name: 'Hedy Lamarr' });
  const op = await startOidcProvider(`${latch.issuer}/federation/op/callback`);
  await addConnection(latch, secret, { id: 'latch-up', name: 'Upstream Latch', issuer: upstream.issuer, client_id: up.clientId, client_secret: up.clientSecret });
  await addConnection(latch, secret, { id: 'op', name: 'OIDC Provider', issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret });
  await latch.user({ email: 'bob@op.test', name: 'Bob Existing' });
  return {
    latch,
    secret,
    upstream,
    op,
    async close() {
      await op.close();
      await upstream.close();
      await latch.close();
    },
  };
}
