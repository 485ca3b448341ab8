import { DpopProofError } from './errors.js';
import { type DpopProof, type DpopVerifierOptions, verifyDpopProof } from './proof.js';

/** How the access token was presented: `Authorization: Bearer` (RFC 6750) or `Authorization: DPoP` (RFC 9449 §7.1). */
export type TokenScheme = 'Bearer' | 'DPoP';

export interface ResourceRequest {
  scheme: TokenScheme;
  token: string;
  /** The DPoP header(s) as received. */
  dpop: string | string[] | undefined;
  method: string;
  url: string;
  now: number;
}

/** The scheme of an Authorization header value (Bearer when it is not DPoP). */
export function tokenScheme(authorization: string | undefined): TokenScheme {
  return authorization !== undefined && /^dpop\s/i.test(authorization.trim()) ? 'DPoP' : 'Bearer';
}

/**
 * RFC 9449 §7.1: with the DPoP scheme, the request must carry a valid proof for this method and URL, bound to the
 * token (`ath`). With the Bearer scheme no proof is checked (the token's binding decides, `checkTokenBinding`).
 */
export async function resourceProof(request: ResourceRequest, options: DpopVerifierOptions): Promise<DpopProof | undefined> {
  if (request.scheme !== 'DPoP') return undefined;
  return verifyDpopProof({ header: request.dpop, method: request.method, url: request.url, accessToken: request.token, now: request.now }, options);
}

/**
 * RFC 9449 §7.1 / §7.2: a DPoP-bound token is accepted only with the DPoP scheme and a proof of its key; an
 * unbound (bearer) token is not accepted with the DPoP scheme. `jkt` is the token's binding (cnf.jkt).
 */
export function checkTokenBinding(jkt: string | undefined, scheme: TokenScheme, proof: DpopProof | undefined): void {
  if (jkt === undefined) {
    if (scheme === 'DPoP') throw new DpopProofError('invalid_token', 'the access token is not DPoP-bound: send it as a Bearer token');
    return;
  }
  // RFC 9449 §7.2: "a DPoP-bound access token ... MUST NOT be accepted" as a bearer token.
  if (scheme !== 'DPoP') throw new DpopProofError('invalid_token', 'the access token is DPoP-bound: send it with Authorization: DPoP and a DPoP proof');
  // RFC 9449 §7.1: the proof's key must be the one the token is bound to.
  if (proof?.jkt !== jkt) throw new DpopProofError('invalid_dpop_proof', 'the DPoP proof key is not the key the access token is bound to');
}

/** RFC 6750 §3 auth-param values: quoted, limited to %x20-21 / %x23-5B / %x5D-7E. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '')}"`;
}

/** RFC 9449 §7.1: the `WWW-Authenticate: DPoP` challenge of a refusal, with the accepted algorithms (`algs`). */
export function dpopChallenge(
  refusal: { code: string | undefined; description?: string },
  options: { realm?: string | undefined; algorithms: readonly string[]; scope?: string | undefined },
): string {
  const params: string[] = [];
  if (options.realm !== undefined) params.push(`realm=${quoted(options.realm)}`);
  if (refusal.code !== undefined) {
    params.push(`error=${quoted(refusal.code)}`);
    if (refusal.description !== undefined) params.push(`error_description=${quoted(refusal.description)}`);
  }
  if (options.scope !== undefined) params.push(`scope=${quoted(options.scope)}`);
  params.push(`algs=${quoted(options.algorithms.join(' '))}`);
  return `DPoP ${params.join(', ')}`;
}
