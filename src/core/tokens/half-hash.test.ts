import { describe, expect, it } from 'vitest';
import { halfHash } from './half-hash.js';
import { verifyS256 } from '../pkce.js';

describe('halfHash', () => {
  it('matches the OIDC Core example at_hash for RS256', () => {
    // OIDC Core Appendix A.3 / A.4: access token jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y -> at_hash 77QmUPtjPfzWtF2AnpK9RQ
    expect(halfHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });

  it('uses SHA-512 for EdDSA (32 bytes, 43 characters)', () => {
    expect(halfHash('token', 'EdDSA')).toHaveLength(43);
    expect(halfHash('token', 'ES256')).toHaveLength(22);
  });
});

describe('PKCE S256', () => {
  it('verifies the RFC 7636 Appendix B example', () => {
    expect(verifyS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(true);
    expect(verifyS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(false);
  });
});
