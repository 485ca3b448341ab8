/**
 * Signing in to the console: the authorization code flow with PKCE (RFC 7636) as the public client
 * `latch-console`, for the admin API (RFC 8707 resource `urn:latch:admin`), with oauth4webapi. The tokens live in
 * sessionStorage only (this tab, until it closes); nothing is ever sent anywhere but this Latch.
 */
import * as oauth from 'oauth4webapi';

export const CLIENT_ID = 'latch-console';
export const ADMIN_RESOURCE = 'urn:latch:admin';
export const ADMIN_SCOPES = ['admin:read', 'admin:write'] as const;
const SCOPE = `openid profile email ${ADMIN_SCOPES.join(' ')}`;
const SESSION_KEY = 'latch-console.session';
const PENDING_KEY = 'latch-console.pending';

export interface Session {
  accessToken: string;
  idToken: string | undefined;
  /** Unix milliseconds. */
  expiresAt: number;
  obtainedAt: number;
  scopes: string[];
  sub: string;
  name: string | undefined;
  email: string | undefined;
}

interface Pending {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

/** The console is served at `${issuer}/console`: the issuer is everything before it. */
export function issuerUrl(): string {
  const at = location.pathname.indexOf('/console');
  return location.origin + location.pathname.slice(0, Math.max(at, 0));
}

export function consoleBase(): string {
  return `${new URL(issuerUrl()).pathname.replace(/\/$/, '')}/console`;
}

const redirectUri = () => `${issuerUrl()}/console/callback`;
const client: oauth.Client = { client_id: CLIENT_ID };
const clientAuth = oauth.None();

function options(): { [oauth.allowInsecureRequests]?: boolean } {
  // Plain http only for a Latch on http itself (development on localhost); never downgrades an https issuer.
  return issuerUrl().startsWith('http:') ? { [oauth.allowInsecureRequests]: true } : {};
}

let discovered: Promise<oauth.AuthorizationServer> | undefined;

function authorizationServer(): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(issuerUrl());
  discovered ??= oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...options() }).then((r) => oauth.processDiscoveryResponse(issuer, r));
  discovered.catch(() => (discovered = undefined));
  return discovered;
}

export function hasAdminScopes(session: Pick<Session, 'scopes'>): boolean {
  return ADMIN_SCOPES.every((s) => session.scopes.includes(s));
}

export function currentSession(): Session | undefined {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (!raw) return undefined;
  try {
    const session = JSON.parse(raw) as Session;
    // A minute early, so that no call starts with a token about to expire.
    if (session.expiresAt - 60_000 > Date.now()) return session;
  } catch {
    // fall through
  }
  sessionStorage.removeItem(SESSION_KEY);
  return undefined;
}

export async function startSignIn(returnTo: string): Promise<never> {
  const as = await authorizationServer();
  const pending: Pending = {
    verifier: oauth.generateRandomCodeVerifier(),
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    returnTo,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: SCOPE,
    resource: ADMIN_RESOURCE,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
  return new Promise<never>(() => {});
}

export class SignInError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** At /console/callback: checks the response (state, iss), redeems the code with the verifier; returns where to go. */
export async function finishSignIn(): Promise<{ session: Session; returnTo: string }> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!raw) throw new SignInError('no_pending', 'This sign-in was not started in this tab. Please sign in again.');
  const pending = JSON.parse(raw) as Pending;
  const as = await authorizationServer();
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client, new URL(location.href), pending.state);
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) throw new SignInError(err.error, err.error_description ?? err.error);
    throw err;
  }
  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri(), pending.verifier, {
    additionalParameters: { resource: ADMIN_RESOURCE },
    ...options(),
  });
  let result: oauth.TokenEndpointResponse;
  try {
    result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) throw new SignInError(err.error, err.error_description ?? err.error);
    throw err;
  }
  const claims = oauth.getValidatedIdTokenClaims(result);
  const session: Session = {
    accessToken: result.access_token,
    idToken: result.id_token,
    expiresAt: Date.now() + (result.expires_in ?? 300) * 1000,
    obtainedAt: Date.now(),
    // Latch always names the access token's scopes (its share of the request for the admin API), and leaves `scope`
    // out only when that share is empty: a person without the admin role. So absent means none, never all.
    scopes: (result.scope ?? '').split(' ').filter(Boolean),
    sub: claims?.sub ?? '',
    name: typeof claims?.name === 'string' ? claims.name : undefined,
    email: typeof claims?.email === 'string' ? claims.email : undefined,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  history.replaceState(null, '', pending.returnTo);
  return { session, returnTo: pending.returnTo };
}

/** Forgets the tokens here, revokes the access token, and ends the Latch session (RP-initiated logout). */
export async function signOut(session: Session | undefined): Promise<never> {
  sessionStorage.removeItem(SESSION_KEY);
  const as = await authorizationServer();
  if (session) {
    await oauth.revocationRequest(as, client, clientAuth, session.accessToken, options()).catch(() => undefined);
  }
  const url = new URL(as.end_session_endpoint ?? `${issuerUrl()}/logout`);
  url.searchParams.set('client_id', CLIENT_ID);
  url.searchParams.set('post_logout_redirect_uri', `${issuerUrl()}/console/`);
  if (session?.idToken) url.searchParams.set('id_token_hint', session.idToken);
  location.assign(url.href);
  return new Promise<never>(() => {});
}

export function forgetSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
}
