/**
 * Raw protocol helpers for flow tests: PKCE, authorization URLs, getting a code through the
 * browser, and token / introspection / revocation requests over plain fetch.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Browser, AuthorizeResult, Page } from './browser.js';
import type { TestClient, TestServer, TestUser } from './server.js';

/** Scope that asks for everything a flow test may look at, refresh tokens included. */
export const FULL_SCOPE = 'openid profile email offline_access';

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export function random(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = random(32);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined and base64-encoded. */
export function basicAuth(clientId: string, clientSecret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

export type ClientCredentials = { clientId: string; clientSecret?: string } | undefined;

async function toResult(response: Response): Promise<HttpResult> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/**
 * POSTs a form. `auth` with a secret uses client_secret_basic; without a secret it adds client_id
 * to the body (public client). `body` as a string is sent verbatim (for duplicate parameters).
 */
export async function postForm(
  url: string | URL,
  body: Record<string, string> | URLSearchParams | string,
  auth?: ClientCredentials,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  let payload: string;
  if (typeof body === 'string') {
    payload = body;
  } else {
    const params = body instanceof URLSearchParams ? new URLSearchParams(body) : new URLSearchParams(body);
    if (auth && auth.clientSecret === undefined && !params.has('client_id')) params.set('client_id', auth.clientId);
    payload = params.toString();
  }
  const allHeaders: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    ...headers,
  };
  if (auth?.clientSecret !== undefined) allHeaders.authorization = basicAuth(auth.clientId, auth.clientSecret);
  const response = await fetch(url, { method: 'POST', headers: allHeaders, body: payload, redirect: 'manual' });
  return toResult(response);
}

export async function getJson(url: string | URL, headers: Record<string, string> = {}): Promise<HttpResult> {
  const response = await fetch(url, { headers: { accept: 'application/json', ...headers }, redirect: 'manual' });
  return toResult(response);
}

export function tokenRequest(
  ts: TestServer,
  body: Record<string, string> | URLSearchParams | string,
  auth?: ClientCredentials,
  headers?: Record<string, string>,
): Promise<HttpResult> {
  return postForm(`${ts.issuer}/token`, body, auth, headers);
}

export function introspect(ts: TestServer, token: string, auth: ClientCredentials, hint?: string): Promise<HttpResult> {
  const body: Record<string, string> = { token };
  if (hint) body.token_type_hint = hint;
  return postForm(`${ts.issuer}/introspect`, body, auth);
}

export function revoke(ts: TestServer, token: string, auth: ClientCredentials, hint?: string): Promise<HttpResult> {
  const body: Record<string, string> = { token };
  if (hint) body.token_type_hint = hint;
  return postForm(`${ts.issuer}/revoke`, body, auth);
}

export function userinfo(ts: TestServer, accessToken: string, method: 'GET' | 'POST' = 'GET'): Promise<HttpResult> {
  return fetch(`${ts.issuer}/userinfo`, {
    method,
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
  }).then(toResult);
}

/** True when introspection (by `auth`) says the token is active. */
export async function isActive(ts: TestServer, token: string, auth: ClientCredentials): Promise<boolean> {
  const res = await introspect(ts, token, auth);
  expect(res.status, `introspection failed: ${res.text}`).toBe(200);
  return res.body?.active === true;
}

export function authorizeUrl(ts: TestServer, params: Record<string, string>): URL {
  const url = new URL(`${ts.issuer}/authorize`);
  for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
  return url;
}

export interface CodeOptions {
  scope?: string;
  /** true (default): S256 challenge; false: no PKCE. */
  pkce?: boolean;
  redirectUri?: string;
  nonce?: string;
  extra?: Record<string, string>;
  decision?: 'allow' | 'deny';
}

export interface CodeResult extends AuthorizeResult {
  code: string;
  state: string;
  nonce: string;
  verifier?: string;
  redirectUri: string;
}

/** Runs /authorize through the browser (logging in and consenting when asked) and returns the code. */
export async function obtainCode(
  ts: TestServer,
  browser: Browser,
  client: TestClient,
  user: TestUser,
  options: CodeOptions = {},
): Promise<CodeResult> {
  const redirectUri = options.redirectUri ?? client.redirectUri;
  const state = random();
  const nonce = options.nonce ?? random();
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: redirectUri,
    scope: options.scope ?? FULL_SCOPE,
    state,
    ...options.extra,
  };
  // An empty nonce option means: send no nonce.
  if (nonce) params.nonce = nonce;
  let verifier: string | undefined;
  if (options.pkce !== false) {
    const pair = pkcePair();
    verifier = pair.verifier;
    params.code_challenge = pair.challenge;
    params.code_challenge_method = 'S256';
  }
  const result = await browser.authorize(authorizeUrl(ts, params), {
    stopAt: redirectUri,
    credentials: { email: user.email, password: user.password },
    decision: options.decision ?? 'allow',
  });
  const code = result.params.get('code');
  if (!code) throw new Error(`no code in ${result.callback.href}`);
  expect(result.params.get('state')).toBe(state);
  expect(result.params.get('iss')).toBe(ts.issuer);
  const out: CodeResult = { ...result, code, state, nonce, redirectUri };
  if (verifier !== undefined) out.verifier = verifier;
  return out;
}

/** Redeems a code at /token with the raw protocol. */
export function redeemCode(
  ts: TestServer,
  client: ClientCredentials,
  code: { code: string; redirectUri: string; verifier?: string },
  extra: Record<string, string> = {},
): Promise<HttpResult> {
  const body: Record<string, string> = { grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, ...extra };
  if (code.verifier !== undefined && !('code_verifier' in extra)) body.code_verifier = code.verifier;
  return tokenRequest(ts, body, client);
}

/** Asserts an RFC 6749 §5.2 error response. */
export function expectTokenError(res: HttpResult, status: number, error: string): void {
  const context = `${res.status} ${res.text}`;
  expect(res.status, context).toBe(status);
  expect(res.headers.get('content-type') ?? '', context).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control') ?? '', context).toMatch(/no-store/);
  expect(res.body?.error, context).toBe(error);
}

/** Asserts a successful token response (RFC 6749 §5.1) and returns its body. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectTokens(res: HttpResult): any {
  const context = `${res.status} ${res.text}`;
  expect(res.status, context).toBe(200);
  expect(res.headers.get('content-type') ?? '', context).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control') ?? '', context).toMatch(/no-store/);
  expect(typeof res.body?.access_token, context).toBe('string');
  expect(String(res.body?.token_type).toLowerCase(), context).toBe('bearer');
  expect(res.body?.expires_in, context).toBeGreaterThan(0);
  return res.body;
}

/** Full code flow through the raw protocol: code + tokens. */
export async function obtainTokens(
  ts: TestServer,
  browser: Browser,
  client: TestClient,
  user: TestUser,
  options: CodeOptions = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ code: CodeResult; tokens: any }> {
  const code = await obtainCode(ts, browser, client, user, options);
  const tokens = expectTokens(await redeemCode(ts, client, code));
  return { code, tokens };
}

/** An authorization request of the code flow with PKCE (S256) for `client`, scope openid. */
export function codeFlowUrl(ts: TestServer, client: TestClient): URL {
  return authorizeUrl(ts, {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'openid',
    state: random(),
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  });
}

/** Starts a code flow with PKCE for `web` in `browser` and returns the login page it stops at. */
export async function openLoginPage(ts: TestServer, web: TestClient, browser: Browser): Promise<Page> {
  const result = await browser.navigate(codeFlowUrl(ts, web), { stopAt: web.redirectUri });
  if (result.kind !== 'page') throw new Error('expected the login page');
  return result.page;
}
