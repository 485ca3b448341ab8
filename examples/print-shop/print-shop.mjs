// The "print shop": a web app (a confidential client of Latch) that imports a person's photos from the photos
// API with their permission, using the authorization code flow (openid-client) and an access token for that API.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import * as client from 'openid-client';

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const style = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #faf7f2; color: #2b2b2b; }
  header { background: #c2410c; color: #fff; padding: 1rem 2rem; }
  header h1 { margin: 0; font-size: 1.5rem; }
  main { padding: 1.5rem 2rem; max-width: 60rem; }
  .button { font: inherit; background: #c2410c; color: #fff; border: 0; border-radius: .4rem; padding: .6rem 1.2rem; cursor: pointer; }
  .button.secondary { background: #fff; color: #c2410c; border: 1px solid #c2410c; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 1rem; margin: 1rem 0; }
  figure { margin: 0; background: #fff; border-radius: .5rem; padding: .5rem; box-shadow: 0 1px 3px #0002; }
  figure img { width: 100%; height: auto; border-radius: .3rem; display: block; }
  figcaption { font-size: .9rem; padding-top: .4rem; }
  .price { color: #6b7280; }
  .alert { background: #fee2e2; border: 1px solid #ef4444; color: #7f1d1d; padding: .8rem 1rem; border-radius: .4rem; }
  .note { color: #6b7280; font-size: .9rem; }
  form { display: inline; }
`;

function page(body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Print shop</title><style>${style}</style></head>
<body><header><h1>Print shop</h1><div>Beautiful prints of your photos</div></header><main>${body}</main></body></html>`;
}

const importButton = (label = 'Import my photos') =>
  `<form method="post" action="/import"><button class="button" type="submit">${escape(label)}</button></form>`;

/**
 * @param {object} options
 * @param {string} options.issuer        Latch's issuer URL
 * @param {string} options.clientId      the print shop's client_id (a `web` client of Latch)
 * @param {string} options.clientSecret
 * @param {string} options.photosApi     the photos API's base URL
 * @param {string} options.resource      the photos API's identifier (RFC 8707 resource)
 * @param {number} options.port
 * @param {string} [options.host]
 */
export async function startPrintShop({ issuer, clientId, clientSecret, photosApi, resource, port, host = 'localhost' }) {
  const base = `http://localhost:${port}`;
  const issuerUrl = new URL(issuer);
  const config = await client.discovery(issuerUrl, clientId, undefined, client.ClientSecretBasic(clientSecret), {
    execute: issuerUrl.protocol === 'http:' ? [client.allowInsecureRequests] : [],
  });
  /** In-memory sessions keyed by a random cookie: enough for a demo. */
  const sessions = new Map();

  /** Fetches the photos with the access token; a 401 from the API means the person's permission is gone. */
  async function loadPhotos(session) {
    let res;
    try {
      res = await fetch(`${photosApi}/photos`, { headers: { authorization: `Bearer ${session.accessToken}` } });
    } catch {
      session.error = 'The photos service cannot be reached right now. Try again in a moment.';
      return;
    }
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      session.accessToken = undefined;
      session.photos = undefined;
      session.error = /has expired/.test(challenge)
        ? 'Your permission to read your photos has expired. Import again to reconnect.'
        : 'Access to your photos was revoked. Import again to reconnect.';
      return;
    }
    if (res.status !== 200) {
      session.error = `The photos service refused the request (${res.status}).`;
      return;
    }
    const body = await res.json();
    session.photos = body.photos;
    session.fetchedAt = new Date();
    session.error = undefined;
  }

  function render(session) {
    const parts = [];
    if (session.error) parts.push(`<p class="alert" role="alert">${escape(session.error)}</p>`);
    if (session.photos) {
      parts.push(
        `<h2>Your photos</h2><p class="note">Imported from the photos service with your permission (scope <code>read:photos</code>).</p>`,
        `<div class="grid">${session.photos
          .map(
            (p) =>
              `<figure><img src="${escape(p.url)}" alt="${escape(p.title)}" width="320" height="220"><figcaption><strong>${escape(p.title)}</strong><br><span class="price">10×15 cm print · €0.29</span></figcaption></figure>`,
          )
          .join('')}</div>`,
        `<form method="post" action="/refresh"><button class="button secondary" type="submit">Refresh photos</button></form>`,
      );
    } else {
      parts.push(
        `<h2>Order prints of the photos you keep elsewhere</h2>`,
        `<p>The print shop never sees your password: you sign in at Latch and allow it to read your photos, nothing else.</p>`,
        importButton(),
      );
    }
    return page(parts.join('\n'));
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, base);
    const sid = /(?:^|; )print_shop_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    let session = sid && sessions.get(sid);
    const headers = {};
    if (!session) {
      const id = randomBytes(16).toString('hex');
      session = {};
      sessions.set(id, session);
      headers['Set-Cookie'] = `print_shop_session=${id}; HttpOnly; SameSite=Lax; Path=/`;
    }
    const redirect = (location) => {
      res.writeHead(303, { ...headers, Location: location });
      res.end();
    };
    try {
      if (url.pathname === '/import' && req.method === 'POST') {
        session.codeVerifier = client.randomPKCECodeVerifier();
        session.state = client.randomState();
        session.nonce = client.randomNonce();
        const authorizationUrl = client.buildAuthorizationUrl(config, {
          redirect_uri: `${base}/callback`,
          scope: 'openid read:photos',
          // RFC 8707: the token is for the photos API, and only for it.
          resource,
          code_challenge: await client.calculatePKCECodeChallenge(session.codeVerifier),
          code_challenge_method: 'S256',
          state: session.state,
          nonce: session.nonce,
        });
        return redirect(authorizationUrl.href);
      }
      if (url.pathname === '/callback') {
        if (url.searchParams.has('error')) {
          session.error = url.searchParams.get('error') === 'access_denied' ? 'You did not allow access to your photos.' : `Latch said: ${url.searchParams.get('error_description')}`;
          return redirect('/');
        }
        const tokens = await client.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: session.codeVerifier,
          expectedState: session.state,
          expectedNonce: session.nonce,
        });
        session.accessToken = tokens.access_token;
        await loadPhotos(session);
        return redirect('/');
      }
      if (url.pathname === '/refresh' && req.method === 'POST') {
        if (session.accessToken) await loadPhotos(session);
        return redirect('/');
      }
      if (url.pathname === '/') {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
        return res.end(render(session));
      }
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end('Not found');
    } catch (err) {
      res.writeHead(500, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page(`<p class="alert" role="alert">Import failed: ${escape(err.message)}</p>${importButton('Try again')}`));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    url: base,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
