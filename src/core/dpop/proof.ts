import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify, type ProtectedHeaderParameters } from 'jose';
import { DpopProofError } from './errors.js';
import { normalizeHtu } from './htu.js';
import type { DpopNonceSource } from './nonce.js';

/** RFC 9449 §4.2 / §5.1: asymmetric JWS algorithms only; advertised as dpop_signing_alg_values_supported. */
export const DPOP_SIGNING_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA'] as const;

/** Where proofs' `jti` values are remembered: Latch's store.replay, or the resource server's cache. */
export interface DpopReplayCache {
  /** false when `key` was already recorded and has not expired (a replay). */
  remember(key: string, expiresAt: number, now: number): Promise<boolean>;
}

export interface DpopVerifierOptions {
  /** Accepted proof algorithms; every one must be asymmetric. */
  algorithms?: readonly string[];
  /** Seconds a proof's `iat` may be away from the server clock, either way. */
  iatWindow: number;
  replay: DpopReplayCache;
  /** When given, every proof must carry a nonce it accepts (use_dpop_nonce otherwise). */
  nonces?: DpopNonceSource | undefined;
}

export interface DpopRequest {
  /** The DPoP header(s) as received. */
  header: string | string[] | undefined;
  method: string;
  /** The request URL as the client addressed it (query and fragment are ignored). */
  url: string;
  /** At a resource: the access token the proof must be bound to (`ath`). */
  accessToken?: string | undefined;
  now: number;
}

/** A verified proof: the key's RFC 7638 thumbprint is what tokens are bound to (`cnf.jkt`). */
export interface DpopProof {
  jkt: string;
  jti: string;
  iat: number;
}

const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 7517 §9.2 / RFC 7518 §6: members only a private (or symmetric) JWK has. */
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const invalid = (description: string) => new DpopProofError('invalid_dpop_proof', description);

/** RFC 9449 §4.2: `ath`, the base64url SHA-256 of the ASCII access token. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** The one DPoP header of a request: RFC 9449 §4.3 check 1, "there is not more than one DPoP HTTP request header field". */
export function singleDpopHeader(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) {
    if (header.length !== 1) throw invalid('send exactly one DPoP header');
    header = header[0] as string;
  }
  // Node joins repeated unknown headers with ", "; a compact JWS never contains a comma.
  if (header.includes(',')) throw invalid('send exactly one DPoP header');
  const value = header.trim();
  // RFC 9449 §4.3 check 2: "the DPoP HTTP request header value is a single well-formed JWT".
  if (!compactJws.test(value)) throw invalid('the DPoP header is not a well-formed JWT');
  return value;
}

function readHeader(proof: string, algorithms: readonly string[]): ProtectedHeaderParameters & { jwk: JWK; alg: string } {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid('the DPoP proof header cannot be decoded');
  }
  // RFC 9449 §4.3 check 4: "the typ JOSE Header Parameter has the value dpop+jwt".
  if (header.typ !== 'dpop+jwt') throw invalid('the DPoP proof must have typ dpop+jwt');
  // RFC 9449 §4.3 check 5: "the alg JOSE Header Parameter indicates a registered asymmetric digital signature
  // algorithm, is not none, is supported by the application, and is acceptable per local policy".
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw invalid(`the DPoP proof alg must be one of ${algorithms.join(', ')}`);
  }
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalid('the DPoP proof header has no jwk');
  // RFC 9449 §4.3 check 7: "the jwk JOSE Header Parameter does not contain a private key".
  if (privateMembers.some((member) => member in jwk)) throw invalid('the DPoP proof jwk must be a public key (it contains private key members)');
  return header as ProtectedHeaderParameters & { jwk: JWK; alg: string };
}

/**
 * RFC 9449 §4.3: every check of a DPoP proof, in order; the `jti` is recorded last, so a refused proof leaves the
 * replay cache as it was. Throws DpopProofError.
 */
export async function verifyDpopProof(request: DpopRequest, options: DpopVerifierOptions): Promise<DpopProof> {
  const proof = singleDpopHeader(request.header);
  if (proof === undefined) throw invalid('a DPoP proof is required (DPoP header)');
  const algorithms = (options.algorithms ?? DPOP_SIGNING_ALGS).filter((alg) => (DPOP_SIGNING_ALGS as readonly string[]).includes(alg));
  const header = readHeader(proof, algorithms);

  let payload: Record<string, unknown>;
  try {
    // RFC 9449 §4.3 check 6: "the JWT signature verifies with the public key contained in the jwk JOSE Header Parameter".
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms }));
  } catch {
    throw invalid('the DPoP proof signature does not verify with its jwk');
  }

  const { jti, htm, htu, iat, ath, nonce } = payload;
  // RFC 9449 §4.3 check 3: "all required claims per Section 4.2 are contained in the JWT".
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw invalid('the DPoP proof needs a jti (1 to 256 characters)');
  if (typeof htm !== 'string') throw invalid('the DPoP proof needs htm');
  if (typeof htu !== 'string') throw invalid('the DPoP proof needs htu');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('the DPoP proof needs iat');
  // RFC 9449 §4.3 check 8: "the htm claim matches the HTTP method of the current request".
  if (htm !== request.method.toUpperCase()) throw invalid(`the DPoP proof is for ${htm}, not for this ${request.method.toUpperCase()} request`);
  // RFC 9449 §4.3 check 9: htu matches the request URI, ignoring query and fragment, after normalisation.
  const expectedHtu = normalizeHtu(request.url);
  if (normalizeHtu(htu) === undefined || normalizeHtu(htu) !== expectedHtu) throw invalid(`the DPoP proof is for ${htu}, not for ${expectedHtu}`);
  // RFC 9449 §4.3 check 11: "the creation time of the JWT, as determined by ... iat, is within an acceptable window".
  if (Math.abs(request.now - iat) > options.iatWindow) throw invalid(`the DPoP proof iat is more than ${options.iatWindow} seconds away from the server time`);
  // RFC 9449 §4.3 check 10: "if the server provided a nonce value to the client, the nonce claim matches".
  if (options.nonces && (typeof nonce !== 'string' || !options.nonces.accepts(nonce, request.now))) {
    const fresh = options.nonces.current(request.now);
    throw new DpopProofError('use_dpop_nonce', nonce === undefined ? 'a DPoP nonce is required' : 'the DPoP nonce is stale or unknown', fresh);
  }
  // RFC 9449 §4.3 check 12: with an access token, "ensure that the value of the ath claim equals the hash of that access token".
  if (request.accessToken !== undefined && ath !== accessTokenHash(request.accessToken)) {
    throw invalid(ath === undefined ? 'the DPoP proof needs ath (the hash of the access token)' : 'the DPoP proof ath does not match the access token');
  }
  let jkt: string;
  try {
    jkt = await calculateJwkThumbprint(header.jwk, 'sha256');
  } catch {
    throw invalid('the DPoP proof jwk has no thumbprint');
  }
  // RFC 9449 §11.1: a proof is accepted once; its jti is remembered for as long as its iat is acceptable. The key
  // includes the thumbprint, so that two clients' jti values never collide.
  if (!(await options.replay.remember(`dpop:${jkt}:${jti}`, iat + options.iatWindow + 1, request.now))) {
    throw invalid('the DPoP proof was already used (jti replay)');
  }
  return { jkt, jti, iat };
}
