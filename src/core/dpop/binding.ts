import type { ClientRecord } from '../../storage/types.js';
import { OAuthError } from '../errors.js';
import { DpopProofError } from './errors.js';
import { DPOP_SIGNING_ALGS, type DpopProof, type DpopVerifierOptions, verifyDpopProof } from './proof.js';
import { dpopChallenge } from './resource.js';

/**
 * RFC 9449 §5.2 dpop_bound_access_tokens: this client's token requests must carry a DPoP proof. The one place that
 * decides it, so that a profile implying it (FAPI 2.0) changes only this function.
 */
export function dpopRequired(client: ClientRecord): boolean {
  return client.metadata.dpop_bound_access_tokens === true;
}

/**
 * RFC 9449 §5: "Refresh tokens issued to confidential clients are not bound to the DPoP proof public key because
 * they are already sender-constrained"; a public client's are bound to it. The thumbprint a new refresh token keeps.
 */
export function refreshTokenJkt(client: ClientRecord, proof: DpopProof | undefined): string | undefined {
  return client.metadata.token_endpoint_auth_method === 'none' ? proof?.jkt : undefined;
}

/** A refused proof at the token endpoint: RFC 9449 §5 JSON error (400), with a fresh DPoP-Nonce when one is needed (§8). */
export function tokenEndpointError(err: DpopProofError): OAuthError {
  return new OAuthError(err.code, err.description, { status: 400, ...(err.nonce !== undefined && { headers: { 'DPoP-Nonce': err.nonce } }) });
}

/**
 * A refusal at Latch's own resource (/userinfo): RFC 9449 §7.1, 401 with a `WWW-Authenticate: DPoP` challenge naming
 * the accepted algorithms, and a fresh DPoP-Nonce when one is needed (§9).
 */
export function resourceEndpointError(err: DpopProofError, algorithms: readonly string[] = DPOP_SIGNING_ALGS): OAuthError {
  const headers: Record<string, string> = { 'WWW-Authenticate': dpopChallenge(err, { realm: 'latch', algorithms }) };
  if (err.nonce !== undefined) headers['DPoP-Nonce'] = err.nonce;
  return new OAuthError(err.code, err.description, { status: 401, headers });
}

/** RFC 9449 §7.1: a request with the DPoP scheme gets a DPoP challenge, whatever the error (e.g. an expired token). */
export function asDpopChallenge(err: unknown): unknown {
  if (!(err instanceof OAuthError) || !err.headers['WWW-Authenticate']?.startsWith('Bearer')) return err;
  const challenge = dpopChallenge({ code: err.code, description: err.description }, { realm: 'latch', algorithms: DPOP_SIGNING_ALGS });
  return new OAuthError(err.code, err.description, { status: err.status, headers: { ...err.headers, 'WWW-Authenticate': challenge } });
}

/** Runs a DPoP check of /userinfo, turning its refusal into the RFC 9449 §7.1 answer. */
export async function atResource<T>(check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    throw err instanceof DpopProofError ? resourceEndpointError(err) : err;
  }
}

/**
 * RFC 9449 §5: the proof of a token request at `url`, if it sent one. Nothing runs without a DPoP header, so a
 * bearer token request costs nothing more.
 */
export async function tokenRequestProof(
  header: string | string[] | undefined,
  request: { url: string; now: number },
  options: DpopVerifierOptions,
): Promise<DpopProof | undefined> {
  if (header === undefined) return undefined;
  try {
    return await verifyDpopProof({ header, method: 'POST', url: request.url, now: request.now }, options);
  } catch (err) {
    throw err instanceof DpopProofError ? tokenEndpointError(err) : err;
  }
}

/** RFC 9449 §5.2: a client registered with dpop_bound_access_tokens gets no token without a proof. */
export function requireProofFor(client: ClientRecord, proof: DpopProof | undefined): void {
  if (proof === undefined && dpopRequired(client)) {
    throw new OAuthError('invalid_dpop_proof', 'this client must send a DPoP proof with every token request (dpop_bound_access_tokens)');
  }
}

/**
 * RFC 9449 §10.1, for the PAR endpoint: a DPoP header there is an alternative to dpop_jkt. Its proof is checked (htu:
 * the PAR endpoint) and its key is what the code gets bound to; with both, they must name the same key. Returns the
 * thumbprint to keep as the request's dpop_jkt (undefined: neither was sent).
 */
export async function pushedRequestJkt(
  header: string | string[] | undefined,
  dpopJkt: string | undefined,
  request: { url: string; now: number },
  options: DpopVerifierOptions,
): Promise<string | undefined> {
  const proof = await tokenRequestProof(header, request, options);
  // RFC 9449 §10.1: "the authorization server MUST reject the request" when dpop_jkt and the DPoP key differ.
  if (proof && dpopJkt !== undefined && proof.jkt !== dpopJkt) {
    throw new OAuthError('invalid_dpop_proof', 'dpop_jkt does not match the key of the DPoP proof');
  }
  return proof?.jkt ?? dpopJkt;
}
