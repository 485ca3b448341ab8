import type { ClientRecord, UserRecord } from '../../storage/types.js';
import { isDisabled } from '../accounts/person-scopes.js';
import { recordEvent } from '../../observability/events.js';
import { InvalidRequest, InvalidScope, UnauthorizedClient } from '../errors.js';
import { type Params, required, spaceList } from '../params.js';
import { type ActClaim, actDepth, isActClaim, maxActDepth } from '../tokens/act.js';
import { subjectFor } from '../oidc/pairwise.js';
import { issueAccessToken } from '../tokens/access-token.js';
import { amrOf } from '../tokens/authentication-data.js';
import { introspectableToken } from '../tokens/introspect.js';
import { JWT_ACCESS_TOKEN_TYPE } from '../tokens/jwt-access-token.js';
import { checkResourceIdentifier, invalidTarget, resolveResource } from '../tokens/resource.js';
import type { Grant, GrantDeps, TokenResponse } from './types.js';

export const tokenExchangeGrantType = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3: the token type identifiers Latch reads and issues. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const acceptedTypes: readonly string[] = [ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE];
/** The admin API (src/admin/builtins.ts): an operator's power is never reached by exchanging a person's token. */
const ADMIN_API = 'urn:latch:admin';

/** A token presented to the exchange, once verified: whom it is about, what it allows, until when. */
interface PresentedToken {
  sub: string | null;
  clientId: string;
  /** The scopes it carries; for an ID token, those of the person's grant to the calling client. */
  scopes: string[];
  grantId: string | null;
  expiresAt: number;
  authTime: number | undefined;
  amr: string[] | undefined;
  act: ActClaim | undefined;
}

/** RFC 8693 §2.2.2: a subject_token or actor_token that is invalid "for any reason" is an invalid_request. */
function unacceptable(name: string, why: string): InvalidRequest {
  return new InvalidRequest(`${name} is ${why}`);
}

/** RFC 8693 §2.1: a token and its type, both or neither (the actor), and a type Latch understands. */
function tokenTypeOf(params: Params, name: 'subject_token' | 'actor_token'): string | undefined {
  const token = params.get(name);
  const type = params.get(`${name}_type`);
  if (token === undefined && type === undefined) return undefined;
  if (token === undefined || token === '') throw new InvalidRequest(`${name}_type given without ${name}`);
  // RFC 8693 §2.1: subject_token_type is REQUIRED; actor_token_type "is REQUIRED when the actor_token parameter is present".
  if (type === undefined) throw new InvalidRequest(`${name}_type is required with ${name}`);
  if (!acceptedTypes.includes(type)) throw new InvalidRequest(`${name}_type ${type} is not supported; use ${acceptedTypes.join(' or ')}`);
  if (token.length > 8192) throw unacceptable(name, 'too long');
  return type;
}

/** An access token the calling client may introspect (its own, or one for an API it serves): active, of a live grant. */
async function accessToken(name: string, value: string, client: ClientRecord, deps: GrantDeps, now: number): Promise<PresentedToken> {
  const record = await introspectableToken(client, value, { store: deps.store, now });
  if (!record) throw unacceptable(name, 'not an active access token this client may use (unknown, expired, revoked, or for an API it does not serve)');
  // RFC 8693 §2.1: the token must be of the type the request says.
  if (record.kind !== 'access_token') throw unacceptable(name, `a refresh token, not of type ${ACCESS_TOKEN_TYPE}`);
  return {
    sub: record.sub,
    clientId: record.clientId,
    scopes: spaceList(record.scope),
    grantId: record.grantId,
    expiresAt: record.expiresAt,
    authTime: typeof record.data.auth_time === 'number' ? record.data.auth_time : undefined,
    amr: amrOf(record.data),
    act: isActClaim(record.data.act) ? record.data.act : undefined,
  };
}

