/**
 * The client metadata members of RFC 7591 §2, OpenID Connect Dynamic Client Registration 1.0 §2, RFC 9101, RFC 9126,
 * RFC 9449 and the logout specifications beyond the core ones of client-metadata.ts: their types, their values, and
 * the rule for every URL Latch will fetch on the client's behalf (https, public addresses).
 */
import { isIP } from 'node:net';
import { createAddressPolicy } from '../outbound/index.js';
import type { ClientMetadata } from '../storage/types.js';
import { checkBrowserUri } from './client-metadata-uris.js';
import { AdminInputError } from './errors.js';

/** The members validated here, as they are stored in ClientMetadata. */
export type ExtendedMembers = Partial<
  Pick<
    ClientMetadata,
    | 'contacts'
    | 'jwks_uri'
    | 'token_endpoint_auth_signing_alg'
    | 'require_auth_time'
    | 'default_max_age'
    | 'userinfo_signed_response_alg'
    | 'request_object_signing_alg'
    | 'require_signed_request_object'
    | 'require_pushed_authorization_requests'
    | 'dpop_bound_access_tokens'
    | 'backchannel_logout_uri'
    | 'backchannel_logout_session_required'
    | 'frontchannel_logout_uri'
    | 'frontchannel_logout_session_required'
    | 'subject_type'
    | 'sector_identifier_uri'
    | 'request_uris'
    | 'latch_profile'
  >
>;

export const EXTENDED_MEMBERS: readonly (keyof ExtendedMembers)[] = [
  'contacts',
  'jwks_uri',
  'token_endpoint_auth_signing_alg',
  'require_auth_time',
  'default_max_age',
  'userinfo_signed_response_alg',
  'request_object_signing_alg',
  'require_signed_request_object',
  'require_pushed_authorization_requests',
  'dpop_bound_access_tokens',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
  'frontchannel_logout_uri',
  'frontchannel_logout_session_required',
  'subject_type',
  'sector_identifier_uri',
  'request_uris',
  'latch_profile',
];

/** What decides whether a URL Latch fetches may point at a private or loopback address (LATCH_FETCH_ALLOW_PRIVATE). */
export interface MetadataPolicy {
  allowPrivate?: boolean;
}

/** Asymmetric JWS algorithms Latch verifies (RFC 7518 §3.1, RFC 8037); `none` and HMAC are never accepted here. */
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Algorithms Latch signs UserInfo with (its key algorithms). */
export const SIGNING_ALGS = ['RS256', 'ES256', 'PS256', 'EdDSA'];

const BOOLEANS = [
  'require_auth_time',
  'require_signed_request_object',
  'require_pushed_authorization_requests',
  'dpop_bound_access_tokens',
  'backchannel_logout_session_required',
  'frontchannel_logout_session_required',
] as const;

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function oneOf(field: string, value: unknown, allowed: readonly string[]): string {
  if (typeof value !== 'string' || !allowed.includes(value)) throw new AdminInputError(field, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value;
}

/**
 * A URL Latch itself fetches or posts to (jwks_uri, sector_identifier_uri, backchannel_logout_uri, request_uris):
 * https, no credentials, no fragment, and not a loopback, private or link-local address, unless `allowPrivate`
 * (then http on a loopback host too). Host names are judged again when fetched (src/outbound resolves and checks them).
 */
export function checkFetchedUri(field: string, value: unknown, policy: MetadataPolicy): string {
  if (typeof value !== 'string' || value.trim() === '') throw new AdminInputError(field, 'must be an https URL');
  const uri = value.trim();
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new AdminInputError(field, `"${uri}" is not an absolute URL`);
  }
  if (uri.length > 2048) throw new AdminInputError(field, 'is longer than 2048 characters');
  if (url.username !== '' || url.password !== '') throw new AdminInputError(field, `"${uri}" must not contain credentials`);
  if (uri.includes('#')) throw new AdminInputError(field, `"${uri}" must not contain a fragment (#)`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const loopback = LOOPBACK_NAMES.has(url.hostname) || host.endsWith('.localhost') || (isIP(host) === 4 && host.startsWith('127.'));
  const allowPrivate = policy.allowPrivate === true;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && allowPrivate)) {
    throw new AdminInputError(field, `"${uri}" must use https: Latch fetches it`);
  }
  if (!allowPrivate) {
    if (loopback) throw new AdminInputError(field, `"${uri}" points at a loopback host; Latch fetches only from public addresses`);
    if (isIP(host) !== 0 && !createAddressPolicy()(host)) {
      throw new AdminInputError(field, `"${uri}" points at ${host}, not a public address; Latch fetches only from public addresses`);
    }
  }
  return uri;
}

/**
 * Checks the members of `given` (values of any JSON type, as a document gives them) and returns them typed. Rules that
 * need the rest of the metadata (jwks vs jwks_uri, pairwise hosts) are in checkMemberConsistency.
 */
