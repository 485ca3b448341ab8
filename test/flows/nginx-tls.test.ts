/**
 * The production guide's reverse proxy, for real: docs/nginx.conf (the file docs/production.md includes) run by
 * Debian's nginx with a self-signed certificate made here, in front of Latch with LATCH_ISSUER=https://localhost:<port>
 * and LATCH_TRUST_PROXY=127.0.0.1. The client trusts that certificate only (its own https agent) and connects
 * from 127.0.0.5, so the address Latch records is provably the one nginx saw, not the proxy's.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findConsentForm, findLoginForm, hiddenFields, type Page } from '../helpers/browser.js';
import { adaptConfig } from '../helpers/cluster.js';
import { freePort, startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

const execFileAsync = promisify(execFile);
const NGINX = '/usr/sbin/nginx';
const GUIDE_CONFIG = resolve(import.meta.dirname, '../../docs/nginx.conf');
const CLIENT_ADDRESS = '127.0.0.5';

let dir: string;
let ts: TestServer;
let nginx: ChildProcess | undefined;
let nginxLog = '';
let issuer: string;
let httpPort: number;
let agent: Agent;
let user: TestUser;
let web: TestClient;

/** fetch over the test's https agent (its CA, its source address): what openid-client and the page steps use. */
async function tlsFetch(url: string | URL, init: { method?: string; headers?: Record<string, string> | Headers; body?: string } = {}): Promise<Response> {
  const headers = init.headers instanceof Headers ? Object.fromEntries(init.headers.entries()) : { ...init.headers };
  return new Promise((done, fail) => {
    const req = request(new URL(url), { method: init.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) out.append(name, v);
        }
        const status = res.statusCode ?? 0;
        done(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: out }));
      });
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(init.body);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latch-nginx-'));
  await execFileAsync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  const tlsPort = await freePort();
  httpPort = await freePort();
  issuer = `https://localhost:${tlsPort}`;
  ts = await startTestServer({ issuer, trustProxy: '127.0.0.1' });
  const latchPort = new URL(ts.url).port;
  const site = adaptConfig('docs/nginx.conf', await readFile(GUIDE_CONFIG, 'utf8'), [
    ['server 127.0.0.1:3000;', `server 127.0.0.1:${latchPort};`],
    ['listen 443 ssl;', `listen 127.0.0.1:${tlsPort} ssl;`],
    ['listen 80;', `listen 127.0.0.1:${httpPort};`],
    ['/etc/letsencrypt/live/id.example.com/fullchain.pem', join(dir, 'cert.pem')],
    ['/etc/letsencrypt/live/id.example.com/privkey.pem', join(dir, 'key.pem')],
  ]);
  await writeFile(join(dir, 'latch.conf'), site);
  // What nginx.conf around conf.d/ gives, with every file in the temporary directory.
  const main = [
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'daemon off;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 256; }',
    'http {',
    `  access_log ${join(dir, 'access.log')};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${join(dir, `${k}-temp`)};`),
    `  include ${join(dir, 'latch.conf')};`,
    '}',
    '',
  ].join('\n');
  await writeFile(join(dir, 'nginx.conf'), main);
  nginx = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stdout!.on('data', (c: Buffer) => (nginxLog += c.toString()));
  nginx.stderr!.on('data', (c: Buffer) => (nginxLog += c.toString()));
  agent = new Agent({ ca: await readFile(join(dir, 'cert.pem')), localAddress: CLIENT_ADDRESS, family: 4, keepAlive: true });
  const started = Date.now();
  for (;;) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited: ${nginxLog}`);
    const ok = await tlsFetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() - started > 10_000) throw new Error(`nginx not answering: ${nginxLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  user = await ts.user();
  web = await ts.client({ kind: 'web' });
});

