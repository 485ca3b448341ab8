import { createHash } from 'node:crypto';
import { AuthorizationServerUnavailable, BearerError } from './bearer-error.js';
import type { AccessTokenClaims } from './verifier.js';

export interface IntrospectionOptions {
  issuer: string;
  audience: string;
  credentials: { clientId: string; clientSecret: string };
  /** Seconds an answer is reused; 0 disables the cache. */
  cacheTtl: number;
  clockTolerance: number;
  realm: string | undefined;
  fetch: typeof fetch;
  endpoint(): Promise<string>;
  /** Most answers kept; the oldest go first. */
  maxEntries?: number;
}

type Answer = { active: false } | { active: true; claims: AccessTokenClaims };

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before the Basic encoding. */
function basic(clientId: string, clientSecret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * RFC 7662: asks Latch whether an opaque token is active, with a short in-memory cache keyed by the token's
 * SHA-256 (never the token itself), bounded in size and never kept past the token's expiry.
 */
export function introspectionClient(options: IntrospectionOptions) {
  const cache = new Map<string, { answer: Answer; until: number }>();
  const maxEntries = options.maxEntries ?? 10_000;
  const invalid = (description: string) => new BearerError('invalid_token', description, { realm: options.realm });

  async function ask(token: string): Promise<Answer> {
    const endpoint = await options.endpoint();
    let res: Response;
    let body: Record<string, unknown>;
    try {
      res = await options.fetch(endpoint, {
        method: 'POST',
        headers: {
          authorization: basic(options.credentials.clientId, options.credentials.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        redirect: 'manual',
      });
      body = (await res.json()) as Record<string, unknown>;
    } catch (err) {
      throw new AuthorizationServerUnavailable(`introspection failed: ${(err as Error).message}`, { cause: err });
    }
    if (res.status !== 200) {
      // The API's own credentials were refused: its operator must fix them; the caller's token is not at fault.
      throw new AuthorizationServerUnavailable(`introspection answered ${res.status}: ${String(body.error)} ${String(body.error_description ?? '')}`);
    }
    // RFC 7662 §2.2: "active" is REQUIRED; anything but true means the token may not be used.
    if (body.active !== true) return { active: false };
    return { active: true, claims: body as unknown as AccessTokenClaims };
  }

  function remember(key: string, answer: Answer, now: number): void {
    if (options.cacheTtl <= 0) return;
    const expiry = answer.active ? answer.claims.exp : Number.POSITIVE_INFINITY;
    const until = Math.min(now + options.cacheTtl, typeof expiry === 'number' ? expiry : now);
    if (until <= now) return;
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(key, { answer, until });
  }

  return {
    async introspect(token: string): Promise<AccessTokenClaims> {
      const now = nowSeconds();
      const key = createHash('sha256').update(token).digest('base64url');
      const cached = cache.get(key);
      let answer: Answer;
      if (cached && cached.until > now) {
        answer = cached.answer;
      } else {
        if (cached) cache.delete(key);
        answer = await ask(token);
        remember(key, answer, now);
      }
      if (!answer.active) throw invalid('the access token is invalid, expired or revoked');
      // RFC 9068 §2.2 mirrored: a token without a person has the client as its subject.
      const claims: AccessTokenClaims = { ...answer.claims, sub: answer.claims.sub ?? answer.claims.client_id };
      // RFC 7662 §4: the resource server checks what the token is for; a refresh token is not an access token.
      // RFC 9449 §6.2: a DPoP-bound access token is introspected with token_type DPoP.
      if (claims.token_type !== undefined && !['bearer', 'dpop'].includes(String(claims.token_type).toLowerCase())) {
        throw invalid('the token is not an access token');
      }
      const audiences = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
      if (!audiences.includes(options.audience)) throw invalid('the access token is not for this API (wrong audience)');
      if (claims.iss !== undefined && claims.iss !== options.issuer) throw invalid('the access token was issued by another authorization server');
      if (typeof claims.exp === 'number' && claims.exp + options.clockTolerance <= now) throw invalid('the access token has expired');
      return claims;
    },
  };
}