export function checkExtendedMembers(given: Record<string, unknown>, policy: MetadataPolicy): ExtendedMembers {
  const out: ExtendedMembers = {};
  for (const field of BOOLEANS) {
    const value = given[field];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new AdminInputError(field, 'must be true or false');
    out[field] = value;
  }
  if (given.contacts !== undefined) {
    const contacts = given.contacts;
    if (!Array.isArray(contacts) || contacts.some((c) => typeof c !== 'string')) throw new AdminInputError('contacts', 'must be an array of email addresses');
    if (contacts.length > 20) throw new AdminInputError('contacts', 'at most 20 addresses');
    for (const c of contacts as string[]) if (!EMAIL.test(c) || c.length > 254) throw new AdminInputError('contacts', `"${c}" is not an email address`);
    out.contacts = [...new Set(contacts as string[])];
  }
  if (given.default_max_age !== undefined) {
    const age = given.default_max_age;
    // OIDC Registration §2: default_max_age is a number of seconds.
    if (typeof age !== 'number' || !Number.isInteger(age) || age < 0 || age > 365 * 24 * 3600) {
      throw new AdminInputError('default_max_age', 'must be a whole number of seconds from 0 to 31536000');
    }
    out.default_max_age = age;
  }
  if (given.token_endpoint_auth_signing_alg !== undefined) {
    // RFC 7591 §2 / OIDC Registration §2: "The value none MUST NOT be used."
    out.token_endpoint_auth_signing_alg = oneOf('token_endpoint_auth_signing_alg', given.token_endpoint_auth_signing_alg, ASYMMETRIC_ALGS);
  }
  if (given.userinfo_signed_response_alg !== undefined) {
    out.userinfo_signed_response_alg = oneOf('userinfo_signed_response_alg', given.userinfo_signed_response_alg, SIGNING_ALGS);
  }
  if (given.request_object_signing_alg !== undefined) {
    // OIDC Registration §2: `none` MAY be registered; a client that does may then send unsigned request objects.
    out.request_object_signing_alg = oneOf('request_object_signing_alg', given.request_object_signing_alg, [...ASYMMETRIC_ALGS, 'none']);
  }
  if (given.subject_type !== undefined) out.subject_type = oneOf('subject_type', given.subject_type, ['public', 'pairwise']) as 'public' | 'pairwise';
  if (given.latch_profile !== undefined) out.latch_profile = oneOf('latch_profile', given.latch_profile, ['fapi2']) as 'fapi2';
  for (const field of ['jwks_uri', 'sector_identifier_uri', 'backchannel_logout_uri'] as const) {
    if (given[field] !== undefined) out[field] = checkFetchedUri(field, given[field], policy);
  }
  if (given.frontchannel_logout_uri !== undefined) out.frontchannel_logout_uri = checkBrowserUri('frontchannel_logout_uri', given.frontchannel_logout_uri);
  if (given.request_uris !== undefined) {
    const uris = given.request_uris;
    if (!Array.isArray(uris)) throw new AdminInputError('request_uris', 'must be an array of https URLs');
    if (uris.length > 20) throw new AdminInputError('request_uris', 'at most 20 URLs');
    out.request_uris = [...new Set(uris.map((u) => checkFetchedUri('request_uris', u, policy)))];
  }
  return out;
}

/** The rules between members: what one member needs of the others. */
export function checkMemberConsistency(members: ExtendedMembers, context: { jwks: boolean; redirectUris: readonly string[]; authMethod: string; responseTypes: readonly string[] }): void {
  // RFC 7591 §2: "The jwks_uri and jwks parameters MUST NOT both be present in the same request or response."
  if (members.jwks_uri !== undefined && context.jwks) throw new AdminInputError('jwks_uri', 'jwks and jwks_uri must not both be given; choose one');
  // OIDC Back-Channel Logout §2.2: the session flag only means something with a logout URI.
  if (members.backchannel_logout_session_required === true && members.backchannel_logout_uri === undefined) {
    throw new AdminInputError('backchannel_logout_session_required', 'needs a backchannel_logout_uri');
  }
  if (members.frontchannel_logout_session_required === true && members.frontchannel_logout_uri === undefined) {
    throw new AdminInputError('frontchannel_logout_session_required', 'needs a frontchannel_logout_uri');
  }
  if (members.sector_identifier_uri !== undefined && members.subject_type !== 'pairwise') {
    throw new AdminInputError('sector_identifier_uri', 'is only used with subject_type pairwise');
  }
  // OIDC Core §8.1: without a sector_identifier_uri, the sector is the host of the redirect URIs: it must be one host.
  if (members.subject_type === 'pairwise' && members.sector_identifier_uri === undefined) {
    const hosts = new Set(context.redirectUris.map((u) => new URL(u).host));
    if (hosts.size > 1) {
      throw new AdminInputError('sector_identifier_uri', `the redirect URIs are on several hosts (${[...hosts].join(', ')}); a pairwise client needs a sector_identifier_uri listing them`);
    }
  }
  if (members.token_endpoint_auth_signing_alg !== undefined && context.authMethod !== 'private_key_jwt') {
    throw new AdminInputError('token_endpoint_auth_signing_alg', 'is only used with token_endpoint_auth_method private_key_jwt');
  }
  const signed = members.request_object_signing_alg;
  if (members.require_signed_request_object === true && signed === 'none') {
    throw new AdminInputError('require_signed_request_object', 'contradicts request_object_signing_alg none');
  }
  if (signed !== undefined && signed !== 'none' && !context.jwks && members.jwks_uri === undefined) {
    throw new AdminInputError('request_object_signing_alg', 'signed request objects need the client\'s public keys (jwks or jwks_uri)');
  }
}
