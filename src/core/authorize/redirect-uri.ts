import type { ClientRecord } from '../../storage/types.js';
import { isFapi2 } from '../fapi/profile.js';

const loopbackHosts = new Set(['127.0.0.1', '[::1]', 'localhost']);

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && loopbackHosts.has(url.hostname);
}

/**
 * RFC 6749 §3.1.2.3 / RFC 9700 §2.1: redirect URIs are compared by exact string match.
 * RFC 8252 §7.3: for native clients, a loopback IP redirect URI may use any port.
 */
export function isRegisteredRedirectUri(client: ClientRecord, requested: string): boolean {
  const registered = client.metadata.redirect_uris;
  if (registered.includes(requested)) return true;
  // FAPI 2.0 §5.3.2.2 / RFC 9700 §2.1: exact string matching, without the loopback port relaxation.
  if (isFapi2(client)) return false;
  if (client.metadata.application_type !== 'native') return false;
  let url: URL;
  try {
    url = new URL(requested);
  } catch {
    return false;
  }
  if (!isLoopbackHttp(url) || !url.port) return false;
  const withoutPort = requested.replace(`${url.hostname}:${url.port}`, url.hostname);
  return registered.some((candidate) => {
    if (candidate === withoutPort) return true;
    try {
      const reg = new URL(candidate);
      return isLoopbackHttp(reg) && candidate.replace(`${reg.hostname}:${reg.port}`, reg.hostname) === withoutPort;
    } catch {
      return false;
    }
  });
}
