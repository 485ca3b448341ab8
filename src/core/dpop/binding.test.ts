import { describe, expect, it } from 'vitest';
import { proof, proofKey } from '../../../test/helpers/dpop.js';
import { memoryReplayCache } from '../../resource-server/replay-cache.js';
import { aClient } from '../../storage/contract/fixtures.js';
import { OAuthError } from '../errors.js';
import { dpopRequired, pushedRequestJkt, refreshTokenJkt, requireProofFor, resourceEndpointError } from './binding.js';
import { DpopProofError } from './errors.js';
import { createDpopNonces } from './nonce.js';

const PAR = 'https://login.example.com/par';
const now = () => Math.floor(Date.now() / 1000);
const options = () => ({ iatWindow: 60, replay: memoryReplayCache() });

describe('DPoP binding rules', () => {
  it('dpop_bound_access_tokens: a token request without a proof is refused (invalid_dpop_proof)', () => {
    const plain = aClient();
    const bound = aClient({ metadata: { ...plain.metadata, dpop_bound_access_tokens: true } });
    expect(dpopRequired(plain)).toBe(false);
    expect(dpopRequired(bound)).toBe(true);
    expect(() => requireProofFor(plain, undefined)).not.toThrow();
    expect(() => requireProofFor(bound, undefined)).toThrow(expect.objectContaining({ code: 'invalid_dpop_proof', status: 400 }));
    expect(() => requireProofFor(bound, { jkt: 'k', jti: 'j', iat: 1 })).not.toThrow();
  });

  it('binds refresh tokens of public clients only (RFC 9449 §5)', () => {
    const confidential = aClient();
    const pub = aClient({ metadata: { ...confidential.metadata, token_endpoint_auth_method: 'none' } });
    const proved = { jkt: 'k', jti: 'j', iat: 1 };
    expect(refreshTokenJkt(confidential, proved)).toBeUndefined();
    expect(refreshTokenJkt(pub, proved)).toBe('k');
    expect(refreshTokenJkt(pub, undefined)).toBeUndefined();
  });

  it('at PAR: takes the DPoP key, or dpop_jkt, and refuses the two naming different keys (RFC 9449 §10.1)', async () => {
    const key = await proofKey();
    const other = await proofKey();
    const request = { url: PAR, now: now() };
    expect(await pushedRequestJkt(undefined, undefined, request, options())).toBeUndefined();
    expect(await pushedRequestJkt(undefined, other.jkt, request, options())).toBe(other.jkt);
    expect(await pushedRequestJkt(await proof(key, { htu: PAR }), undefined, request, options())).toBe(key.jkt);
    expect(await pushedRequestJkt(await proof(key, { htu: PAR }), key.jkt, request, options())).toBe(key.jkt);
    await expect(pushedRequestJkt(await proof(key, { htu: PAR }), other.jkt, request, options())).rejects.toMatchObject({ code: 'invalid_dpop_proof' });
    await expect(pushedRequestJkt(await proof(key, { htu: 'https://login.example.com/token' }), undefined, request, options())).rejects.toBeInstanceOf(OAuthError);
  });

  it('at a resource: 401 with a DPoP challenge, the algorithms, and the nonce to use', () => {
    const nonce = createDpopNonces(Buffer.alloc(32)).current(now());
    const err = resourceEndpointError(new DpopProofError('use_dpop_nonce', 'a DPoP nonce is required', nonce), ['ES256', 'EdDSA']);
    expect(err.status).toBe(401);
    expect(err.headers['WWW-Authenticate']).toBe('DPoP realm="latch", error="use_dpop_nonce", error_description="a DPoP nonce is required", algs="ES256 EdDSA"');
    expect(err.headers['DPoP-Nonce']).toBe(nonce);
  });
});
