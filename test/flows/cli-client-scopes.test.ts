/**
 * A client made with `latch clients create --scope` can still sign people in: --scope adds to the type's
 * default scopes (openid included), it does not replace them.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, runLatch } from '../../src/cli/test-helpers.js';
import { Browser } from '../helpers/browser.js';
import { discover } from '../helpers/rp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts?.close();
});

describe('latch clients create --scope, then sign-in', () => {
  it('signs in with openid and the added scope, through a client made by the CLI in another connection', async () => {
    const redirectUri = 'https://photos-app.example.test/callback';
    const created = await runLatch(
      ['clients', 'create', '--name', 'Photos app', '--type', 'spa', '--redirect-uri', redirectUri, '--scope', 'read:photos', '--json'],
      { env: { LATCH_DATA_DIR: ts.dataDir } },
    );
    expectCode(created, 0);
    const clientId = created.json<{ client_id: string }>().client_id;
    const user = await ts.user({ name: 'Grace Hopper' });

    const config = await discover(ts, { clientId }, { token_endpoint_auth_method: 'none' }, client.None());
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile read:photos',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const result = await new Browser().authorize(url, { stopAt: redirectUri, credentials: user, decision: 'allow' });
    expect(result.callback.searchParams.get('error')).toBeNull();
    const tokens = await client.authorizationCodeGrant(config, result.callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(user.sub);
    expect(tokens.scope?.split(' ').sort()).toEqual(['openid', 'profile', 'read:photos']);
  });
});