afterAll(async () => {
  agent?.destroy();
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx!.once('exit', r));
    nginx.kill('SIGQUIT');
    await exited;
  }
  await ts?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Latch behind nginx with TLS (docs/nginx.conf)', () => {
  it('publishes the https issuer, sets Secure cookies, records the client address nginx saw, and runs the code flow', async () => {
    const config = await client.discovery(new URL(issuer), web.clientId, { client_secret: web.clientSecret! }, client.ClientSecretBasic(web.clientSecret!), {
      [client.customFetch]: (url, options) =>
        tlsFetch(url, { method: options.method, headers: new Headers(options.headers), body: options.body === undefined || options.body === null ? undefined : String(options.body) }),
    });
    expect(config.serverMetadata().issuer).toBe(issuer);
    expect(config.serverMetadata().token_endpoint).toBe(`${issuer}/token`);

    const jar = new Map<string, string>();
    const setCookies: string[] = [];
    // A client that claims another address: nginx replaces X-Forwarded-For with the address it saw.
    const open = async (url: URL, method = 'GET', body?: URLSearchParams): Promise<Page> => {
      const headers: Record<string, string> = { accept: 'text/html', 'x-forwarded-for': '203.0.113.9' };
      if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await tlsFetch(url, { method, headers, body: body?.toString() });
      for (const cookie of res.headers.getSetCookie()) {
        setCookies.push(cookie);
        const [pair] = cookie.split(';');
        const eq = pair!.indexOf('=');
        jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
      }
      const page: Page = { url, method, status: res.status, headers: res.headers, body: await res.text() };
      const location = res.headers.get('location');
      if (location !== null) page.location = new URL(location, url);
      return page;
    };

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorize = client.buildAuthorizationUrl(config, {
      redirect_uri: web.redirectUri,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    let page = await open(authorize);
    while (page.location && !page.location.href.startsWith(web.redirectUri)) page = await open(page.location);
    const login = findLoginForm(page);
    expect(login, page.body.slice(0, 500)).toBeDefined();
    expect(login!.action.origin).toBe(issuer);
    expect(setCookies.length).toBeGreaterThan(0);

    const wrong = hiddenFields(login!);
    wrong.set('email', user.email);
    wrong.set('password', 'not the password');
    expect((await open(login!.action, 'POST', wrong)).status).toBe(401);
    const failed = async () => (await ts.latch.store.events.page({ type: 'login.failed' }, { limit: 10 })).items.map((e) => e.address);
    await expect.poll(failed).toEqual([CLIENT_ADDRESS]);

    const right = hiddenFields(login!);
    right.set('email', user.email);
    right.set('password', user.password);
    page = await open(login!.action, 'POST', right);
    for (let hop = 0; hop < 8 && !page.location?.href.startsWith(web.redirectUri); hop++) {
      if (page.location) {
        page = await open(page.location);
        continue;
      }
      const consent = findConsentForm(page);
      if (!consent) throw new Error(`unexpected page ${page.status}: ${page.body.slice(0, 500)}`);
      const body = hiddenFields(consent);
      body.set('decision', 'allow');
      page = await open(consent.action, 'POST', body);
    }
    const tokens = await client.authorizationCodeGrant(config, page.location!, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.iss).toBe(issuer);
    expect((await client.fetchUserInfo(config, tokens.access_token, user.sub)).sub).toBe(user.sub);

    // Every cookie Latch set over https is Secure (and HttpOnly): the issuer's scheme decides.
    for (const cookie of setCookies) expect(cookie, cookie).toMatch(/;\s*Secure/i);
    const signedIn = async () => (await ts.latch.store.events.page({ type: 'login.succeeded' }, { limit: 10 })).items.map((e) => e.address);
    await expect.poll(signedIn).toEqual([CLIENT_ADDRESS]);
  });

  it('is the configuration docs/production.md shows', async () => {
    const guide = await readFile(resolve(import.meta.dirname, '../../docs/production.md'), 'utf8');
    expect(guide).toContain(`\`\`\`nginx\n${await readFile(GUIDE_CONFIG, 'utf8')}\`\`\``);
  });

  it('answers plain http with a redirect to https, without reaching Latch', async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/authorize?client_id=x`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('https://127.0.0.1/authorize?client_id=x');
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
