import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../storage/types.js';
import type { Grant, GrantDeps } from './grants/types.js';
import { collectParams } from './params.js';
import { handleTokenRequest } from './token-endpoint.js';

const client: ClientRecord = {
  clientId: 'c',
  clientSecretDigest: null,
  previousSecret: null,
  createdAt: 0,
  metadata: {
    client_name: 'c',
    application_type: 'web',
    latch_client_kind: 'm2m',
    redirect_uris: [],
    post_logout_redirect_uris: [],
    grant_types: ['urn:test:echo'],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: '',
    id_token_signed_response_alg: 'RS256',
  },
};

/** A grant that answers with the parameters it was given, as `name=value` pairs in `scope`. */
const echo: Grant = {
  grantType: 'urn:test:echo',
  parameters: ['scope', 'resource', 'absent'],
  async handle({ params }) {
    return { access_token: 'x', token_type: 'Bearer', expires_in: 1, scope: [...params].map(([n, v]) => `${n}=${v}`).join(' ') };
  },
};

// The echo grant reads nothing from its dependencies.
const deps = {} as GrantDeps;

describe('the token endpoint hands a grant only the parameters it declares', () => {
  it('ignores the parameters a grant does not declare (RFC 6749 §3.1), grant_type and client ones included', async () => {
    const { params } = collectParams([
      ['grant_type', 'urn:test:echo'],
      ['scope', 'a'],
      ['resource', 'https://api.example'],
      ['code_verifier', 'not-for-this-grant'],
      ['client_id', 'c'],
      ['refresh_token', 'stray'],
    ]);
    const response = await handleTokenRequest(client, params, 0, deps, undefined, new Map([[echo.grantType, echo]]));
    expect(response.scope).toBe('scope=a resource=https://api.example');
  });

});
