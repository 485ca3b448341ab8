// Sign-in only (no API calls) with the OpenID Connect implicit flow: response_type=id_token, delivered by
// response_mode=form_post. The app never sees an access token; it only learns who signed in, from an ID token
// that openid-client verifies (signature, iss, aud, exp, nonce). For anything that calls an API, use the
// authorization code flow (examples/web-app) instead.
//
//   LATCH_ISSUER=http://localhost:3000 CLIENT_ID=... node examples/implicit-form-post/server.mjs
//
// Register it first (implicit is off unless a client is registered for it):
//   npx latch clients create --name "Implicit example" --type spa --grant-type implicit \
//     --response-type id_token --redirect-uri http://localhost:8081/callback
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import * as client from 'openid-client';

const issuer = new URL(process.env.LATCH_ISSUER ?? 'http://localhost:3000');
const port = Number(process.env.PORT ?? 8081);
const base = process.env.APP_URL ?? `http://localhost:${port}`;
const { CLIENT_ID } = process.env;
if (!CLIENT_ID) {
  console.error('Set CLIENT_ID (from `npx latch clients create ... --grant-type implicit --response-type id_token`).');
  process.exit(1);
}

// A public client: no secret. useIdTokenResponseType switches openid-client to response_type=id_token.
const config = await client.discovery(issuer, CLIENT_ID, undefined, client.None(), {
  execute: [client.useIdTokenResponseType, ...(issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [])],
});

/** Pending sign-ins (nonce and state) and signed-in sessions, keyed by a random cookie: enough for an example. */
const sessions = new Map();
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// The form_post arrives as a POST from Latch's origin. A SameSite=Lax cookie is sent with it only when Latch and
// the app are the same site (e.g. both on localhost); across sites the cookie must be SameSite=None; Secure (https).
const cookieFlags = base.startsWith('https:') ? 'HttpOnly; Secure; SameSite=None; Path=/' : 'HttpOnly; SameSite=Lax; Path=/';

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const sid = /(?:^|; )implicit_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const session = (sid && sessions.get(sid)) || {};
  try {
    if (url.pathname === '/login') {
      const id = randomBytes(16).toString('hex');
      const nonce = client.randomNonce();
      const state = client.randomState();
      sessions.set(id, { nonce, state });
      const authorizationUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: `${base}/callback`,
        scope: 'openid profile email',
        response_mode: 'form_post',
        nonce,
        state,
      });
      res.writeHead(303, { Location: authorizationUrl.href, 'Set-Cookie': `implicit_session=${id}; ${cookieFlags}` });
      return res.end();
    }
    if (url.pathname === '/callback' && req.method === 'POST') {
      if (!session.nonce) throw new Error('no sign-in in progress: the session cookie did not come back with the form_post');
      // Rebuild the incoming POST as a fetch Request: openid-client reads the form body from it.
      const request = new Request(url, { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body: await readBody(req) });
      const claims = await client.implicitAuthentication(config, request, session.nonce, { expectedState: session.state });
      // The nonce and state are single use.
      sessions.set(sid, { claims });
      res.writeHead(303, { Location: '/' });
      return res.end();
    }
    if (url.pathname === '/logout') {
      sessions.delete(sid);
      res.writeHead(303, { Location: '/' });
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(
      session.claims
        ? `<h1>Hello, ${escape(session.claims.name ?? session.claims.email ?? session.claims.sub)}</h1>
           <pre id="claims">${escape(JSON.stringify(session.claims, null, 2))}</pre>
           <a href="/logout">Forget me</a>`
        : `<h1>Implicit flow example</h1><a href="/login">Sign in with Latch</a>`,
    );
  } catch (err) {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`Sign-in failed: ${err.message}${err.cause ? `\n${JSON.stringify(err.cause)}` : ''}`);
  }
}).listen(port, () => console.log(`Implicit example on ${base} (issuer ${issuer.href})`));
