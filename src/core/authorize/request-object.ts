/**
 * RFC 9101 (JAR) and OIDC Core §6: the `request` parameter, a JWT whose claims are the authorization request.
 * Verified against the client's keys (jwks or jwks_uri, client-keys.ts); any failure is invalid_request_object.
 */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, UnsecuredJWT } from 'jose';
import type { ClientRecord, ReplayRepository } from '../../storage/types.js';
import { ClientKeysError, type ClientKeys } from '../client-auth/client-keys.js';
import { OAuthError } from '../errors.js';
import { FAPI2_ALGS, isFapi2 } from '../fapi/profile.js';
import { digest } from '../tokens/hash.js';

/** The asymmetric algorithms Latch verifies request objects with (no shared-secret HS* algorithms). */
export const requestObjectAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** Request objects may not live longer than this (FAPI 2.0 Message Signing §5.3.1: at most 60 minutes), so replay entries stay few. */
const maxLifetime = 3600;
const clockTolerance = 30;

/** JWT claims that frame the request object and are not authorization request parameters. */
const jwtClaims = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti', 'sub']);

export interface RequestObjectDeps {
  clientKeys: ClientKeys;
  replay: Pick<ReplayRepository, 'remember'>;
  issuer: string;
  now: number;
}

export interface VerifiedRequestObject {
  /** The authorization request parameters it carries, as name/value pairs (`resource` may repeat). */
  entries: Array<[string, string]>;
  /** False for an unsecured (`alg: none`) request object. */
  signed: boolean;
}

function invalid(description: string): never {
  throw new OAuthError('invalid_request_object', description, { redirectable: true });
}

function headerOf(jwt: string): { alg: string; typ?: string } {
  if (jwt.split('.').length === 5) invalid('encrypted request objects are not supported; sign it (JWS)');
  try {
    const header = decodeProtectedHeader(jwt);
    if (typeof header.alg !== 'string') invalid('the request object has no alg');
    return { alg: header.alg, ...(typeof header.typ === 'string' ? { typ: header.typ } : {}) };
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    return invalid('the request parameter is not a JWT');
  }
}

async function verifiedClaims(jwt: string, alg: string, client: ClientRecord, deps: RequestObjectDeps): Promise<JWTPayload> {
  // RFC 9101 §4 / §6.2: iss is the client_id, aud the authorization server's issuer; exp and jti are required here
  // (replay protection below), nbf is checked when present.
  const claimOptions = {
    issuer: client.clientId,
    audience: deps.issuer,
    requiredClaims: ['exp', 'jti'],
    currentDate: new Date(deps.now * 1000),
    clockTolerance,
  };
  try {
    if (alg === 'none') return UnsecuredJWT.decode(jwt, claimOptions).payload;
    const registered = client.metadata.request_object_signing_alg;
    const { payload } = await jwtVerify(jwt, deps.clientKeys.resolver(client), {
      ...claimOptions,
      algorithms: registered ? [registered] : [...requestObjectAlgorithms],
    });
    return payload;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) invalid('the request object has expired (exp)');
    if (err instanceof joseErrors.JWTClaimValidationFailed) invalid(`the request object's ${err.claim} claim is invalid: ${err.message}`);
    if (err instanceof ClientKeysError) invalid(err.message);
    if (err instanceof joseErrors.JWKSNoMatchingKey) invalid("no key of the client's key set matches the request object");
    if (err instanceof joseErrors.JOSEError) invalid(`the request object's signature could not be verified: ${err.message}`);
    throw err;
  }
}

/** A claim as an authorization request parameter: strings as they are, numbers as digits, objects (claims) as JSON. */
function asParameters(name: string, value: unknown): Array<[string, string]> {
  if (typeof value === 'string') return [[name, value]];
  if (typeof value === 'number' || typeof value === 'boolean') return [[name, String(value)]];
  // RFC 8707 §2 with RFC 9101: several resources are a JSON array of strings.
  if (name === 'resource' && Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map((v): [string, string] => [name, v]);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return [[name, JSON.stringify(value)]];
  return invalid(`the request object's ${name} member must be a string`);
}

/** Verifies a request object of `client` and returns the parameters it carries. */
export async function verifyRequestObject(jwt: string, client: ClientRecord, deps: RequestObjectDeps): Promise<VerifiedRequestObject> {
  const { alg, typ } = headerOf(jwt);
  const registered = client.metadata.request_object_signing_alg;
  // RFC 9101 §10.2 / OIDC Registration §2: alg none only for a client that registered request_object_signing_alg none;
  // with an alg registered, "all Request Objects from this Client MUST be rejected, if not signed with this algorithm".
  if (alg === 'none' && registered !== 'none') invalid('unsigned request objects (alg none) are not accepted from this client');
  if (registered !== undefined && alg !== registered) invalid(`this client's request objects must use alg ${registered}, not ${alg}`);
  if (alg !== 'none' && !(requestObjectAlgorithms as readonly string[]).includes(alg)) invalid(`request object alg ${alg} is not supported`);
  // FAPI 2.0 §5.4.1: "shall use PS256, ES256 or EdDSA" (and nothing unsigned).
  if (isFapi2(client) && !FAPI2_ALGS.includes(alg)) invalid(`under the FAPI 2.0 profile request objects must use PS256, ES256 or EdDSA, not ${alg}`);
  // RFC 9101 §10.8: explicit typing; a JWT made for something else (an access token, a DPoP proof) is not a request.
  if (typ !== undefined && !['oauth-authz-req+jwt', 'jwt'].includes(typ.toLowerCase())) invalid(`a JWT of typ ${typ} is not a request object`);

  const claims = await verifiedClaims(jwt, alg, client, deps);
  const exp = claims.exp as number;
  if (exp - deps.now > maxLifetime) invalid(`the request object must expire within ${maxLifetime} seconds`);
  if (typeof claims.jti !== 'string' || claims.jti === '') invalid('the request object needs a jti (string)');
  // RFC 9101 §5: the client_id inside must be the client's own.
  if (claims.client_id !== undefined && claims.client_id !== client.clientId) invalid('client_id in the request object does not match the client_id parameter');
  // RFC 9101 §4: a request object does not contain request or request_uri.
  if (claims.request !== undefined || claims.request_uri !== undefined) invalid('a request object must not contain request or request_uri');

  const entries: Array<[string, string]> = [['client_id', client.clientId]];
  for (const [name, value] of Object.entries(claims)) {
    if (jwtClaims.has(name) || name === 'client_id') continue;
    entries.push(...asParameters(name, value));
  }
  // RFC 9101 §10.8 / OIDC Core §6.1: replay. Remembered last, once everything else is fine, in the replay cache
  // all instances share.
  const fresh = await deps.replay.remember(`request_object:${client.clientId}:${digest(claims.jti)}`, exp + clockTolerance, deps.now);
  if (!fresh) invalid('this request object was already used (jti replay)');
  return { entries, signed: alg !== 'none' };
}
