import { InvalidClient, InvalidRequest } from '../errors.js';
import { matchesClientSecret } from './client-secret.js';
import type { ClientAuthMethod } from './types.js';

export const basicChallenge = { 'WWW-Authenticate': 'Basic realm="latch", charset="UTF-8"' };

function decodeComponent(value: string): string {
  // Most client IDs and secrets have nothing encoded.
  if (!value.includes('%') && !value.includes('+')) return value;
  try {
    // RFC 6749 §2.3.1: client_id and client_secret are form-urlencoded before Basic encoding.
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new InvalidClient('malformed Basic credentials', { headers: basicChallenge });
  }
}

export const clientSecretBasic: ClientAuthMethod = {
  method: 'client_secret_basic',
  detect({ authorization }) {
    if (!authorization || !/^basic /i.test(authorization)) return undefined;
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new InvalidClient('malformed Basic credentials', { headers: basicChallenge });
    const clientId = decodeComponent(decoded.slice(0, colon));
    const secret = decodeComponent(decoded.slice(colon + 1));
    if (!clientId || !secret) throw new InvalidClient('malformed Basic credentials', { headers: basicChallenge });
    return {
      method: 'client_secret_basic',
      clientId,
      async verify(client, deps) {
        // RFC 6749 §5.2: failed Basic authentication answers 401 with WWW-Authenticate.
        if (!client.clientSecretDigest || !matchesClientSecret(secret, client, deps.now)) {
          throw new InvalidClient('client authentication failed', { status: 401, headers: basicChallenge });
        }
      },
    };
  },
};

export function assertNoSecretInBody(params: ReadonlyMap<string, string>): void {
  if (params.has('client_secret')) {
    throw new InvalidRequest('client_secret must not be sent together with another client authentication method');
  }
}