/** An ID token Latch issued to the calling client (OIDC Core §2: aud is the client), not expired. */
async function idToken(name: string, value: string, client: ClientRecord, deps: GrantDeps, now: number): Promise<PresentedToken> {
  let verified;
  try {
    verified = await deps.keys.verify(value, { audience: client.clientId });
  } catch {
    throw unacceptable(name, 'not a valid, unexpired ID token issued by this server to this client');
  }
  const { payload, protectedHeader } = verified;
  // RFC 9068 §2.1: a JWT access token (typ at+jwt) is never an ID token; neither is a logout token.
  if (protectedHeader.typ === JWT_ACCESS_TOKEN_TYPE || protectedHeader.typ === 'logout+jwt' || payload.iss !== deps.policy.issuer) {
    throw unacceptable(name, 'not an ID token issued by this server');
  }
  if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw unacceptable(name, 'an ID token without sub or exp');
  if (payload.exp <= now) throw unacceptable(name, 'expired');
  // An ID token carries no scope and no grant: the person's live grant to this client (of the ID token's session when
  // it names one, only those) bounds the exchange, and the new token joins it, so that revoking the grant revokes it too.
  const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
  let sub = payload.sub;
  if (client.metadata.subject_type === 'pairwise') {
    // OIDC Core §8.1: the ID token names the person by this client's own (pairwise) sub; its session says who that is.
    const session = sid === undefined ? undefined : await deps.store.sessions.findBySid(sid, now);
    if (!session || subjectFor(client, session.sub, deps.policy.pairwiseSalt) !== payload.sub) {
      throw unacceptable(name, 'a pairwise ID token whose session has ended (or names another person)');
    }
    sub = session.sub;
  }
  const live = (await deps.store.grants.listBySub(sub)).filter(
    (g) => g.clientId === client.clientId && g.revokedAt === null && (sid === undefined || g.sid === sid),
  );
  const [grant] = live.sort((a, b) => b.createdAt - a.createdAt);
  if (!grant) throw unacceptable(name, 'about a person who no longer authorizes this client (no live grant)');
  return {
    sub,
    clientId: client.clientId,
    scopes: spaceList(grant.scope),
    grantId: grant.grantId,
    expiresAt: payload.exp,
    authTime: typeof payload.auth_time === 'number' ? payload.auth_time : undefined,
    amr: Array.isArray(payload.amr) && payload.amr.every((m) => typeof m === 'string') ? (payload.amr as string[]) : undefined,
    act: undefined,
  };
}

async function presentedToken(name: 'subject_token' | 'actor_token', type: string, params: Params, client: ClientRecord, deps: GrantDeps, now: number) {
  const value = required(params, name);
  return type === ID_TOKEN_TYPE ? idToken(name, value, client, deps, now) : accessToken(name, value, client, deps, now);
}

/** RFC 8693 §2.1: `resource` and `audience` both name the target service; Latch issues one audience per token. */
function targetOf(params: Params): string {
  const resource = params.get('resource');
  const audience = params.get('audience');
  if (resource !== undefined) checkResourceIdentifier(resource);
  // RFC 8693 §2.2.2: invalid_target when the server "is unwilling or unable to issue a token for any target service".
  if (resource !== undefined && audience !== undefined && resource !== audience) {
    throw invalidTarget(`resource ${resource} and audience ${audience} name different APIs; Latch issues one audience per token`);
  }
  const target = resource ?? audience;
  if (target === undefined) throw new InvalidRequest('resource or audience is required: name the API the new token is for');
  if (target === ADMIN_API) throw invalidTarget(`a token for ${ADMIN_API} is never issued by token exchange`);
  return target;
}

/** The person the subject token is about, still there and enabled. */
async function subjectUser(subject: PresentedToken, deps: GrantDeps): Promise<UserRecord> {
  if (subject.sub === null) throw unacceptable('subject_token', "a client's own token (no person); the client credentials grant serves that");
  const user = await deps.store.users.findBySub(subject.sub);
  if (!user) throw unacceptable('subject_token', 'about a person who no longer exists');
  if (isDisabled(user)) throw unacceptable('subject_token', "about a person whose account is disabled");
  return user;
}

/** RFC 8693 §4.1: the actor of the new token, with the subject token's actors nested below it. */
function actFor(actor: PresentedToken | undefined, subject: PresentedToken): ActClaim | undefined {
  if (!actor) return subject.act;
  const act: ActClaim = { sub: actor.sub ?? actor.clientId, client_id: actor.clientId };
  if (subject.act) act.act = subject.act;
  if (actDepth(act) > maxActDepth) throw new InvalidRequest(`the chain of actors is longer than ${maxActDepth}`);
  return act;
}

/**
 * RFC 8693: token exchange. A client (typically an API) presents a token about a person (a Latch access token it may
 * introspect, or an ID token issued to it) and gets an access token for another API the client is allowed, with
 * scopes within both the subject token's and that API's, never longer-lived than the subject token, and no refresh
 * token. With an actor_token, the new token says who acts on the person's behalf (`act`, delegation).
 */
