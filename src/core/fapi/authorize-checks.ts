import { OAuthError } from '../errors.js';
import type { AuthorizationCheck } from '../authorize/validate.js';
import { isFapi2 } from './profile.js';

function fail(description: string, code: 'invalid_request' | 'unsupported_response_type' = 'invalid_request'): never {
  throw new OAuthError(code, `${description} (FAPI 2.0 Security Profile)`, { redirectable: true });
}

/**
 * The authorization request rules of the FAPI 2.0 profile, after the general ones (core/authorize/validate.ts). The
 * effective metadata (profile.ts) already limits response types to code and requires PAR; these say it in the request.
 */
export const fapi2AuthorizationChecks: readonly AuthorizationCheck[] = [
  {
    name: 'FAPI 2.0: response type code',
    check({ client, normalized }) {
      // FAPI 2.0 §5.3.2.2: "shall require the response_type value code".
      if (isFapi2(client) && normalized !== 'code') fail(`response_type must be code, not ${normalized}`, 'unsupported_response_type');
    },
  },
  {
    name: 'FAPI 2.0: PKCE S256',
    check({ client, params }) {
      // FAPI 2.0 §5.3.2.2: "shall require [RFC7636] with S256 as the code challenge method" (for every client).
      if (isFapi2(client) && params.get('code_challenge') === undefined) fail('PKCE is required: send code_challenge with code_challenge_method=S256');
    },
  },
];
