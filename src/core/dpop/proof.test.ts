import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { proof, proofKey, type ProofKey, unsignedProof } from '../../../test/helpers/dpop.js';
import { memoryReplayCache } from '../../resource-server/replay-cache.js';
import { DpopProofError } from './errors.js';
import { normalizeHtu } from './htu.js';
import { createDpopNonces } from './nonce.js';
import { accessTokenHash, type DpopVerifierOptions, verifyDpopProof } from './proof.js';

const URL_ = 'https://login.example.com/token';
let key: ProofKey;
const now = () => Math.floor(Date.now() / 1000);
const options = (extra: Partial<DpopVerifierOptions> = {}): DpopVerifierOptions => ({ iatWindow: 60, replay: memoryReplayCache(), ...extra });

async function refused(header: string | string[], extra: Partial<DpopVerifierOptions> = {}, request: { method?: string; url?: string; accessToken?: string } = {}) {
  const err = await verifyDpopProof({ header, method: request.method ?? 'POST', url: request.url ?? URL_, now: now(), accessToken: request.accessToken }, options(extra)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DpopProofError);
  return err as DpopProofError;
}

beforeAll(async () => {
  key = await proofKey();
});

describe('normalizeHtu (RFC 9449 §4.3 check 9)', () => {
  it('ignores query and fragment, case of scheme and host, and the default port', () => {
    expect(normalizeHtu('HTTPS://Login.Example.COM:443/token?x=1#f')).toBe('https://login.example.com/token');
    expect(normalizeHtu('http://a.example:80/p')).toBe('http://a.example/p');
    expect(normalizeHtu('http://a.example:8080/p')).toBe('http://a.example:8080/p');
    expect(normalizeHtu('https://a.example/P')).not.toBe(normalizeHtu('https://a.example/p'));
    expect(normalizeHtu('urn:x:y')).toBeUndefined();
    expect(normalizeHtu('not a url')).toBeUndefined();
  });
});

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  it('accepts a good proof, whatever the case of scheme and host, and gives the RFC 7638 thumbprint', async () => {
    const result = await verifyDpopProof({ header: await proof(key, { htu: 'HTTPS://LOGIN.example.com:443/token' }), method: 'post', url: URL_, now: now() }, options());
    expect(result.jkt).toBe(key.jkt);
  });

  for (const alg of ['PS256', 'RS256', 'EdDSA', 'ES384']) {
    it(`accepts ${alg}`, async () => {
      const other = await proofKey(alg);
      expect((await verifyDpopProof({ header: await proof(other, { htu: URL_ }), method: 'POST', url: URL_, now: now() }, options())).jkt).toBe(other.jkt);
    });
  }

  it('refuses a replayed proof (same jti), but only after accepting it once', async () => {
    const replay = memoryReplayCache();
    const header = await proof(key, { htu: URL_ });
    await verifyDpopProof({ header, method: 'POST', url: URL_, now: now() }, options({ replay }));
    expect((await refused(header, { replay })).description).toMatch(/already used/);
  });

  it('refuses a proof for another URL or another method', async () => {
    expect((await refused(await proof(key, { htu: 'https://login.example.com/userinfo' }))).code).toBe('invalid_dpop_proof');
    expect((await refused(await proof(key, { htu: URL_, htm: 'GET' }))).description).toMatch(/GET/);
  });

  it('refuses an iat outside the window, either way', async () => {
    expect((await refused(await proof(key, { htu: URL_, iat: now() - 120 }))).description).toMatch(/iat/);
    expect((await refused(await proof(key, { htu: URL_, iat: now() + 120 }))).description).toMatch(/iat/);
  });

  it('refuses a private key in jwk, typ other than dpop+jwt, missing claims', async () => {
    expect((await refused(await proof(key, { htu: URL_, jwk: key.privateJwk }))).description).toMatch(/private/);
    expect((await refused(await proof(key, { htu: URL_, typ: 'JWT' }))).description).toMatch(/typ/);
    for (const claim of ['jti', 'htm', 'htu', 'iat'] as const) {
      expect((await refused(await proof(key, { htu: URL_, omit: [claim] }))).description).toMatch(new RegExp(claim));
    }
  });

  it('refuses alg none and HS256, and a signature of another key', async () => {
    const claims = { jti: 'x', htm: 'POST', htu: URL_, iat: now() };
    expect((await refused(unsignedProof({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk }, claims))).code).toBe('invalid_dpop_proof');
    const hs = await new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.jwk }).sign(randomBytes(32));
    expect((await refused(hs)).description).toMatch(/alg/);
    const other = await proofKey();
    expect((await refused(await proof(other, { htu: URL_, jwk: key.jwk }))).description).toMatch(/signature/);
  });

  it('refuses several DPoP headers and a malformed one', async () => {
    const one = await proof(key, { htu: URL_ });
    expect((await refused([one, one])).description).toMatch(/exactly one/);
    expect((await refused(`${one}, ${one}`)).description).toMatch(/exactly one/);
    expect((await refused('not-a-jwt')).description).toMatch(/well-formed/);
  });

  it('checks ath against the access token at a resource', async () => {
    const request = { method: 'GET', url: 'https://api.example/photos', accessToken: 'token-1' };
    const good = await proof(key, { htu: request.url, htm: 'GET', accessToken: 'token-1' });
    expect((await verifyDpopProof({ header: good, ...request, now: now() }, options())).jkt).toBe(key.jkt);
    expect((await refused(await proof(key, { htu: request.url, htm: 'GET', ath: accessTokenHash('token-2') }), {}, request)).description).toMatch(/ath/);
    expect((await refused(await proof(key, { htu: request.url, htm: 'GET' }), {}, request)).description).toMatch(/ath/);
  });

  it('with nonces: asks for one (use_dpop_nonce with a fresh one), accepts it, and refuses one of another server', async () => {
    const nonces = createDpopNonces(randomBytes(32));
    const missing = await refused(await proof(key, { htu: URL_ }), { nonces });
    expect(missing.code).toBe('use_dpop_nonce');
    expect(missing.nonce).toBe(nonces.current(now()));
    const replay = memoryReplayCache();
    await verifyDpopProof({ header: await proof(key, { htu: URL_, nonce: missing.nonce! }), method: 'POST', url: URL_, now: now() }, options({ nonces, replay }));
    const foreign = createDpopNonces(randomBytes(32)).current(now());
    expect((await refused(await proof(key, { htu: URL_, nonce: foreign }), { nonces })).code).toBe('use_dpop_nonce');
  });

  it('nonces are stateless: another instance with the same key accepts them, for two periods', () => {
    const secret = randomBytes(32);
    const a = createDpopNonces(secret, 300);
    const b = createDpopNonces(secret, 300);
    const t = 1_900_000_000;
    expect(b.accepts(a.current(t), t)).toBe(true);
    expect(b.accepts(a.current(t), t + 300)).toBe(true);
    expect(b.accepts(a.current(t), t + 700)).toBe(false);
  });
});
