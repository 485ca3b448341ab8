import { describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../storage/types.js';
import { codeLifetime, effectiveMetadata, fapi2Contradictions } from './profile.js';

const web: ClientMetadata = {
  client_name: 'Web',
  application_type: 'web',
  latch_client_kind: 'web',
  redirect_uris: ['https://app.example/cb'],
  post_logout_redirect_uris: [],
  grant_types: ['authorization_code', 'refresh_token', 'implicit', 'password'],
  response_types: ['code', 'code id_token', 'id_token'],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'openid',
  id_token_signed_response_alg: 'RS256',
  token_endpoint_auth_signing_alg: 'RS256',
};

describe('effectiveMetadata', () => {
  it('leaves a client outside the profile as it is (the same object)', () => {
    expect(effectiveMetadata(web, {})).toBe(web);
    expect(effectiveMetadata(web, { fapi2: false })).toBe(web);
  });

  it('implies PAR, DPoP, private_key_jwt, code only and FAPI algorithms, per client or server-wide', () => {
    for (const [metadata, settings] of [[{ ...web, latch_profile: 'fapi2' as const }, {}], [web, { fapi2: true }]] as const) {
      const effective = effectiveMetadata(metadata, settings);
      expect(effective).toMatchObject({
        latch_profile: 'fapi2',
        require_pushed_authorization_requests: true,
        dpop_bound_access_tokens: true,
        token_endpoint_auth_method: 'private_key_jwt',
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        id_token_signed_response_alg: 'ES256',
      });
      expect(effective.token_endpoint_auth_signing_alg).toBeUndefined();
      expect(codeLifetime({ clientId: 'c', clientSecretDigest: null, previousSecret: null, metadata: effective, createdAt: 0 }, 600)).toBe(60);
    }
  });

  it('keeps an ID token algorithm of the profile', () => {
    expect(effectiveMetadata({ ...web, id_token_signed_response_alg: 'PS256' }, { fapi2: true }).id_token_signed_response_alg).toBe('PS256');
  });
});

describe('fapi2Contradictions', () => {
  it('names every member against the profile', () => {
    const fields = fapi2Contradictions({ ...web, redirect_uris: ['http://127.0.0.1/cb'], dpop_bound_access_tokens: false }).map((c) => c.field);
    expect(fields).toEqual(['token_endpoint_auth_method', 'response_types', 'grant_types', 'id_token_signed_response_alg', 'token_endpoint_auth_signing_alg', 'dpop_bound_access_tokens', 'redirect_uris']);
  });
});