export const tokenExchange: Grant = {
  grantType: tokenExchangeGrantType,
  parameters: ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'resource', 'audience', 'scope', 'requested_token_type'],
  enabled: (settings) => settings.tokenExchange === true,

  async handle({ client, params, now, clientIp, dpop }, deps) {
    // RFC 8693 §2.1: the client is authenticated; Latch lets confidential clients (the APIs' own clients) exchange.
    if (client.metadata.token_endpoint_auth_method === 'none') {
      throw new UnauthorizedClient('token exchange is for confidential clients only; a public client cannot use it');
    }
    const subjectType = tokenTypeOf(params, 'subject_token');
    // RFC 8693 §2.1: subject_token and subject_token_type are REQUIRED.
    if (subjectType === undefined) throw new InvalidRequest('missing required parameter: subject_token');
    const actorType = tokenTypeOf(params, 'actor_token');
    const requestedType = params.get('requested_token_type');
    // RFC 8693 §2.2.2: a requested token type the server cannot issue is an invalid_request.
    if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE) {
      throw new InvalidRequest(`requested_token_type ${requestedType} is not supported; Latch issues ${ACCESS_TOKEN_TYPE}`);
    }
    const target = targetOf(params);
    const requested = params.has('scope') ? [...new Set(spaceList(params.get('scope')))] : undefined;
    if (requested !== undefined && requested.length === 0) throw new InvalidScope('scope is empty');

    const subject = await presentedToken('subject_token', subjectType, params, client, deps, now);
    const user = await subjectUser(subject, deps);
    const actor = actorType === undefined ? undefined : await presentedToken('actor_token', actorType, params, client, deps, now);
    // Delegation: the actor proven is the calling client itself (its own token), not another party it holds a token of.
    if (actor && actor.clientId !== client.clientId) throw unacceptable('actor_token', 'not issued to the calling client');

    // RFC 6749 §5.2 invalid_scope: "exceeds the scope granted by the resource owner": never beyond the subject token.
    const beyond = (requested ?? []).filter((s) => !subject.scopes.includes(s));
    if (beyond.length > 0) throw new InvalidScope(`scope exceeds the subject token's: ${beyond.join(' ')}`);
    const api = await deps.store.apis.find(target);
    // RFC 8693 §2.2.2 invalid_target: an unknown target service.
    if (!api) throw invalidTarget(`${target} is not an API registered with this server`);
    const wanted = requested ?? subject.scopes.filter((s) => api.scopes.includes(s));
    const resolved = await resolveResource({ client, resource: target, scopes: wanted, mode: 'reject' }, deps.store.apis).catch((err: unknown) => {
      // Without a scope parameter, an API none of whose scopes the subject token carries is not a target for it.
      if (requested === undefined && err instanceof InvalidScope) {
        throw invalidTarget(`the subject token carries none of the scopes of ${target} this client may use`);
      }
      throw err;
    });
    if (!resolved.api) throw invalidTarget(`${target} is not an API registered with this server`);

    const act = actFor(actor, subject);
    // The new token lives no longer than the subject token (nor than the actor's).
    const notAfter = Math.min(subject.expiresAt, actor?.expiresAt ?? Infinity);
    const data: Record<string, unknown> = { via: 'token_exchange', subject_client_id: subject.clientId };
    if (subject.authTime !== undefined) data.auth_time = subject.authTime;
    if (subject.amr !== undefined) data.amr = subject.amr;
    const access = await issueAccessToken(
      { client, grantId: subject.grantId, sub: user.sub, scopes: resolved.scopes, api: resolved.api, authTime: subject.authTime, amr: subject.amr, data, act, notAfter, now, jkt: dpop?.jkt },
      deps,
    );
    const response: TokenResponse = {
      access_token: access.value,
      // RFC 8693 §2.2.1: issued_token_type is REQUIRED.
      issued_token_type: ACCESS_TOKEN_TYPE,
      // RFC 9449 §5: DPoP when the request proved a key, and the token is bound to it.
      token_type: access.tokenType,
      expires_in: access.expiresIn,
    };
    if (resolved.scopes.length > 0) response.scope = resolved.scopes.join(' ');
    await recordEvent(
      deps.store,
      {
        type: 'token.exchanged',
        by: { sub: null, clientId: client.clientId, address: clientIp ?? null },
        sub: user.sub,
        clientId: client.clientId,
        data: {
          subject_token_type: subjectType,
          subject_client_id: subject.clientId,
          audience: resolved.api.identifier,
          scope: resolved.scopes.join(' '),
          ...(act ? { actor: act.sub } : {}),
        },
      },
      now,
    );
    return response;
  },
};
