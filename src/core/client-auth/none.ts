import { InvalidClient } from '../errors.js';
import type { ClientAuthMethod } from './types.js';

/** Public clients (RFC 6749 §2.1) identify themselves with client_id alone. */
export const none: ClientAuthMethod = {
  method: 'none',
  detect({ params }) {
    const clientId = params.get('client_id');
    if (clientId === undefined) return undefined;
    return {
      method: 'none',
      clientId,
      async verify(client) {
        if (client.metadata.token_endpoint_auth_method !== 'none') {
          throw new InvalidClient('client authentication is required for this client');
        }
      },
    };
  },
};
