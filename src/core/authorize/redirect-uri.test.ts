import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../storage/types.js';
import { isRegisteredRedirectUri } from './redirect-uri.js';

function client(applicationType: 'web' | 'native', redirectUris: string[]): ClientRecord {
  return {
    clientId: 'c',
    clientSecretDigest: null,
    previousSecret: null,
    createdAt: 0,
    metadata: {
      client_name: 'c',
      application_type: applicationType,
      latch_client_kind: applicationType === 'web' ? 'web' : 'native',
      redirect_uris: redirectUris,
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'openid',
      id_token_signed_response_alg: 'RS256',
    },
  };
}

describe('redirect URI matching', () => {
  const web = client('web', ['https://app.example.com/cb']);

  it('accepts the exact registered string', () => {
    expect(isRegisteredRedirectUri(web, 'https://app.example.com/cb')).toBe(true);
  });

  it.each([
    'https://app.example.com/cb/',
    'https://app.example.com/CB',
    'https://APP.example.com/cb',
    'https://app.example.com/cb?x=1',
    'https://app.example.com/cb#f',
    'http://app.example.com/cb',
    'https://app.example.com:8443/cb',
    'https://app.example.com.evil.com/cb',
    'https://app.example.com/cb/../cb',
  ])('refuses the near miss %s', (uri) => {
    expect(isRegisteredRedirectUri(web, uri)).toBe(false);
  });

  it('lets native clients use any port on a loopback IP (RFC 8252 §7.3)', () => {
    const native = client('native', ['http://127.0.0.1/callback', 'http://[::1]:1234/cb']);
    expect(isRegisteredRedirectUri(native, 'http://127.0.0.1:51004/callback')).toBe(true);
    expect(isRegisteredRedirectUri(native, 'http://[::1]:999/cb')).toBe(true);
    expect(isRegisteredRedirectUri(native, 'http://127.0.0.1:51004/other')).toBe(false);
    expect(isRegisteredRedirectUri(native, 'https://127.0.0.1:51004/callback')).toBe(false);
  });

  it('does not extend the port exception to web clients', () => {
    const loopbackWeb = client('web', ['http://127.0.0.1/callback']);
    expect(isRegisteredRedirectUri(loopbackWeb, 'http://127.0.0.1:8080/callback')).toBe(false);
  });
});
