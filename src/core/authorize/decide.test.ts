import { describe, expect, it } from 'vitest';
import type { ConsentRecord } from '../../storage/types.js';
import { OAuthError } from '../errors.js';
import { decide } from './decide.js';
import type { AuthorizationRequest } from './request.js';

const now = 1_000_000;
function request(overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return { scopes: ['openid', 'email'], prompt: new Set(), maxAge: undefined, ...overrides } as AuthorizationRequest;
}
const auth = { sub: 'u1', sid: 's1', authTime: now - 100, amr: ['pwd'], fresh: false };
const consent: ConsentRecord = { sub: 'u1', clientId: 'c', scopes: ['email', 'openid'], createdAt: 0, updatedAt: 0 };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as OAuthError).code;
  }
  return undefined;
}

describe('decide', () => {
  it('asks for login without a session, and refuses with login_required under prompt=none', () => {
    expect(decide({ request: request(), auth: undefined, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('login');
    expect(code(() => decide({ request: request({ prompt: new Set(['none']) }), auth: undefined, consent, consentedNow: undefined, hintSub: undefined, now }))).toBe('login_required');
  });

  it('issues with a session and remembered consent (single sign-on)', () => {
    expect(decide({ request: request(), auth, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('issue');
  });

  it('asks for consent for a scope not yet granted, consent_required under prompt=none', () => {
    const wider = request({ scopes: ['openid', 'email', 'phone'] });
    expect(decide({ request: wider, auth, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('consent');
    expect(code(() => decide({ request: { ...wider, prompt: new Set(['none']) }, auth, consent, consentedNow: undefined, hintSub: undefined, now }))).toBe('consent_required');
  });

  it('forces login for prompt=login until the person logged in during this request', () => {
    const r = request({ prompt: new Set(['login']) });
    expect(decide({ request: r, auth, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('login');
    expect(decide({ request: r, auth: { ...auth, fresh: true }, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('issue');
  });

  it('forces login when the session is older than max_age', () => {
    expect(decide({ request: request({ maxAge: 50 }), auth, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('login');
    expect(decide({ request: request({ maxAge: 500 }), auth, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('issue');
    // Issue 13: signed in during this request (then a second factor): max_age=0 does not ask again.
    expect(decide({ request: request({ maxAge: 0 }), auth: { ...auth, fresh: true }, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('issue');
  });

  it('forces consent for prompt=consent until given in this request', () => {
    const r = request({ prompt: new Set(['consent']) });
    expect(decide({ request: r, auth, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('consent');
    expect(decide({ request: r, auth, consent, consentedNow: ['openid', 'email'], hintSub: undefined, now }).kind).toBe('issue');
  });

  it('asks for login when id_token_hint names another person', () => {
    expect(decide({ request: request(), auth, consent, consentedNow: undefined, hintSub: 'someone-else', now }).kind).toBe('login');
  });

  it('asks for consent to the scope of a claim requested by name (OIDC Core §5.5)', () => {
    const client = { metadata: { scope: 'openid email phone' } } as AuthorizationRequest['client'];
    const named = request({ scopes: ['openid'], client, claims: { id_token: { phone_number: null } } });
    expect(decide({ request: named, auth, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('consent');
    const covered = request({ scopes: ['openid'], client, claims: { userinfo: { email: null } } });
    expect(decide({ request: covered, auth, consent, consentedNow: undefined, hintSub: undefined, now }).kind).toBe('issue');
  });
});
