// A minimal web application that signs people in with Latch, using openid-client as the relying party.
//
//   LATCH_ISSUER=http://localhost:3000 CLIENT_ID=... CLIENT_SECRET=... node examples/web-app/server.mjs
//
// Register it first:
//   npx latch clients create --name "Example web app" --type web --redirect-uri http://localhost:8080/callback \
//     --post-logout-redirect-uri http://localhost:8080/
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import * as client from 'openid-client';

const issuer = new URL(process.env.LATCH_ISSUER ?? 'http://localhost:3000');
const port = Number(process.env.PORT ?? 8080);
const base = `http://localhost:${port}`;
const { CLIENT_ID, CLIENT_SECRET } = process.env;
if (!CLIENT_ID || !CLIENT_SECRET) {
  console.error('Set CLIENT_ID and CLIENT_SECRET (from `npx latch clients create ... --type web`).');
  process.exit(1);
}

// `--type web` clients authenticate with client_secret_basic (Latch refuses any other method for them).
const config = await client.discovery(issuer, CLIENT_ID, undefined, client.ClientSecretBasic(CLIENT_SECRET), {
  execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
});

/** In-memory sessions keyed by a random cookie: enough for an example. */
const sessions = new Map();
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const sid = /(?:^|; )app_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const session = (sid && sessions.get(sid)) || {};
  try {
    if (url.pathname === '/login') {
      const id = randomBytes(16).toString('hex');
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      sessions.set(id, { codeVerifier, state, nonce });
      const authorizationUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: `${base}/callback`,
        scope: 'openid profile email offline_access',
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      res.writeHead(303, { Location: authorizationUrl.href, 'Set-Cookie': `app_session=${id}; HttpOnly; SameSite=Lax; Path=/` });
      return res.end();
    }
    if (url.pathname === '/callback') {
      const tokens = await client.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: session.codeVerifier,
        expectedState: session.state,
        expectedNonce: session.nonce,
      });
      const claims = tokens.claims();
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      Object.assign(session, { idToken: tokens.id_token, claims, userinfo });
      res.writeHead(303, { Location: '/' });
      return res.end();
    }
    if (url.pathname === '/logout' && session.idToken) {
      sessions.delete(sid);
      const endSession = client.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: `${base}/` });
      res.writeHead(303, { Location: endSession.href });
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(
      session.userinfo
        ? `<h1>Hello, ${escape(session.userinfo.name ?? session.userinfo.email ?? session.claims.sub)}</h1>
           <pre>${escape(JSON.stringify({ id_token_claims: session.claims, userinfo: session.userinfo }, null, 2))}</pre>
           <a href="/logout">Sign out</a>`
        : `<h1>Example web app</h1><a href="/login">Sign in with Latch</a>`,
    );
  } catch (err) {
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`Sign-in failed: ${err.message}${err.cause ? `\n${JSON.stringify(err.cause)}` : ''}`);
  }
}).listen(port, () => console.log(`Example web app on ${base} (issuer ${issuer.href})`));
