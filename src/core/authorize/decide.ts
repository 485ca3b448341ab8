import type { ConsentRecord } from '../../storage/types.js';
import { OAuthError } from '../errors.js';
import type { AuthorizationRequest } from './request.js';
import { consentScopes } from '../oidc/claims.js';

/** Who the person is, as far as this request knows. */
export interface Authentication {
  sub: string;
  sid: string;
  authTime: number;
  /** How the person signed in (RFC 8176 method references), e.g. ['pwd'] or ['pwd', 'otp', 'mfa']. */
  amr: string[];
  /** True when the person logged in during this very authorization request. */
  fresh: boolean;
}

export type AuthorizeDecision = { kind: 'login' } | { kind: 'consent'; auth: Authentication } | { kind: 'issue'; auth: Authentication };

export interface DecisionInput {
  request: AuthorizationRequest;
  auth: Authentication | undefined;
  consent: ConsentRecord | undefined;
  /** Scopes the person approved during this request. */
  consentedNow: readonly string[] | undefined;
  /** `sub` of a valid id_token_hint, if one was sent. */
  hintSub: string | undefined;
  now: number;
}

/** OIDC Core §3.1.2.3 and §3.1.2.4: decide whether the person must log in, consent, or neither. */
export function decide({ request, auth, consent, consentedNow, hintSub, now }: DecisionInput): AuthorizeDecision {
  const promptNone = request.prompt.has('none');
  const loginNeeded =
    !auth ||
    (request.prompt.has('login') && !auth.fresh) ||
    // OIDC Core §3.1.2.1 max_age: an older authentication must be actively redone; one made during this very request
    // (fresh) is that, even when a second ticked since (max_age=0, or a second factor after the password).
    (request.maxAge !== undefined && !auth.fresh && now - auth.authTime > request.maxAge) ||
    (hintSub !== undefined && hintSub !== auth.sub);
  if (loginNeeded) {
    // OIDC Core §3.1.2.6: with prompt=none the server must not show a page; login_required instead.
    if (promptNone) throw new OAuthError('login_required', 'the person must log in, but prompt=none was requested', { redirectable: true });
    return { kind: 'login' };
  }
  const granted = new Set([...(consent?.scopes ?? []), ...(consentedNow ?? [])]);
  const consentNeeded =
    (request.prompt.has('consent') && consentedNow === undefined) || consentScopes(request).some((scope) => !granted.has(scope));
  if (consentNeeded) {
    if (promptNone) throw new OAuthError('consent_required', 'the person must consent, but prompt=none was requested', { redirectable: true });
    return { kind: 'consent', auth };
  }
  return { kind: 'issue', auth };
}
