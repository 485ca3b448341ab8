import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../storage/types.js';
import { OAuthError } from '../errors.js';
import { collectParams } from '../params.js';
import type { RedirectTarget } from './request.js';
import { sourceParams } from './read.js';
import { authorizationChecks, type RequestPolicy, validateAuthorizationRequest } from './validate.js';

const client = {
  clientId: 'c',
  metadata: { response_types: ['code'], grant_types: ['authorization_code'], scope: 'openid email', token_endpoint_auth_method: 'client_secret_basic' },
} as unknown as ClientRecord;
const target: RedirectTarget = { client, redirectUri: 'https://app.example/cb', responseMode: 'query', state: 's' };

function validate(params: Record<string, string>, checks = authorizationChecks, policy: RequestPolicy = {}, on: RedirectTarget = target) {
  return validateAuthorizationRequest(collectParams(Object.entries({ client_id: 'c', response_type: 'code', ...params })), on, policy, checks);
}

function withMetadata(metadata: Partial<ClientRecord['metadata']>): RedirectTarget {
  return { ...target, client: { ...client, metadata: { ...client.metadata, ...metadata } } };
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
      'pushed authorization request',
      'signed request object',
      'grant types of the response type',
      'response_mode',
      'scope',
      'nonce',
      'PKCE',
      'prompt',
      'resource',
      'max_age',
      'claims',
      'pairwise sector',
      'FAPI 2.0: response type code',
      'FAPI 2.0: PKCE S256',
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

  it('applies the client’s default_max_age when the request sends no max_age (OIDC Registration §2)', () => {
    const strict = { ...client, metadata: { ...client.metadata, default_max_age: 300 } } as ClientRecord;
    const strictTarget = { ...target, client: strict };
    const run = (params: Record<string, string>) =>
      validateAuthorizationRequest(collectParams(Object.entries({ client_id: 'c', response_type: 'code', scope: 'openid', ...params })), strictTarget);
    expect(run({}).maxAge).toBe(300);
    expect(run({ max_age: '0' }).maxAge).toBe(0);
    expect(validate({ scope: 'openid' }).maxAge).toBeUndefined();
  });

  it('parses the claims parameter into the typed request, and refuses a malformed one', () => {
    expect(validate({ scope: 'openid', claims: '{"id_token":{"email":null}}' }).claims).toEqual({ id_token: { email: null } });
    expect(code(() => validate({ scope: 'openid', claims: '{"id_token":1}' }))).toBe('invalid_request');
  });

  it('requires /par when the server or the client says so (RFC 9126 §5, §6)', () => {
    const pushed = { [sourceParams.pushed]: '1', scope: 'openid' };
    expect(code(() => validate({ scope: 'openid' }, authorizationChecks, { requirePar: true }))).toBe('invalid_request');
    expect(code(() => validate(pushed, authorizationChecks, { requirePar: true }))).toBeUndefined();
    const parClient = withMetadata({ require_pushed_authorization_requests: true });
    expect(code(() => validate({ scope: 'openid' }, authorizationChecks, {}, parClient))).toBe('invalid_request');
    expect(code(() => validate(pushed, authorizationChecks, {}, parClient))).toBeUndefined();
  });

  it('requires a signed request object when the client registered require_signed_request_object (RFC 9101 §10.5)', () => {
    const signedClient = withMetadata({ require_signed_request_object: true });
    expect(code(() => validate({ scope: 'openid' }, authorizationChecks, {}, signedClient))).toBe('invalid_request');
    expect(code(() => validate({ scope: 'openid', [sourceParams.signed]: '1' }, authorizationChecks, {}, signedClient))).toBeUndefined();
  });
});
