import { InvalidClient } from '../errors.js';
import { matchesDigest } from '../tokens/hash.js';
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
      async verify(client) {
        if (!client.clientSecretDigest || !matchesDigest(secret, client.clientSecretDigest)) {
          throw new InvalidClient('client authentication failed');
        }
      },
    };
  },
};
