import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../storage/types.js';
import { OAuthError } from '../errors.js';
import { collectParams } from '../params.js';
import type { RedirectTarget } from './request.js';
import { authorizationChecks, validateAuthorizationRequest } from './validate.js';

const client = {
  clientId: 'c',
  metadata: { response_types: ['code'], grant_types: ['authorization_code'], scope: 'openid email', token_endpoint_auth_method: 'client_secret_basic' },
} as unknown as ClientRecord;
const target: RedirectTarget = { client, redirectUri: 'https://app.example/cb', responseMode: 'query', state: 's' };

function validate(params: Record<string, string>, checks = authorizationChecks) {
  return validateAuthorizationRequest(collectParams(Object.entries({ client_id: 'c', response_type: 'code', ...params })), target, checks);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as OAuthError).code;
  }
  return undefined;
}

describe('validateAuthorizationRequest', () => {
  it('runs its named checks in order: the first broken rule is the error', () => {
    expect(authorizationChecks.map((c) => c.name)).toEqual([
      'grant types of the response type',
      'response_mode',
      'scope',
      'nonce',
      'PKCE',
      'prompt',
      'resource',
      'max_age',
      'dpop_jkt',
    ]);
    // Both the scope and the prompt are wrong: scope is checked first.
    expect(code(() => validate({ scope: 'admin', prompt: 'bogus' }))).toBe('invalid_scope');
    expect(code(() => validate({ scope: 'openid', prompt: 'bogus' }))).toBe('invalid_request');
  });

  it('a check left out of the list is not enforced, so each rule is one entry', () => {
    const withoutPrompt = authorizationChecks.filter((c) => c.name !== 'prompt');
    expect(code(() => validate({ scope: 'openid', prompt: 'none login' }))).toBe('invalid_request');
    expect(validate({ scope: 'openid', prompt: 'none login' }, withoutPrompt).prompt).toEqual(new Set(['none', 'login']));
  });

  it('returns the typed request', () => {
    const request = validate({ scope: 'openid email openid', max_age: '60', login_hint: 'a@example.com' });
    expect(request).toMatchObject({ scopes: ['openid', 'email'], maxAge: 60, loginHint: 'a@example.com', responseType: 'code', redirectUri: 'https://app.example/cb' });
  });
});
