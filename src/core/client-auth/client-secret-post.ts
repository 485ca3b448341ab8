import { InvalidClient } from '../errors.js';
import { matchesClientSecret } from './client-secret.js';
import type { ClientAuthMethod } from './types.js';

export const clientSecretPost: ClientAuthMethod = {
  method: 'client_secret_post',
  detect({ params }) {
    const secret = params.get('client_secret');
    if (secret === undefined) return undefined;
    const clientId = params.get('client_id');
    if (!clientId) throw new InvalidClient('client_secret given without client_id');
    return {
      method: 'client_secret_post',
      clientId,
      async verify(client, deps) {
        if (!client.clientSecretDigest || !matchesClientSecret(secret, client, deps.now)) {
          throw new InvalidClient('client authentication failed');
        }
      },
    };
  },
};
